/**
 * A flake installable's value, for `nixoci eval FLAKEREF#ATTR` (as `nix eval`):
 * lock the flake, call its outputs under flake-mode purity, and select the
 * attribute the way `nix` does (the path as given, then under
 * `packages.<system>` and `legacyPackages.<system>`). The caller prints the
 * value with the returned evaluator; errors are thrown (EvalError, NixociError).
 */
import { restrictPaths } from "../builtins/flakeBuiltins.js";
import { Evaluator, type EvaluatorOptions, FLAKE_FEATURES } from "../evaluator.js";
import type { EvalStore } from "../storeApi.js";
import type { Value } from "../values.js";
import { defaultEvalCachePath } from "./evalCache.js";
import { defaultFetchCachePath, FetchCache } from "./fetchCache.js";
import { callFlake, FlakeError, type FlakeHost, lockFlake, parseRefOrThrow, selectPath } from "./flake.js";
import { buildAttrCandidates, parseCliFlakeRef, parseInstallable, showAttrPaths } from "./installable.js";
import { flakeRefToString28 } from "./refString.js";

export interface EvalValueRequest {
  installable: string;
  cwd: string;
  system: string;
  impure?: boolean;
  updateInputs?: string[];
  overrideInputs?: Record<string, string>;
  noWriteLock?: boolean;
  fetchCachePath?: string;
  noFetchCache?: boolean;
}

export interface EvaluatedValue {
  ev: Evaluator;
  value: Value;
  attrPath: string[];
  /** Warnings for stderr (lock file updates, dirty trees). */
  messages: string[];
}

/**
 * An evaluator in flake mode (pure unless `impure`, the flakes feature on whatever else `more` enables);
 * traces go to `messages`.
 */
export function makeFlakeEvaluator(
  req: Pick<EvalValueRequest, "system" | "impure">,
  store: EvalStore,
  messages: string[],
  more: Pick<EvaluatorOptions, "experimentalFeatures" | "abortOnWarn"> = {},
): Evaluator {
  const experimentalFeatures = [...(more.experimentalFeatures ?? []), ...FLAKE_FEATURES];
  const ev = new Evaluator({ ...more, store, system: req.system, pureEval: !req.impure, env: process.env, traceSink: (l) => messages.push(l), experimentalFeatures });
  if (!req.impure) restrictPaths(ev);
  return ev;
}

/** `ev` may be given (from {@link makeFlakeEvaluator}) so that the caller can format an error with its sources. */
export function evalInstallableValue(
  req: EvalValueRequest,
  store: EvalStore & { narHashOf(p: string): string },
  messages: string[] = [],
  ev: Evaluator = makeFlakeEvaluator(req, store, messages),
): EvaluatedValue {
  const fetchCache = req.noFetchCache ? undefined : new FetchCache(req.fetchCachePath ?? defaultFetchCachePath(defaultEvalCachePath()));
  try {
    const host: FlakeHost = { ev, narHashOf: (p) => store.narHashOf(p), fetchCache, warn: (l) => messages.push(l) };
    const parseRef = (s: string) => parseRefOrThrow(s, req.cwd);
    const installable = parseInstallable(req.installable, req.cwd, parseRef);
    const overrideInputs = Object.fromEntries(Object.entries(req.overrideInputs ?? {}).map(([k, v]) => [k, parseCliFlakeRef(v, req.cwd, parseRef, false)]));
    const locked = lockFlake(host, installable.ref, { cwd: req.cwd, updateInputs: req.updateInputs, overrideInputs, noWriteLock: req.noWriteLock, warn: (l) => messages.push(l) });
    const flake = callFlake(host, locked);
    const outputs = ev.force(flake.get("outputs")!);
    const candidates = buildAttrCandidates(installable, req.system);
    for (const path of candidates) {
      const v = selectPath(ev, outputs, path);
      if (v !== undefined) return { ev, value: v, attrPath: path, messages };
    }
    throw new FlakeError(`flake '${flakeRefToString28(locked.ref)}' does not provide attribute ${showAttrPaths(candidates)}`);
  } finally {
    fetchCache?.close();
  }
}
