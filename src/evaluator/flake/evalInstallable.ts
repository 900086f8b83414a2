/**
 * From `FLAKEREF#ATTR` to what the build pipeline needs, as plain data:
 * drvPath, outputs, name/version, meta.mainProgram and the `nixoci` image
 * settings. Results are kept in the evaluation cache, keyed by the locked
 * flake's fingerprint, so an unchanged flake is not evaluated again.
 */
import { NixociError } from "../../errors.js";
import type { Pos } from "../ast.js";
import { valueToJson } from "../builtins/conv.js";
import { EvalError } from "../evalError.js";
import { Evaluator } from "../evaluator.js";
import { formatEvalError } from "../cli/formatError.js";
import { type Lazy, NixAttrs, type Value, fromBytes, toBytes } from "../values.js";
import { parseDrvName } from "../lib/versions.js";
import { ParseError } from "../parseErrors.js";
import type { EvalStore } from "../storeApi.js";
import { EvalCache, flakeFingerprint } from "./evalCache.js";
import { callFlake, describeRef, type FlakeHost, lockFlake, parseRefOrThrow, selectPath } from "./flake.js";
import { buildAttrCandidates, parseInstallable } from "./installable.js";

const noPos: Pos = { file: "«flake»", line: 0, column: 0 };

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
}

export interface EvalResponse {
  info?: PackageInfo;
  /** Already formatted, Nix-style. */
  error?: string;
  /** Lines for stderr (warnings, traces). */
  messages: string[];
  cached: boolean;
}

/** Bumped when PackageInfo's meaning changes. */
const CACHE_KEY_VERSION = "pkg-v1";

export class FlakeAttrError extends NixociError {}

/**
 * Evaluate (synchronously) on the given store. Callers run this on a
 * big-stack worker; errors come back formatted.
 */
export function evaluateInstallable(req: EvalRequest, store: EvalStore & { narHashOf(p: string): string }): EvalResponse {
  const messages: string[] = [];
  const ev = new Evaluator({ store, system: req.system, pureEval: true, traceSink: (l) => messages.push(l) });
  const host: FlakeHost = { ev, narHashOf: (p) => store.narHashOf(p) };
  try {
    const installable = parseInstallable(req.installable, req.cwd, (s) => parseRefOrThrow(s, req.cwd));
    const locked = lockFlake(host, installable.ref, {
      cwd: req.cwd,
      updateInputs: req.updateInputs,
      noWriteLock: req.noWriteLock,
      warn: (l) => messages.push(l),
    });
    const candidates = buildAttrCandidates(installable, req.system);
    const fingerprint = flakeFingerprint({
      rootNarHash: String(locked.sourceInfo.narHash),
      dir: typeof installable.ref.dir === "string" ? installable.ref.dir : "",
      lockText: locked.lockText,
      extra: [req.system, CACHE_KEY_VERSION],
    });
    const cacheKey = candidates.map((c) => c.join(".")).join("|");
    const cache = req.noEvalCache ? undefined : new EvalCache(req.evalCachePath);
    try {
      const hit = cache?.get<PackageInfo>(fingerprint, cacheKey);
      // A cached drvPath is only useful while the .drv is still in the store.
      if (hit && store.isValidPath(hit.drvPath)) return { info: hit, messages, cached: true };

      const flake = callFlake(host, locked);
      let found: { path: string[]; value: Value } | undefined;
      for (const path of candidates) {
        const v = selectPath(ev, flake, path);
        if (v !== undefined) {
          found = { path, value: v };
          break;
        }
      }
      if (!found) throw new FlakeAttrError(missingAttrMessage(ev, flake, describeRef(locked.ref), candidates, req.system));
      const info = packageInfo(ev, found.path, found.value, {
        url: describeRef(locked.ref),
        description: locked.description,
        rev: typeof locked.sourceInfo.rev === "string" ? locked.sourceInfo.rev : undefined,
        lastModified: typeof locked.sourceInfo.lastModified === "number" ? locked.sourceInfo.lastModified : undefined,
      });
      cache?.put(fingerprint, cacheKey, info);
      return { info, messages, cached: false };
    } finally {
      cache?.close();
    }
  } catch (e) {
    if (e instanceof EvalError) return { error: formatEvalError(e, ev.sources, req.showTrace ?? false), messages, cached: false };
    if (e instanceof ParseError || e instanceof NixociError) return { error: e.message.startsWith("error:") ? e.message : `error: ${e.message}`, messages, cached: false };
    throw e;
  }
}

function str(ev: Evaluator, v: Lazy | undefined, what: string): string | undefined {
  if (v === undefined) return undefined;
  return fromBytes(ev.forceStringNoCtx(v, noPos, `while evaluating ${what}`));
}

function packageInfo(ev: Evaluator, attrPath: string[], value: Value, flake: PackageInfo["flake"]): PackageInfo {
  const where = attrPath.join(".");
  const attrs = ev.force(value);
  if (!(attrs instanceof NixAttrs) || !ev.isDerivation(attrs)) {
    throw new FlakeAttrError(`flake output attribute '${where}' is not a derivation`);
  }
  const get = (n: string) => attrs.get(toBytes(n));
  const drvPath = fromBytes(ev.forceString(get("drvPath")!, noPos, `while evaluating the drvPath of '${where}'`));
  const outputNames = get("outputs") ? ev.forceList(get("outputs")!, noPos).map((o) => fromBytes(ev.forceStringNoCtx(o, noPos))) : ["out"];
  const outputs: Record<string, string> = {};
  for (const o of outputNames) {
    const out = selectPath(ev, attrs, [o, "outPath"]);
    outputs[o] = fromBytes(ev.forceString(out ?? null, noPos, `while evaluating the output '${o}' of '${where}'`));
  }
  const name = str(ev, get("name"), "the derivation name") ?? "image";
  const parsed = parseDrvName(name);
  const meta = get("meta");
  const metaAttrs = meta === undefined ? undefined : ev.forceAttrs(meta, noPos, `while evaluating meta of '${where}'`);
  const mainProgram = str(ev, metaAttrs?.get(toBytes("mainProgram")), "meta.mainProgram");
  const toInstall = metaAttrs?.get(toBytes("outputsToInstall"));
  const installOutputs = toInstall ? ev.forceList(toInstall, noPos).map((o) => fromBytes(ev.forceStringNoCtx(o, noPos))) : [outputNames[0]!];

  let settings: unknown;
  const settingsReferences = new Set<string>();
  const nixoci = get("nixoci");
  if (nixoci !== undefined) {
    const ctx = new Set<string>();
    settings = JSON.parse(fromBytes(valueToJson(ev, nixoci, ctx, true, noPos)));
    for (const c of ctx) settingsReferences.add(contextPath(c));
  }
  return {
    attrPath,
    drvPath,
    outputs,
    installOutputs,
    name,
    pname: str(ev, get("pname"), "pname") ?? parsed.name,
    version: str(ev, get("version"), "version") ?? parsed.version,
    system: str(ev, get("system"), "the derivation system") ?? "x86_64-linux",
    mainProgram,
    settings,
    settingsReferences: [...settingsReferences].sort(),
    flake,
  };
}

/** A string-context element ("/nix/store/x", "!out!/nix/store/x.drv", "=/nix/store/x.drv") → its store path. */
function contextPath(c: string): string {
  if (c.startsWith("!")) return c.slice(c.indexOf("!", 1) + 1);
  if (c.startsWith("=")) return c.slice(1);
  return c;
}

function missingAttrMessage(ev: Evaluator, flake: NixAttrs, url: string, candidates: string[][], system: string): string {
  const tried = candidates.map((c) => `'${c.join(".")}'`).join(", ");
  const lines = [`flake '${url}' does not provide attribute ${tried}`];
  const available: string[] = [];
  for (const top of ["packages", "legacyPackages"]) {
    const bySystem = selectPath(ev, flake, [top, system]);
    if (bySystem instanceof NixAttrs) for (const n of bySystem.keys()) available.push(`${top}.${system}.${fromBytes(n)}`);
  }
  if (available.length) lines.push(`available packages for ${system}:`, ...available.slice(0, 30).map((a) => `  ${a}`));
  else {
    const systems = selectPath(ev, flake, ["packages"]);
    if (systems instanceof NixAttrs && systems.keys().length) lines.push(`the flake has packages for: ${systems.keys().map(fromBytes).join(", ")} (use --system)`);
    else lines.push(`the flake's outputs are: ${flake.keys().filter((k) => !["inputs", "outputs", "sourceInfo", "_type", "outPath", "narHash", "lastModified", "lastModifiedDate", "rev", "shortRev", "revCount", "submodules", "dirtyRev", "dirtyShortRev"].includes(k)).map(fromBytes).join(", ") || "(none)"}`);
  }
  return lines.join("\n");
}

/** Evaluate on a big-stack worker thread with its own handle on the store at `storeRoot`. */
export async function evaluateInstallableOnWorker(request: EvalRequest, storeRoot: string | undefined): Promise<EvalResponse> {
  const { runOnBigStack } = await import("../cli/bigStack.js");
  return runOnBigStack<EvalResponse>(new URL("./evalWorker.js", import.meta.url), { request, storeRoot });
}
