/**
 * The modules synchronous code loads on first use (see deferred.ts): their paths, relative to
 * src/ (dist/ in the build), and their types. TypeScript needs literal paths in `typeof import`,
 * so each path is written twice.
 */
export const DEFERRED_SPECIFIERS = {
  flake: "./evaluator/flake/flake.js",
  fetchTree: "./evaluator/flake/fetchTree.js",
  download: "./evaluator/flake/download.js",
  flakeRef: "./evaluator/lib/flakeRef.js",
  toml: "./evaluator/lib/toml.js",
  regex: "./evaluator/lib/regex.js",
} as const;

export interface DeferredModules {
  flake: typeof import("./evaluator/flake/flake.js");
  fetchTree: typeof import("./evaluator/flake/fetchTree.js");
  download: typeof import("./evaluator/flake/download.js");
  flakeRef: typeof import("./evaluator/lib/flakeRef.js");
  toml: typeof import("./evaluator/lib/toml.js");
  regex: typeof import("./evaluator/lib/regex.js");
}

export type DeferredName = keyof DeferredModules;
