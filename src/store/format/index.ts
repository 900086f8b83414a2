export * from "./errors.js";
export * from "./nixbase32.js";
export * from "./hash.js";
export * from "./storePath.js";
export * from "./derivationTypes.js";
export * from "./aterm.js";
export * from "./derivation.js";
