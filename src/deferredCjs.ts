/**
 * deferred.ts as the CLI's CommonJS bundles have it (scripts/bundle.mjs puts this file in its place).
 * esbuild bundles each literal `require` below into the same file, as a module that runs (with the
 * Node built-ins and packages it imports) only when first required, so the bundle needs no other file.
 */
import type { DeferredModules, DeferredName } from "./deferredModules.js";

declare const require: (id: string) => unknown;

const load: { [K in DeferredName]: () => DeferredModules[K] } = {
  flake: () => require("./evaluator/flake/flake.js") as DeferredModules["flake"],
  fetchTree: () => require("./evaluator/flake/fetchTree.js") as DeferredModules["fetchTree"],
  download: () => require("./evaluator/flake/download.js") as DeferredModules["download"],
  flakeRef: () => require("./evaluator/lib/flakeRef.js") as DeferredModules["flakeRef"],
  toml: () => require("./evaluator/lib/toml.js") as DeferredModules["toml"],
  regex: () => require("./evaluator/lib/regex.js") as DeferredModules["regex"],
};

const loaded: Partial<DeferredModules> = {};

export function deferred<K extends DeferredName>(name: K): DeferredModules[K] {
  // Kept: each bundled require builds a new exports object.
  return (loaded[name] ??= load[name]());
}

export async function preloadDeferred(): Promise<void> {}
