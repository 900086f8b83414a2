// Closure, layering and closure reports over a store's reference graph.
// Knows store paths, references and sizes; nothing about the Nix language.
export * from "./errors.js";
export * from "./graph.js";
export * from "./closure.js";
export * from "./popularity.js";
export * from "./layers.js";
export * from "./sizeLayers.js";
export * from "./whyDepends.js";
export * from "./formatters.js";
export * from "./storeTree.js";
export * from "./disallowed.js";
