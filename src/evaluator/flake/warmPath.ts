/**
 * The warm path: answering an unchanged local flake without loading the
 * evaluator, locking, or copying anything into the store.
 *
 * The key is a hash of warmKeyParts (warmKey.ts: cheap facts only). A full
 * evaluation records its PackageInfo under the key it saw before and after
 * evaluating, and only when the lock file was already complete, so a hit is
 * exactly what evaluating again would give. A hit also needs the .drv to
 * still be in the store.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defaultStoreRoot, LOGICAL_STORE_DIR, storeLocationAt } from "../../store/location.js";
import { parseFlakeRef } from "../lib/flakeRef.js";
import { defaultEvalCachePath } from "./evalCache.js";
import type { EvalRequest, EvalResponse, PackageInfo } from "./evalInstallable.js";
import { fetchCacheKey } from "./fetchCache.js";
import type { FlakeRefAttrs } from "./lockFile.js";
import { WARM_VERSION, warmKeyParts, type WarmKeyParts } from "./warmKey.js";

export interface WarmKey {
  key: string;
  /** What fetching would have said (the dirty-tree warning). */
  messages: string[];
}

/**
 * The warm key of a request, or undefined when the request cannot be answered
 * warm (not a local flake, inputs to update or override, a mutable input).
 * `realStoreDir` names the store (results are per store).
 */
export function warmKey(req: EvalRequest, realStoreDir: string): WarmKey | undefined {
  const wk = warmParts(req, realStoreDir);
  return wk && { key: fetchCacheKey(wk.parts), messages: wk.messages };
}

function warmParts(req: EvalRequest, realStoreDir: string): WarmKeyParts | undefined {
  return warmKeyParts(req, realStoreDir, (s, cwd) => parseFlakeRef(s, cwd) as FlakeRefAttrs);
}

/** Where warm answers live: one small JSON file per key, next to the evaluation cache. */
export function warmDir(evalCachePath: string | undefined): string {
  return join(dirname(evalCachePath ?? defaultEvalCachePath()), WARM_VERSION);
}

/** Remember `info` as the answer for `key` (atomically: a reader sees the old file or the new one). */
export function recordWarm(evalCachePath: string | undefined, key: string, info: PackageInfo): void {
  const dir = warmDir(evalCachePath);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${key}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(info));
  renameSync(tmp, join(dir, `${key}.json`));
}

/** The PackageInfo recorded under these warm key parts (warmKey.ts), without checking the store. */
export function readWarm(parts: readonly string[], evalCachePath?: string): PackageInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(warmDir(evalCachePath), `${fetchCacheKey(parts)}.json`), "utf8")) as PackageInfo;
  } catch {
    return undefined;
  }
}

/**
 * The PackageInfo recorded for this request, if its .drv is still in the store at `storeRoot`.
 * No SQLite here (loading it costs more than the rest of the warm path): the entry is a
 * file, and the .drv is checked on disk; the store writes objects before registering
 * them and removes unregistered ones when it opens, so a present .drv is a valid one.
 */
export function lookupWarm(req: EvalRequest, storeRoot: string | undefined): EvalResponse | undefined {
  const realStoreDir = storeLocationAt(defaultStoreRoot(storeRoot)).realStoreDir;
  const wk = warmParts(req, realStoreDir);
  const info = wk && readWarm(wk.parts, req.evalCachePath);
  if (!wk || !info) return undefined;
  if (!info.drvPath.startsWith(`${LOGICAL_STORE_DIR}/`) || !existsSync(realStoreDir + info.drvPath.slice(LOGICAL_STORE_DIR.length))) return undefined;
  return { info, messages: wk.messages, cached: true };
}
