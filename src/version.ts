import { readFileSync } from "node:fs";

/**
 * nixoci's version (package.json; the same relative path from src/ and dist/). Caches key on it.
 * Read as a file rather than through createRequire: starting the CommonJS loader costs ~6 ms,
 * which a no-op build notices.
 */
export const NIXOCI_VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
