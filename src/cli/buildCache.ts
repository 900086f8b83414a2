/**
 * The build-result cache: what a `nixoci build` printed, remembered with what
 * decides its image, so that the same build run again with nothing changed
 * (the no-op) answers without evaluating, opening the store's database,
 * layering or writing anything.
 *
 * An entry is found by the request's identity (working directory, flake
 * reference, every flag as commander parses it, the environment variables
 * that matter, nixoci's version) and is used only while all of these still hold:
 *  - the flake's warm key parts are the same (warmKey.ts: git status or lstat
 *    of its tree, flake.lock, absolute path inputs), so evaluating would give
 *    the same drvPath, outputs and settings;
 *  - the .drv, the outputs, every path of the image's closure and every store
 *    path its settings mention have the same lstat signature (inode, ctime;
 *    or are still missing). Nix's no-op only checks that its outputs are
 *    valid; a path deleted and built again (maybe not bit for bit) has a new
 *    inode and ctime, so this never reuses an image of since-replaced paths;
 *  - the written output (a file, or every entry of a layout directory) has the
 *    lstat signature it had right after the build wrote it.
 * An entry is recorded only after a successful build whose evaluation was
 * itself recorded warm under the same parts (pure, lock file complete), whose
 * image does not take the clock (`created = "now"`), and without a base image.
 *
 * This module is on the no-op path (src/cli/noopBuild.ts): node built-ins and
 * the light warmKey module only; no node:crypto (entries are named by FNV-1a
 * and hold their identity verbatim).
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultStoreRoot, LOGICAL_STORE_DIR, storeLocationAt } from "../store/location.js";
import { statWalk } from "../evaluator/flake/localTree.js";
import { nixociCacheDir, warmKeyParts, type WarmKeyParts, type WarmRequest } from "../evaluator/flake/warmKey.js";
import { fnv1a64 } from "../fnv1a.js";
import { NIXOCI_VERSION } from "../version.js";
import { defaultSystem } from "./defaultSystem.js";

const BUILD_CACHE_VERSION = "build-v1";

/** Environment variables that change what a build means (store, caches, image timestamps, `~`). */
const IDENTITY_ENV = ["NIXOCI_STORE", "HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "SOURCE_DATE_EPOCH"] as const;

/**
 * The options of `build` whose whole effect the cache covers (their values are in the identity;
 * the ones naming outside, mutable inputs are refused by buildProbe). An option added to `build`
 * later is not cached until it is added here.
 */
const CACHEABLE_FLAGS = new Set([
  "output", "format", "tag", "system", "store", "maxLayers", "layering", "entrypoint", "cmd", "user", "workdir",
  "maxJobs", "j", "substituters", "trustedPublicKeys", "backend", "disallow", "env", "port", "label", "json",
  "printBuildLogs", "showTrace", "sandbox", "requireSigs", "writeLockFile", "evalCache", "overrideInput", "updateInput",
]);

/** `build`'s options as commander hands them to the action (defaults included). */
export type BuildFlags = Record<string, string | boolean | string[] | undefined>;

/** A build request as the cache sees it. */
export interface BuildProbe {
  /** Canonical JSON of everything that identifies the request. */
  identity: string;
  warm: WarmRequest;
  realStoreDir: string;
  /** Absolute path of the output. */
  output: string;
  cacheDir: string;
}

/** What a build printed after evaluating (eval messages excluded): replayed as is on a hit. */
export interface PrintedSummary {
  stdout: string;
  stderr: string[];
}

interface Entry {
  identity: string;
  warm: string[];
  /** Store path → lstat signature ("missing" when it was not there). */
  paths: Record<string, string>;
  output: string[];
  summary: PrintedSummary;
}

/** The output `build` writes when -o is not given (Nix's `result`). */
export function defaultOutput(format: string | undefined): string {
  return format === "layout" ? "result" : "result.tar";
}

/**
 * The cache's view of `nixoci build INSTALLABLE` with these flags, or undefined
 * when such a build is never answered from the cache: an option not known to
 * be covered, a base image (may change in its registry), no eval cache,
 * impure, input overrides or updates, the nix backend, or an unknown format
 * (left to the full path to report).
 */
export function buildProbe(installable: string, flags: BuildFlags, cwd: string, env: NodeJS.ProcessEnv): BuildProbe | undefined {
  if (Object.keys(flags).some((k) => flags[k] !== undefined && !CACHEABLE_FLAGS.has(k))) return undefined;
  if (flags.from !== undefined || flags.evalCache === false || flags.impure === true) return undefined;
  if ((flags.overrideInput as string[] | undefined)?.length || (flags.updateInput as string[] | undefined)?.length) return undefined;
  if ((flags.backend ?? "native") !== "native") return undefined;
  const format = (flags.format as string | undefined) ?? "oci";
  if (!["oci", "docker", "layout"].includes(format)) return undefined;
  const sortedFlags = Object.keys(flags)
    .sort()
    .filter((k) => flags[k] !== undefined)
    .map((k) => [k, flags[k]]);
  const identity = JSON.stringify({
    v: BUILD_CACHE_VERSION,
    nixoci: NIXOCI_VERSION,
    cwd,
    installable,
    flags: sortedFlags,
    env: IDENTITY_ENV.map((k) => [k, env[k] ?? null]),
  });
  const store = (flags.store as string | undefined) || env.NIXOCI_STORE;
  return {
    identity,
    warm: { installable, cwd, system: (flags.system as string | undefined) ?? defaultSystem() },
    realStoreDir: storeLocationAt(defaultStoreRoot(store, env)).realStoreDir,
    output: resolve(cwd, (flags.output as string | undefined) ?? defaultOutput(format)),
    cacheDir: join(nixociCacheDir(env), BUILD_CACHE_VERSION),
  };
}

/**
 * The flake's warm key parts for this build. Only local flakes (a git working
 * tree or a path) are answered here: other references need the flake-ref
 * parser, which the no-op path does not load.
 */
export function buildWarmParts(probe: BuildProbe): WarmKeyParts | undefined {
  return warmKeyParts(probe.warm, probe.realStoreDir, () => {
    throw new Error("not a local flake");
  });
}

/** What to print when the cache answers this build, or undefined (a miss: build). */
export function lookupBuild(probe: BuildProbe): { messages: string[]; summary: PrintedSummary } | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryFile(probe), "utf8")) as Entry;
  } catch {
    return undefined;
  }
  if (entry.identity !== probe.identity) return undefined;
  // Cheapest checks first; git status last.
  const output = outputSignature(probe.output);
  if (output === undefined || !sameList(output, entry.output)) return undefined;
  for (const [path, sig] of Object.entries(entry.paths)) if (storePathSignature(probe.realStoreDir, path) !== sig) return undefined;
  const warm = buildWarmParts(probe);
  if (warm === undefined || !sameList(warm.parts, entry.warm)) return undefined;
  return { messages: warm.messages, summary: entry.summary };
}

/** What a finished build hands to recordBuild. */
export interface FinishedBuild {
  drvPath: string;
  outputs: Record<string, string>;
  closure: readonly string[];
  settingsReferences: readonly string[];
  reproducible: boolean;
  summary: PrintedSummary;
}

/**
 * Remember a finished build, when it may be replayed: its warm parts were the
 * same before and after it (nothing changed while it ran) and `warmAnswer`
 * (what the warm evaluation cache holds for those parts) is the drvPath it
 * built, i.e. the evaluation was pure and its lock file complete. Written
 * atomically. Returns whether it recorded.
 */
export function recordBuild(
  probe: BuildProbe,
  before: WarmKeyParts,
  build: FinishedBuild,
  warmAnswer: (parts: string[]) => { drvPath: string; outputs: Record<string, string> } | undefined,
): boolean {
  if (!build.reproducible) return false;
  const after = buildWarmParts(probe);
  if (after === undefined || !sameList(before.parts, after.parts)) return false;
  const answer = warmAnswer(after.parts);
  if (answer === undefined || answer.drvPath !== build.drvPath || JSON.stringify(answer.outputs) !== JSON.stringify(build.outputs)) return false;
  const output = outputSignature(probe.output);
  if (output === undefined) return false;
  const paths: Record<string, string> = {};
  for (const p of [build.drvPath, ...Object.values(build.outputs), ...build.closure, ...build.settingsReferences]) paths[p] = storePathSignature(probe.realStoreDir, p);
  const entry: Entry = { identity: probe.identity, warm: after.parts, paths, output, summary: build.summary };
  try {
    mkdirSync(probe.cacheDir, { recursive: true });
    const file = entryFile(probe);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, file);
    return true;
  } catch {
    // A cache that cannot be written (read-only home, full disk) must not fail the build.
    return false;
  }
}

function entryFile(probe: BuildProbe): string {
  return join(probe.cacheDir, `${fnv1a64(probe.identity)}.json`);
}

/** Inode and ctime of a store path: both change when it is deleted and created again. */
function storePathSignature(realStoreDir: string, path: string): string {
  if (!path.startsWith(`${LOGICAL_STORE_DIR}/`)) return "not-a-store-path";
  try {
    const st = lstatSync(realStoreDir + path.slice(LOGICAL_STORE_DIR.length), { bigint: true });
    return `${st.ino}:${st.ctimeNs}`;
  } catch {
    return "missing";
  }
}

/** lstat lines of the output file, or of every entry of a layout directory; undefined when absent. */
function outputSignature(output: string): string[] | undefined {
  try {
    return statWalk(output).entries;
  } catch {
    return undefined;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
