export * from "./errors.js";
export * from "./nixbase32.js";
export * from "./hash.js";
export * from "./storePath.js";
