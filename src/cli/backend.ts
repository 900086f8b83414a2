/**
 * The front half of the pipeline — evaluate the installable and realise it —
 * behind one small interface, so it can be done by nixoci itself or by a
 * real Nix (`--backend nix`: its daemon, remote builders and caches). The
 * back half (layering, image) only needs what `Realised` gives.
 */
import type { FlakeEvalOptions, PackageInfo } from "../evaluator/flake/evalInstallable.js";
import type { ClosureGraph } from "../layering/index.js";

export interface RealiseRequest {
  installable: string;
  cwd: string;
  system: string;
  store?: string;
  maxJobs?: number;
  printBuildLogs?: boolean;
  showTrace?: boolean;
  noEvalCache?: boolean;
  noSandbox?: boolean;
  /** `--impure`, `--override-input`, `--update-input`, `--no-write-lock-file`. */
  flake?: FlakeEvalOptions;
  /** Binary caches to substitute from (flags; nixoci.conf fills the gaps). */
  substituters?: { substituters?: string; trustedPublicKeys?: string; requireSigs?: boolean };
  log: (line: string) => void;
}

export interface Realised {
  pkg: PackageInfo;
  /** References and sizes of every valid path. */
  graph: ClosureGraph;
  /** Where the logical /nix/store is on this machine. */
  realStoreDir: string;
  isValidPath(path: string): boolean;
  evalCached: boolean;
  close(): void;
}

export interface Backend {
  realise(req: RealiseRequest): Promise<Realised>;
}
