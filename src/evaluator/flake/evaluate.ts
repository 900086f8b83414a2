/**
 * Evaluating `FLAKEREF#ATTR` (synchronously, on the caller's thread): lock the
 * flake, consult the evaluation cache by the locked flake's fingerprint, else
 * call its outputs and read what the build pipeline needs (PackageInfo).
 */
import { NIXOCI_VERSION } from "../../version.js";
import { NixociError } from "../../errors.js";
import type { Pos } from "../ast.js";
import { valueToJson } from "../builtins/conv.js";
import { EvalError } from "../evalError.js";
import { restrictPaths } from "../builtins/flakeBuiltins.js";
import { Evaluator, FLAKE_FEATURES } from "../evaluator.js";
import { formatEvalError } from "../cli/formatError.js";
import { filterAnsiEscapes } from "../cli/logText.js";
import { type Lazy, NixAttrs, type Value, fromBytes, toBytes } from "../values.js";
import { parseDrvName } from "../lib/versions.js";
import { ParseError } from "../parseErrors.js";
import type { EvalStore } from "../storeApi.js";
import { EvalCache, defaultEvalCachePath, flakeFingerprint } from "./evalCache.js";
import { defaultFetchCachePath, FetchCache } from "./fetchCache.js";
import { callFlake, describeRef, type FlakeHost, lockFlake, parseRefOrThrow, selectPath } from "./flake.js";
import { buildAttrCandidates, parseCliFlakeRef, parseInstallable, showAttrPaths } from "./installable.js";
import { flakeRefToString28 } from "./refString.js";
import { recordWarm, warmKey } from "./warmPath.js";
import type { EvalRequest, EvalResponse, PackageInfo } from "./evalInstallable.js";

const noPos: Pos = { file: "«flake»", line: 0, column: 0 };

/** Bumped when PackageInfo's meaning changes. */
const CACHE_KEY_VERSION = "pkg-v1";

export class FlakeAttrError extends NixociError {}

/**
 * Evaluate (synchronously) on the given store. Callers run this on a
 * big-stack worker; errors come back formatted.
 */
export function evaluateInstallable(req: EvalRequest, store: EvalStore & { narHashOf(p: string): string }): EvalResponse {
  const messages: string[] = [];
  // The evaluator's lines and messages are byte strings; what this returns is text.
  const ev = new Evaluator({ store, system: req.system, pureEval: !req.impure, experimentalFeatures: FLAKE_FEATURES, env: process.env, traceSink: (l) => messages.push(fromBytes(l)) });
  ev.showTrace = req.showTrace ?? false;
  if (!req.impure) restrictPaths(ev);
  const fetchCache = req.noFetchCache ? undefined : new FetchCache(req.fetchCachePath ?? defaultFetchCachePath(req.evalCachePath ?? defaultEvalCachePath()));
  const host: FlakeHost = { ev, narHashOf: (p) => store.narHashOf(p), fetchCache, warn: onceSink(messages) };
  const realStoreDir = store.toRealPath(`${store.storeDir}/`).replace(/\/$/, "");
  const warmBefore = warmKey(req, realStoreDir);
  try {
    const installable = parseInstallable(req.installable, req.cwd, (s) => parseRefOrThrow(s, req.cwd));
    const overrideInputs = Object.fromEntries(
      Object.entries(req.overrideInputs ?? {}).map(([path, ref]) => [path, parseCliFlakeRef(ref, req.cwd, (s) => parseRefOrThrow(s, req.cwd), false)]),
    );
    const locked = lockFlake(host, installable.ref, {
      cwd: req.cwd,
      updateInputs: req.updateInputs,
      overrideInputs,
      noWriteLock: req.noWriteLock,
      warn: (l) => messages.push(l),
    });
    const candidates = buildAttrCandidates(installable, req.system);
    const fingerprint = flakeFingerprint({
      rootNarHash: String(locked.sourceInfo.narHash),
      dir: typeof installable.ref.dir === "string" ? installable.ref.dir : "",
      lockText: locked.lockText,
      extra: [req.system, CACHE_KEY_VERSION, NIXOCI_VERSION, req.impure ? "impure" : "pure"],
    });
    const cacheKey = candidates.map((c) => c.join(".")).join("|");
    // As Nix: the evaluation cache serves pure evaluations only.
    const cache = req.noEvalCache || req.impure ? undefined : new EvalCache(req.evalCachePath);
    // Next time, answer without evaluating if nothing changed meanwhile and the lock was complete.
    const rememberWarm = (info: PackageInfo): void => {
      if (!cache || !warmBefore || locked.lockChanged) return;
      if (warmKey(req, realStoreDir)?.key === warmBefore.key) recordWarm(req.evalCachePath, warmBefore.key, info);
    };
    try {
      const hit = cache?.get<PackageInfo>(fingerprint, cacheKey);
      // A cached drvPath is only useful while the .drv is still in the store.
      if (hit && store.isValidPath(hit.drvPath)) {
        rememberWarm(hit);
        return { info: hit, messages, cached: true };
      }

      const flake = callFlake(host, locked);
      let found: { path: string[]; value: Value } | undefined;
      for (const path of candidates) {
        const v = selectPath(ev, flake, path);
        if (v !== undefined) {
          found = { path, value: v };
          break;
        }
      }
      if (!found) throw new FlakeAttrError(missingAttrMessage(ev, flake, flakeRefToString28(locked.ref), candidates, req.system));
      const info = packageInfo(ev, found.path, found.value, {
        url: describeRef(locked.ref),
        description: locked.description,
        rev: typeof locked.sourceInfo.rev === "string" ? locked.sourceInfo.rev : undefined,
        lastModified: typeof locked.sourceInfo.lastModified === "number" ? locked.sourceInfo.lastModified : undefined,
      });
      cache?.put(fingerprint, cacheKey, info);
      rememberWarm(info);
      return { info, messages, cached: false };
    } finally {
      cache?.close();
    }
  } catch (e) {
    // Without colour escapes (some messages have them, as Nix's): this text is printed as is.
    if (e instanceof EvalError) return { error: fromBytes(filterAnsiEscapes(formatEvalError(e, ev.sources, req.showTrace ?? false), false)), messages, cached: false };
    if (e instanceof ParseError) return { error: fromBytes(e.message), messages, cached: false };
    if (e instanceof NixociError) return { error: e.message.startsWith("error:") ? e.message : `error: ${e.message}`, messages, cached: false };
    throw e;
  } finally {
    fetchCache?.close();
  }
}

/** A warning sink that prints each distinct line once (fetching the same tree twice warns once). */
export function onceSink(lines: string[]): (line: string) => void {
  const seen = new Set<string>();
  return (line) => {
    if (seen.has(line)) return;
    seen.add(line);
    lines.push(line);
  };
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
    for (const c of ctx) for (const p of contextPaths(ev, c)) settingsReferences.add(p);
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

/**
 * The store paths an image needs for a string-context element: a plain path
 * as is; `!out!/nix/store/x.drv` the output path of `out` (not the .drv,
 * whose closure is the build-time one); `=/nix/store/x.drv` every output.
 */
function contextPaths(ev: Evaluator, c: string): string[] {
  if (c.startsWith("!")) {
    const bang = c.indexOf("!", 1);
    const output = ev.readDerivation(c.slice(bang + 1)).outputs.get(c.slice(1, bang));
    return output ? [output.path] : [];
  }
  if (c.startsWith("=")) return [...ev.readDerivation(c.slice(1)).outputs.values()].map((o) => o.path);
  return [c];
}

function missingAttrMessage(ev: Evaluator, flake: NixAttrs, url: string, candidates: string[][], system: string): string {
  const lines = [`flake '${url}' does not provide attribute ${showAttrPaths(candidates)}`];
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
