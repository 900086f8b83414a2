/**
 * From `FLAKEREF#ATTR` to what the build pipeline needs, as plain data:
 * drvPath, outputs, name/version, meta.mainProgram and the `nixoci` image
 * settings. This module stays light on purpose: an unchanged flake is
 * answered from the warm cache (warmPath.ts) without loading the evaluator;
 * anything else is evaluated by evaluate.ts on a big-stack worker.
 */
import { lookupWarm } from "./warmPath.js";

export interface PackageInfo {
  /** The attribute path that matched, e.g. ["packages", "x86_64-linux", "default"]. */
  attrPath: string[];
  drvPath: string;
  /** Output name → store path. */
  outputs: Record<string, string>;
  /** Outputs that go into the image (`meta.outputsToInstall`, else the first output). */
  installOutputs: string[];
  name: string;
  pname: string;
  version: string;
  system: string;
  mainProgram?: string;
  /** The package's `nixoci` attribute, as JSON-like data (undefined when absent). */
  settings?: unknown;
  /** Store paths the settings mention (string context): they join the image closure. */
  settingsReferences: string[];
  /** The flake's description and source, for annotations. */
  flake: { url: string; description?: string; rev?: string; lastModified?: number };
}

export interface EvalRequest {
  installable: string;
  cwd: string;
  system: string;
  updateInputs?: string[];
  noWriteLock?: boolean;
  /** Skip the evaluation cache (`--no-eval-cache`). */
  noEvalCache?: boolean;
  evalCachePath?: string;
  showTrace?: boolean;
  /** `--override-input a/b REF`: input path → flake reference. */
  overrideInputs?: Record<string, string>;
  /** `--impure`: lift pure evaluation (getEnv, currentSystem, paths outside the flake). */
  impure?: boolean;
  /** Where the fetch cache of local trees lives (default: next to the eval cache). */
  fetchCachePath?: string;
  /** Copy and hash local trees every time. */
  noFetchCache?: boolean;
}

export interface EvalResponse {
  info?: PackageInfo;
  /** Already formatted, Nix-style. */
  error?: string;
  /** Lines for stderr (warnings, traces). */
  messages: string[];
  cached: boolean;
}

/** The flake flags of `nix build` (`--impure`, `--override-input`, `--update-input`, `--no-write-lock-file`). */
export type FlakeEvalOptions = Pick<EvalRequest, "impure" | "overrideInputs" | "updateInputs" | "noWriteLock">;

/** Evaluate on a big-stack worker thread with its own handle on the store at `storeRoot`. */
export async function evaluateInstallableOnWorker(request: EvalRequest, storeRoot: string | undefined): Promise<EvalResponse> {
  const warm = lookupWarm(request, storeRoot);
  if (warm) return warm;
  const { runOnBigStack } = await import("../cli/bigStack.js");
  return runOnBigStack<EvalResponse>(new URL("./evalWorker.js", import.meta.url), { request, storeRoot });
}
