/**
 * deferred.ts as the CLI's bundle has it (scripts/bundle.mjs puts this file in its place). The
 * literal imports below make esbuild give each deferred module a chunk of its own; the bundle
 * script lists those chunks in deferred.json. `deferred(name)` `require`s the chunk, which Node
 * loads synchronously into the module cache that `import` uses, so the chunks the bundle shares
 * (and their classes) stay single instances, and the chunk's own imports (child_process, TOML)
 * load only then.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { DeferredModules, DeferredName } from "./deferredModules.js";

/** Never run for loading: they are here for esbuild, and for preloadDeferred. */
const imports: { [K in DeferredName]: () => Promise<DeferredModules[K]> } = {
  flake: () => import("./evaluator/flake/flake.js"),
  fetchTree: () => import("./evaluator/flake/fetchTree.js"),
  download: () => import("./evaluator/flake/download.js"),
  flakeRef: () => import("./evaluator/lib/flakeRef.js"),
  toml: () => import("./evaluator/lib/toml.js"),
  regex: () => import("./evaluator/lib/regex.js"),
};

const loaded: Partial<DeferredModules> = {};
let chunks: Record<DeferredName, string> | undefined;
let require: NodeRequire | undefined;

/** The bundle's directory: import.meta.url is rewritten to this file's place in dist/ (bundle.mjs). */
const bundleDir = new URL("./bundle/", import.meta.url);

export function deferred<K extends DeferredName>(name: K): DeferredModules[K] {
  const m = loaded[name];
  if (m !== undefined) return m;
  chunks ??= JSON.parse(readFileSync(new URL("deferred.json", bundleDir), "utf8")) as Record<DeferredName, string>;
  require ??= createRequire(bundleDir);
  return (loaded[name] = require(`./${chunks[name]}`) as DeferredModules[K]);
}

export async function preloadDeferred(): Promise<void> {
  for (const name of Object.keys(imports) as DeferredName[]) (loaded as Record<string, unknown>)[name] = await imports[name]();
}
