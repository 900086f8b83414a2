#!/usr/bin/env node
// No-op re-evaluation of an unchanged flake vs Nix 2.8's no-op `nix build`.
// The flake is examples/<name> (default hello) copied into a committed git repository.
//  - nix: `nix build --no-link --store S ./ex/<name>` after one real build (best of 5, wall time);
//  - nixoci: a fresh `node` process that imports dist/evaluator/flake/evalInstallable.js and calls
//    evaluateInstallableOnWorker once the flake has been evaluated (warm path: no evaluator, no worker),
//    best of 5, wall time including Node's start-up; also cold (first evaluation, fresh caches) and
//    the warm call alone in-process.
// Ratio = ours / Nix (target <= 1.0). Usage: npm run build && node bench/flake-noop.bench.mjs [example]
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const example = process.argv[2] ?? "hello";
const work = mkdtempSync(join(tmpdir(), "flake-noop-bench-"));
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };
cpSync(join(root, "examples"), join(work, "ex"), { recursive: true });
for (const args of [["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]]) execFileSync("git", ["-C", join(work, "ex"), ...args], { env: gitEnv });

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const best = (n, f) => Math.min(...Array.from({ length: n }, f));
const installable = `./ex/${example}`;

// Nix: build once, then time no-op builds.
const nixStore = join(work, "nixstore");
execFileSync("nix", ["build", "--no-link", "--store", nixStore, installable], { cwd: work, stdio: "ignore" });
const nixMs = best(5, () => {
  const t = process.hrtime.bigint();
  execFileSync("nix", ["build", "--no-link", "--store", nixStore, installable], { cwd: work, stdio: "ignore" });
  return ms(t);
});

// nixoci: one request shape for every call.
const request = { installable, cwd: work, system: "x86_64-linux", evalCachePath: join(work, "cache/eval.sqlite") };
const driver = `
const t0 = process.hrtime.bigint();
const { evaluateInstallableOnWorker } = await import(${JSON.stringify(`${root}dist/evaluator/flake/evalInstallable.js`)});
const req = JSON.parse(process.argv[2]);
const r = await evaluateInstallableOnWorker(req, process.argv[3]);
if (r.error) { console.error(r.error); process.exit(1); }
const t1 = process.hrtime.bigint();
const again = await evaluateInstallableOnWorker(req, process.argv[3]);
const t2 = process.hrtime.bigint();
console.log(JSON.stringify({ cached: r.cached, drvPath: r.info.drvPath, firstMs: Number(t1 - t0) / 1e6, secondMs: Number(t2 - t1) / 1e6, secondCached: again.cached }));`;
// A script file, not \`node -e\`: the evaluation worker inherits execArgv, and --input-type breaks it.
const driverFile = join(work, "driver.mjs");
writeFileSync(driverFile, driver);
const ourStore = join(work, "store");
const runOurs = () => {
  const t = process.hrtime.bigint();
  const out = JSON.parse(execFileSync("node", [driverFile, JSON.stringify(request), ourStore], { cwd: work, encoding: "utf8" }));
  return { wall: ms(t), ...out };
};
const cold = runOurs(); // evaluates (and writes flake.lock-free .drv files); the second call in it is the first warm one
runOurs(); // records the warm entry if the first run changed anything (e.g. created a lock file)
const warmRuns = Array.from({ length: 5 }, runOurs);
const warm = warmRuns.reduce((a, b) => (b.wall < a.wall ? b : a));
if (!warmRuns.every((r) => r.cached)) throw new Error("warm runs were not answered from the cache");

// Node's own start-up on this machine (an empty script), to separate it from nixoci's cost.
const emptyFile = join(work, "empty.mjs");
writeFileSync(emptyFile, "");
const nodeMs = best(5, () => {
  const t = process.hrtime.bigint();
  execFileSync("node", [emptyFile], { stdio: "ignore" });
  return ms(t);
});

const nixDrv = execFileSync("nix", ["eval", "--raw", "--store", nixStore, `${installable}#packages.x86_64-linux.default.drvPath`], { cwd: work, encoding: "utf8" });
if (nixDrv !== cold.drvPath) throw new Error(`drvPath differs: nix ${nixDrv}, nixoci ${cold.drvPath}`);

console.log(`flake no-op on examples/${example} (drvPath ${cold.drvPath})`);
console.log(`  nix build --no-link (no-op, best of 5):          ${nixMs.toFixed(0).padStart(6)} ms`);
console.log(`  nixoci cold (new process, first evaluation):     ${cold.wall.toFixed(0).padStart(6)} ms   (evaluateInstallableOnWorker ${cold.firstMs.toFixed(0)} ms)`);
console.log(`  nixoci warm (new process, best of 5):            ${warm.wall.toFixed(0).padStart(6)} ms   (import + call ${warm.firstMs.toFixed(1)} ms, repeat call ${warm.secondMs.toFixed(1)} ms)`);
console.log(`  node with an empty script (best of 5):            ${nodeMs.toFixed(0).padStart(6)} ms`);
console.log(`  ratio warm nixoci / nix no-op: ${(warm.wall / nixMs).toFixed(2)}   (target <= 1.0)`);
console.log(`  ratio without Node's start-up ((warm - empty node) / nix): ${((warm.wall - nodeMs) / nixMs).toFixed(2)}`);
rmSync(work, { recursive: true, force: true });
