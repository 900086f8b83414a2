/**
 * Modules that synchronous code loads on first use. The evaluator is synchronous, yet most
 * evaluations never fetch a tree, lock a flake, parse TOML or match a regex; loading those modules (and the Node
 * built-ins they pull in) at start-up was half of a small `nixoci instantiate`'s time.
 *
 * In the built CLI a deferred module is `require`d (Node ≥ 20.19 loads ES modules that way, into the
 * same module cache `import` uses, so classes keep their identity). Hosts that transpile sources on
 * import (vitest) cannot `require` them: they call {@link preloadDeferred} once before use.
 */
import { createRequire } from "node:module";

/** Every deferred module, relative to this file (src/ or dist/). */
const specifiers = {
  flake: "./evaluator/flake/flake.js",
  fetchTree: "./evaluator/flake/fetchTree.js",
  download: "./evaluator/flake/download.js",
  flakeRef: "./evaluator/lib/flakeRef.js",
  toml: "./evaluator/lib/toml.js",
  regex: "./evaluator/lib/regex.js",
} as const;

interface Modules {
  flake: typeof import("./evaluator/flake/flake.js");
  fetchTree: typeof import("./evaluator/flake/fetchTree.js");
  download: typeof import("./evaluator/flake/download.js");
  flakeRef: typeof import("./evaluator/lib/flakeRef.js");
  toml: typeof import("./evaluator/lib/toml.js");
  regex: typeof import("./evaluator/lib/regex.js");
}

const loaded: Partial<Modules> = {};
let require: NodeRequire | undefined;

/** The module named `name`, loaded now if it was not yet. */
export function deferred<K extends keyof Modules>(name: K): Modules[K] {
  const m = loaded[name];
  if (m !== undefined) return m;
  require ??= createRequire(import.meta.url);
  return (loaded[name] = require(specifiers[name]) as Modules[K]);
}

/** Loads every deferred module with `import` (for hosts where `require` cannot load our sources). */
export async function preloadDeferred(): Promise<void> {
  await Promise.all(
    (Object.keys(specifiers) as (keyof Modules)[]).map(async (name) => {
      (loaded as Record<string, unknown>)[name] = await import(specifiers[name]);
    }),
  );
}
