/**
 * The image flags `build` and `push` share, apart from build.ts so that
 * registering `push` does not load the build pipeline (a no-op push from a
 * layout must start fast).
 */
import type { Command } from "commander";

export interface ImageFlags {
  output?: string;
  format?: string;
  tag?: string;
  maxLayers?: string;
  layering?: string;
  disallow: string[];
  entrypoint?: string;
  cmd?: string;
  env: string[];
  port: string[];
  user?: string;
  label: string[];
  workdir?: string;
  system?: string;
  printBuildLogs?: boolean;
  json?: boolean;
  showTrace?: boolean;
  store?: string;
  from?: string;
  evalCache: boolean;
  impure?: boolean;
  overrideInput: string[];
  updateInput: string[];
  writeLockFile: boolean;
  sandbox: boolean;
  maxJobs?: string;
  j?: string;
  backend: string;
  substituters?: string;
  trustedPublicKeys?: string;
  requireSigs?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The flags `build` and `push` share (push has its own -t, -j, --json and --from). */
export function addImageFlags(cmd: Command): Command {
  return cmd
    .option("--max-layers <n>", "maximum number of layers (default 100, or the flake's nixoci.maxLayers)")
    .option("--layering <strategy>", "popularity (as nixpkgs) or size")
    .option("--disallow <name-or-path>", "fail if a matching store path is in the image (repeatable)", collect, [])
    .option("--entrypoint <cmd>", "entrypoint: a JSON list or a single program path")
    .option("--cmd <args>", "default arguments: a JSON list or a single string")
    .option("--env <K=V>", "environment variable (repeatable)", collect, [])
    .option("--port <port[/proto]>", "exposed port (repeatable)", collect, [])
    .option("--user <user>", "user to run as (adds it to /etc/passwd when it is a name)")
    .option("--label <k=v>", "image label (repeatable)", collect, [])
    .option("--workdir <dir>", "working directory")
    .option("--system <system>", "Nix system to build for (default: this machine's)")
    .option("-L, --print-build-logs", "print build logs")
    .option("--show-trace", "show the evaluation trace on errors")
    .option("--store <dir>", "store root (default: $NIXOCI_STORE or the local store)")
    .option("--max-jobs <n>", "builds at once")
    .option("--no-eval-cache", "always evaluate")
    .option("--impure", "allow access to mutable paths and repositories (getEnv, currentSystem, files outside the flake)")
    .option("--override-input <input-path-and-flake-url...>", "override a flake input: an input path (e.g. `dwarffs/nixpkgs`) and a flake reference", collect, [])
    .option("--update-input <input-path>", "update a flake input (ignoring its previous entry in the lock file)", collect, [])
    .option("--no-write-lock-file", "do not write the flake's newly generated lock file")
    .option("--no-sandbox", "build without the sandbox (not recommended)")
    .option("--backend <backend>", "native (nixoci evaluates and builds) or nix (a real Nix does; nixoci layers and writes)", "native")
    .option("--substituters <urls>", "binary caches to fetch outputs from instead of building, space-separated (default: nixoci.conf, else none)")
    .option("--trusted-public-keys <keys>", "keys whose signatures are trusted on substitutes, space-separated")
    .option("--no-require-sigs", "accept substitutes without a trusted signature");
}
