#!/usr/bin/env node
// Benchmark of OCI image building (run after `npm run build`):
//   node bench/oci.bench.mjs            ~1 GB, 5000 store paths
//   BENCH_MB=200 BENCH_PATHS=1000 node bench/oci.bench.mjs
// Prints: cold build time vs `tar -c | gzip -1 | sha256sum` of the same tree
// (both at gzip level 1), rebuild after one store path changes, peak RSS.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../dist/oci/buildImage.js";
import { LayerCache } from "../dist/oci/layerCache.js";
import { writeOutput } from "../dist/oci/output.js";

const totalMB = Number(process.env.BENCH_MB ?? 1024);
const nPaths = Number(process.env.BENCH_PATHS ?? 5000);
const nLayers = Math.min(100, nPaths);
const work = mkdtempSync(join(tmpdir(), "nixoci-bench-"));
const store = join(work, "store");
mkdirSync(store);

// Half random (incompressible), half text: roughly how binaries and docs mix.
const pool = Buffer.concat([randomBytes(512 * 1024), Buffer.from("lorem ipsum dolor sit amet ".repeat(20000)).subarray(0, 512 * 1024)]);
const hash = (i) => i.toString(32).padStart(32, "0").replace(/[eotu]/g, "a");
const paths = [];
// Heavy-tailed sizes: a few paths hold most of the bytes.
const weights = Array.from({ length: nPaths }, (_, i) => 1 / (1 + (i % 97)) ** 1.5);
const wsum = weights.reduce((a, b) => a + b, 0);
let offset = 0;
for (let i = 0; i < nPaths; i++) {
  const p = `/nix/store/${hash(i)}-pkg-${i}`;
  paths.push(p);
  const dir = join(store, p.slice(11));
  mkdirSync(join(dir, "lib"), { recursive: true });
  let bytes = Math.floor((weights[i] / wsum) * totalMB * 1024 * 1024);
  for (let f = 0; bytes > 0; f++) {
    const n = Math.min(bytes, 4 * 1024 * 1024);
    const chunks = [];
    for (let left = n; left > 0; ) {
      const start = offset % pool.length;
      const take = Math.min(left, pool.length - start);
      chunks.push(pool.subarray(start, start + take));
      left -= take;
      offset += take + 7919;
    }
    writeFileSync(join(dir, "lib", `f${f}.so`), Buffer.concat(chunks));
    bytes -= n;
  }
  writeFileSync(join(dir, "README"), `package ${i}\n`);
}
const groups = Array.from({ length: nLayers }, (_, g) => paths.filter((_, i) => i % nLayers === g));
const du = execFileSync("du", ["-sm", store], { encoding: "utf8" }).split("\t")[0];
console.log(`closure: ${nPaths} paths, ${du} MB, ${nLayers} layers`);

const time = async (fn) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

const ref = await time(async () => execFileSync("sh", ["-c", `tar -c -C "${store}" . | gzip -1 | sha256sum`], { stdio: "ignore" }));
console.log(`reference tar|gzip -1|sha256sum: ${ref.toFixed(2)} s`);

const cacheDir = join(work, "cache");
const roots = { "/nix/store": store };
const settings = { entrypoint: [`${paths[0]}/README`] };
const build = (cache, layers) =>
  buildImage({ layers, roots, settings, cache, level: 1, env: { SOURCE_DATE_EPOCH: "1" } }).then((img) =>
    writeOutput({ format: "layout", output: join(work, "out"), images: [img], ref: "bench:1" }).then(() => img),
  );

const cold = new LayerCache(cacheDir);
const coldT = await time(() => build(cold, groups));
console.log(`nixoci cold build (layout, gzip -1): ${coldT.toFixed(2)} s  ratio ${(coldT / ref).toFixed(2)}x  (built ${cold.stats.built} layers)`);

// One store path changes: a new path (new name, as in Nix) replaces the old one.
const changed = `/nix/store/${hash(nPaths + 1)}-pkg-changed`;
renameSync(join(store, paths[5].slice(11)), join(store, changed.slice(11)));
const groups2 = groups.map((g) => g.map((p) => (p === paths[5] ? changed : p)));
const warm = new LayerCache(cacheDir);
const warmT = await time(() => build(warm, groups2));
console.log(`nixoci rebuild, one path changed: ${warmT.toFixed(2)} s  ratio ${(warmT / ref).toFixed(3)}x vs reference  (built ${warm.stats.built}, reused ${warm.stats.reused})`);

const same = new LayerCache(cacheDir);
const sameT = await time(() => build(same, groups2));
console.log(`nixoci rebuild, unchanged: ${sameT.toFixed(2)} s  (built ${same.stats.built}, reused ${same.stats.reused})`);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
rmSync(work, { recursive: true, force: true });
