#!/usr/bin/env node
// Substituting a closure from a binary cache on a loopback HTTP server into a
// fresh store: Nix 2.8 (`nix copy --from http://127.0.0.1:… --no-check-sigs`)
// vs nixoci (`nixoci store copy --from … --no-check-sigs`), both as separate
// processes against the same server (itself a separate process). The closure:
// 4 derivations, each ~sizeMB/4 of half random bytes, half text, plus 200 small
// files; cache written by Nix 2.8 with `?compression=zstd` (default) or xz.
// Prints seconds (best of two, fresh store each time), MB/s, the ratio, and
// nixoci's peak RSS (which must not grow with the closure size).
// Usage: npm run build && node bench/substitute.bench.mjs [sizeMB=300] [zstd|xz|none]
// Runs (2 shared cores, load average 5-10, Node 20, Nix 2.8), zstd cache, 4 paths:
//   315 MB NAR: Nix 1.28 s (246 MB/s), nixoci 2.68 s (118 MB/s), ratio 2.09, nixoci peak RSS 126 MiB
//   315 MB NAR: Nix 1.42 s, nixoci 3.16 s, ratio 2.22, peak RSS 118 MiB
//   105 MB NAR: Nix 1.14 s, nixoci 3.31 s, ratio 2.91, peak RSS 147 MiB (load ~10)
// Where nixoci's time goes (100 MB path from file://): NAR parse+unpack ~0.37 s,
// FileHash + NarHash (two sha256 passes on the main thread) ~0.2 s, CLI start ~0.3 s.
import { execFile, execFileSync, spawn } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";

if (process.argv[2] === "serve") {
  // Child mode: a static file server for the cache directory; prints its port.
  const root = process.argv[3];
  const server = http.createServer((req, res) => {
    const file = join(root, normalize(decodeURIComponent(req.url.split("?")[0])).replace(/^\/+/, ""));
    let st;
    try {
      st = statSync(file);
      if (!st.isFile()) throw new Error();
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { "content-length": st.size });
    if (req.method === "HEAD") return res.end();
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
} else {
  await main();
}

async function main() {
  const sizeMB = Number(process.argv[2] ?? 300);
  const compression = process.argv[3] ?? "zstd";
  const dir = mkdtempSync(join(tmpdir(), "nixoci-substbench-"));
  const bin = new URL("../bin/nixoci.js", import.meta.url).pathname;
  const env = { ...process.env, XDG_CACHE_HOME: join(dir, "xdg-cache"), XDG_CONFIG_HOME: join(dir, "xdg-config") };
  const run = (cmd, args) => execFileSync(cmd, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
  let server;
  try {
    const per = Math.max(1, Math.floor(sizeMB / 4));
    const half = Math.floor((per * 1024 * 1024) / 2);
    const mk = (i, dep) =>
      `derivation { name = "subst-bench-${i}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ''
        mkdir -p $out/small; head -c ${half} /dev/urandom > $out/random; seq 1 ${Math.floor(half / 7)} | head -c ${half} > $out/text
        for j in $(seq 1 200); do echo "$j ${dep ? "${" + dep + "}" : ""}" > $out/small/f$j; done
      '' ]; }`;
    const nixFile = join(dir, "closure.nix");
    writeFileSync(nixFile, `let a = ${mk(1)}; b = ${mk(2, "a")}; c = ${mk(3, "b")}; in ${mk(4, "c")}`);
    const nixRoot = join(dir, "nix-src");
    const drv = run("nix-instantiate", ["--store", nixRoot, nixFile]).trim();
    const out = run("nix-store", ["--store", nixRoot, "-r", drv]).trim();
    const cacheDir = join(dir, "cache");
    run("nix", ["copy", "--store", nixRoot, "--to", `file://${cacheDir}?compression=${compression}`, out]);
    const info = JSON.parse(run("nix", ["path-info", "--store", nixRoot, "--json", "-r", out]));
    const narMB = info.reduce((n, i) => n + i.narSize, 0) / 1e6;

    server = spawn(process.execPath, [new URL(import.meta.url).pathname, "serve", cacheDir], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise((resolve) => server.stdout.once("data", (d) => resolve(String(d).trim())));
    const url = `http://127.0.0.1:${port}`;

    const time = async (label, args) => {
      let best = Infinity;
      let rss = 0;
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        const { stderr } = await promisify(execFile)("/usr/bin/time", ["-f", "%M", ...args(join(dir, `${label}-${i}`))], { env, maxBuffer: 1 << 26 });
        best = Math.min(best, (performance.now() - t0) / 1000);
        rss = Math.max(rss, Number(stderr.trim().split("\n").pop()) / 1024);
        rmSync(join(dir, `${label}-${i}`), { recursive: true, force: true });
      }
      return { best, rss };
    };
    const nix = await time("nix", (store) => ["nix", "copy", "--store", store, "--from", url, "--no-check-sigs", out]);
    const ours = await time("nixoci", (store) => [process.execPath, bin, "store", "copy", "--store", store, "--from", url, "--no-check-sigs", out]);
    console.log(`closure: ${info.length} paths, ${narMB.toFixed(0)} MB NAR, compression ${compression}`);
    console.log(`Nix 2.8 nix copy --from: ${nix.best.toFixed(2)} s (${(narMB / nix.best).toFixed(0)} MB/s), peak RSS ${nix.rss.toFixed(0)} MiB`);
    console.log(`nixoci store copy --from: ${ours.best.toFixed(2)} s (${(narMB / ours.best).toFixed(0)} MB/s), peak RSS ${ours.rss.toFixed(0)} MiB`);
    console.log(`ratio nixoci/nix: ${(ours.best / nix.best).toFixed(2)}`);
  } finally {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
