/**
 * Modules that synchronous code loads on first use. The evaluator is synchronous, yet most
 * evaluations never fetch a tree, lock a flake, parse TOML or match a regex; loading those modules (and the Node
 * built-ins they pull in) at start-up was half of a small `nixoci instantiate`'s time.
 *
 * In tsc's per-file build a deferred module is `require`d (Node ≥ 20.19 loads ES modules that way, into the
 * same module cache `import` uses, so classes keep their identity). Hosts that transpile sources on
 * import (vitest) cannot `require` them: they call {@link preloadDeferred} once before use. The CLI's
 * bundle has its own loader with the same interface (deferredBundle.ts).
 */
import { createRequire } from "node:module";
import { DEFERRED_SPECIFIERS, type DeferredModules, type DeferredName } from "./deferredModules.js";

const loaded: Partial<DeferredModules> = {};
let require: NodeRequire | undefined;

/** The module named `name`, loaded now if it was not yet. */
export function deferred<K extends DeferredName>(name: K): DeferredModules[K] {
  const m = loaded[name];
  if (m !== undefined) return m;
  require ??= createRequire(import.meta.url);
  return (loaded[name] = require(DEFERRED_SPECIFIERS[name]) as DeferredModules[K]);
}

/** Loads every deferred module with `import` (for hosts where `require` cannot load our sources). */
export async function preloadDeferred(): Promise<void> {
  await Promise.all(
    (Object.keys(DEFERRED_SPECIFIERS) as DeferredName[]).map(async (name) => {
      (loaded as Record<string, unknown>)[name] = await import(DEFERRED_SPECIFIERS[name]);
    }),
  );
}
