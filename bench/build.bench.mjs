#!/usr/bin/env node
// Building and registering one large output: a derivation whose builder copies a
// 20 000-file / 500 MB input tree to $out, realised by Nix 2.8 (`nix-store -r`)
// and by nixoci (`nixoci realise`), each in a fresh chroot store (`--store DIR`).
// The builder's own work (busybox cp) is the same for both; the difference is
// sandbox setup, output canonicalisation, NAR hashing, reference scanning and
// registration. Prints seconds, the ratio, and nixoci's peak RSS (which must not
// grow with the output size).
// Usage: npm run build && node bench/build.bench.mjs [files=20000] [MB=500]
// One run (2 shared, loaded cores, Node 20): 20 000 files, 528 MB NAR; Nix 2.8 9.18 s,
// nixoci 10.47 s, ratio 1.14; nixoci peak RSS 132 MiB (123 MiB for 2 000 files / 50 MB).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const files = Number(process.argv[2] ?? 20000);
const totalMB = Number(process.argv[3] ?? 500);
const dir = mkdtempSync(join(tmpdir(), "nixoci-buildbench-"));
const bin = new URL("../bin/nixoci.js", import.meta.url).pathname;
const { LocalStore } = await import("../dist/store/index.js");

try {
  // Input tree: random bytes (incompressible, no accidental hash parts), 100 files per directory.
  const src = join(dir, "tree");
  const size = Math.floor((totalMB * 1024 * 1024) / files);
  const block = randomBytes(size + 4096);
  for (let i = 0; i < files; i++) {
    const d = join(src, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}`), block.subarray(i % 4096, (i % 4096) + size));
  }
  const expr = join(dir, "bench.nix");
  writeFileSync(
    expr,
    `derivation { name = "bench-${files}"; system = "x86_64-linux"; builder = "/bin/sh";
       args = [ "-c" "cp -r \${builtins.path { path = ${src}; name = "bench-src"; }} $out" ]; }\n`,
  );
  const nixRoot = join(dir, "nix");
  const ourRoot = join(dir, "ours");
  const drv = execFileSync("nix-instantiate", ["--store", nixRoot, expr], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  // Put the same .drv and input into our store (not timed).
  const store = new LocalStore({ root: ourRoot });
  const srcPath = store.addPathToStore(src, { name: "bench-src", method: "recursive" });
  const drvText = execFileSync("cat", [join(nixRoot, drv)], { encoding: "utf8" });
  const drvPath = store.addTextToStore(drv.slice(44), drvText, [srcPath]);
  store.close();
  if (drvPath !== drv) throw new Error(`imported ${drvPath}, expected ${drv}`);

  const t0 = performance.now();
  execFileSync("nix-store", ["--store", nixRoot, "-r", drv], { stdio: "ignore" });
  const nixSec = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  // GNU time (if installed) reports the peak RSS on the last stderr line.
  const haveTime = existsSync("/usr/bin/time");
  const cmd = [process.execPath, bin, "realise", "--store", ourRoot, "--no-out-link", drv];
  const ours = haveTime ? spawnSync("/usr/bin/time", ["-f", "%M", ...cmd], { encoding: "utf8" }) : spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8" });
  const ourSec = (performance.now() - t1) / 1000;
  if (ours.status !== 0) throw new Error(ours.stderr);
  const maxRssKB = haveTime ? Number(ours.stderr.trim().split("\n").pop()) : NaN;

  const nixInfo = JSON.parse(execFileSync("nix", ["path-info", "--store", nixRoot, "--json", ours.stdout.trim()], { encoding: "utf8" }))[0];
  const check = new LocalStore({ root: ourRoot, readOnly: true });
  const ourInfo = check.queryPathInfo(ours.stdout.trim());
  check.close();
  console.log(`output: ${files} files, ${(ourInfo.narSize / 1e6).toFixed(0)} MB NAR; narSize equal to Nix's: ${ourInfo.narSize === nixInfo.narSize}`);
  console.log(`Nix 2.8 nix-store -r: ${nixSec.toFixed(2)} s`);
  console.log(`nixoci realise:       ${ourSec.toFixed(2)} s (peak RSS ${(maxRssKB / 1024).toFixed(0)} MiB)`);
  console.log(`ratio nixoci / Nix:   ${(ourSec / nixSec).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
