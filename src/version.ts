import { createRequire } from "node:module";

/** nixoci's version (package.json; the same relative path from src/ and dist/). Caches key on it. */
export const NIXOCI_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
