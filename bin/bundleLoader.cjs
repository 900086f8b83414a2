// Loads one of the CLI's CommonJS bundles (dist/bundle/*.cjs) as Node's require would, but compiled
// from V8's code cache: compiling the bundle is a large part of a small command's start-up, and Node 20
// keeps no code cache for our modules. scripts/bundle.mjs ends each bundle with a comment holding the
// SHA-256 of what precedes it, and after a warm-up run writes FILE.cache next to it: that hash, then
// V8's data. A cache whose hash is not the bundle's is not used (V8 itself checks only the source's
// length), and V8 rejects one made by another Node or with other V8 flags: the bundle is then compiled
// from source, as require would.
"use strict";
const { readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname } = require("node:path");
const { Script } = require("node:vm");

/** The bundle's last characters: its hash, in hex. */
const HASH_HEX = 64;

/** The bundle's exports, and `writeCache()`, which stores what V8 has compiled of it by then. */
function loadBundle(file) {
  const source = readFileSync(file, "utf8");
  // Hashing the source here would cost more than the cache saves (node:crypto alone is ~5 ms).
  const key = Buffer.from(source.slice(-HASH_HEX), "hex");
  let cachedData;
  try {
    const cache = readFileSync(`${file}.cache`);
    if (key.length === 32 && cache.subarray(0, 32).equals(key)) cachedData = cache.subarray(32);
  } catch {}
  // No import() callback: the bundles have no import() (bundle.mjs turns them into require), and
  // Node 20 warns that the callback is experimental.
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  // A module as require makes one, in require.cache like any other.
  const module = new Module(file, require.main);
  module.filename = file;
  require.cache[file] = module;
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return {
    exports: module.exports,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    writeCache() {
      const tmp = `${file}.cache.${process.pid}`;
      writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
      renameSync(tmp, `${file}.cache`);
    },
  };
}

module.exports = { loadBundle };
