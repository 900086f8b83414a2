#!/usr/bin/env node
// Registry push benchmark (run after `npm run build`):
//   node bench/push.bench.mjs            200 MB image, 3 gzip layers of random bytes
//   BENCH_MB=50 node bench/push.bench.mjs
// Against one local docker-registry (127.0.0.1, no auth), times:
//   cold push:  skopeo copy oci:LAYOUT docker://… (blob-info cache deleted first) vs
//               nixoci push --from-layout (no blob cache), fresh repository names each run;
//   no-op push: the same again into the repository that already has everything;
//   pull:       skopeo copy docker://… oci:DIR vs nixoci copy docker://… oci:DIR.
// Prints times and ratios (nixoci / skopeo; < 1 is faster). Never asserts on time.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { fileLayer, newImage } from "../dist/oci/image.js";
import { readLayout, writeLayout } from "../dist/oci/layout.js";
import { MediaType } from "../dist/oci/spec.js";
import { pushImage } from "../dist/oci/registry/push.js";
import { dirSource } from "../dist/oci/dirSource.js";

const totalMB = Number(process.env.BENCH_MB ?? 200);
const runs = Number(process.env.BENCH_RUNS ?? 2);
const work = mkdtempSync(join(tmpdir(), "nixoci-pushbench-"));
// The launcher, as `npx nixoci` runs it (it keeps Node from parsing NODE_EXTRA_CA_CERTS at start-up).
const bin = new URL("../bin/nixoci", import.meta.url).pathname;
const skopeoCache = "/var/lib/containers/cache/blob-info-cache-v1.boltdb";

async function gzipRandomFile(path, mb) {
  const chunk = 1024 * 1024;
  let left = mb;
  const src = new Readable({
    read() {
      this.push(left-- > 0 ? randomBytes(chunk) : null);
    },
  });
  await pipeline(src, createGzip({ level: 1 }), createWriteStream(path));
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function time(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const fmt = (s) => `${s.toFixed(2)} s`;

try {
  // 1. The image: 50%, 35%, 15% of the size.
  const sizes = [0.5, 0.35, 0.15].map((f) => Math.max(1, Math.round(f * totalMB)));
  const layers = [];
  for (const [i, mb] of sizes.entries()) {
    const f = join(work, `layer${i}.gz`);
    await gzipRandomFile(f, mb);
    layers.push(fileLayer(f, MediaType.OciLayerGzip));
  }
  const image = newImage({ config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }, layers });
  const layout = join(work, "layout");
  await writeLayout(layout, image, { tag: "bench" });

  // 2. A registry.
  const port = await freePort();
  const cfg = join(work, "config.yml");
  writeFileSync(
    cfg,
    `version: 0.1\nlog: { level: error, accesslog: { disabled: true } }\n` +
      `storage: { filesystem: { rootdirectory: ${join(work, "data")} }, delete: { enabled: true } }\n` +
      `http: { addr: 127.0.0.1:${port} }\n`,
  );
  const registry = spawn("docker-registry", ["serve", cfg], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => net.connect(port, "127.0.0.1").once("connect", function () { this.destroy(); r(true); }).once("error", () => r(false)));
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const host = `127.0.0.1:${port}`;
  const env = { XDG_CACHE_HOME: join(work, "cache") };
  const ours = (repo) => time(bin, ["push", `${host}/${repo}:bench`, "--from-layout", `${layout}:bench`, "--no-blob-cache", "-q"], env);
  const skopeo = (repo) =>
    time("skopeo", ["copy", "-q", "--dest-tls-verify=false", `oci:${layout}:bench`, `docker://${host}/${repo}:bench`]);

  try {
    const cold = { skopeo: [], nixoci: [] };
    for (let r = 0; r < runs; r++) {
      rmSync(skopeoCache, { force: true });
      cold.skopeo.push(skopeo(`skopeo-${r}`));
      cold.nixoci.push(ours(`nixoci-${r}`));
    }
    const noop = { skopeo: [], nixoci: [] };
    for (let r = 0; r < runs; r++) {
      noop.skopeo.push(skopeo(`skopeo-0`));
      noop.nixoci.push(ours(`nixoci-0`));
    }
    // Pull into a fresh OCI layout (blobs verified while streaming).
    const pull = { skopeo: [], nixoci: [] };
    for (let r = 0; r < runs; r++) {
      const a = join(work, `pull-skopeo-${r}`);
      const b = join(work, `pull-nixoci-${r}`);
      pull.skopeo.push(time("skopeo", ["copy", "-q", "--src-tls-verify=false", `docker://${host}/nixoci-0:bench`, `oci:${a}:bench`]));
      pull.nixoci.push(time(bin, ["copy", `docker://${host}/nixoci-0:bench`, `oci:${b}:bench`, "-q"], env));
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
    // The no-op push without process start-up: what the protocol itself costs.
    const inProcess = [];
    for (let r = 0; r < runs; r++) {
      const img = await readLayout(dirSource(layout), "bench");
      const t0 = process.hrtime.bigint();
      await pushImage(img, `${host}/nixoci-0:bench`, { blobLocations: false });
      inProcess.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    // Memory of a cold in-process push: blobs stream, so RSS must not grow with the image size.
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const t0 = process.hrtime.bigint();
    await pushImage(await readLayout(dirSource(layout), "bench"), `${host}/nixoci-rss:bench`, { blobLocations: false });
    const coldInProcess = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    const best = (xs) => Math.min(...xs);
    console.log(`NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? "set" : "unset"}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    console.log(`image: ${totalMB} MB in ${sizes.length} gzip layers (${sizes.join(" + ")} MB), registry ${host}, best of ${runs}`);
    console.log(`cold push:  skopeo ${fmt(best(cold.skopeo))}  nixoci ${fmt(best(cold.nixoci))}  ratio ${(best(cold.nixoci) / best(cold.skopeo)).toFixed(2)}x`);
    console.log(`no-op push: skopeo ${fmt(best(noop.skopeo))}  nixoci ${fmt(best(noop.nixoci))}  ratio ${(best(noop.nixoci) / best(noop.skopeo)).toFixed(2)}x`);
    console.log(`pull to layout: skopeo ${fmt(best(pull.skopeo))}  nixoci ${fmt(best(pull.nixoci))}  ratio ${(best(pull.nixoci) / best(pull.skopeo)).toFixed(2)}x`);
    console.log(`no-op push in-process (no Node start-up): nixoci ${fmt(best(inProcess))}`);
    console.log(
      `cold push in-process: ${fmt(coldInProcess)}, RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB before, peak ${(rssPeak / 2 ** 20).toFixed(0)} MB (image ${totalMB} MB)`,
    );
    console.log(`all runs: ${JSON.stringify({ cold, noop, pull })}`);
  } finally {
    registry.kill("SIGTERM");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
