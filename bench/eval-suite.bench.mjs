#!/usr/bin/env node
// Whole-suite evaluation time on Nix's own eval-okay tests (tests/functional/lang), ours vs Nix 2.8:
//  1. per process, the way lang.sh runs them: one `nix-instantiate [T.flags] --eval --strict lang/T.nix`
//     per test vs one `bin/nixoci instantiate …` per test (the launcher, as `npx nixoci` runs it), with
//     the environment as-is and with NODE_EXTRA_CA_CERTS unset; tests run one at a time, the three
//     commands interleaved per test so they see the same machine load. Node's start-up is in every
//     one of our runs, so this ratio mostly measures start-up (printed too: `node -e 0`, per test).
//  2. in-process: one Node process evaluating every test with a fresh Evaluator each (as a long-running
//     user like `nixoci build` does: runInstantiateCli from dist/), total wall time, vs Nix's
//     per-process total from 1 (Nix has no in-process mode; its start-up is ~20 ms per test).
// Outputs are checked against T.exp (Nix 2.8 fails the tests of newer features, ~28 of 149).
// Best of ROUNDS (default 3) for every total. Usage:
//   npm run build && node bench/eval-suite.bench.mjs [--dir /tmp/nixsrc/tests/functional]
// Extract the suite first: mkdir -p /tmp/nixsrc && git -C <nix repo> archive HEAD tests/functional/lang
//   tests/functional/lang.sh | tar -x -C /tmp/nixsrc
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const dirArg = args.indexOf("--dir");
const dir = resolve(dirArg >= 0 ? args[dirArg + 1] : "/tmp/nixsrc/tests/functional");
const langDir = join(dir, "lang");
if (!existsSync(langDir)) {
  console.error(`no lang/ folder in ${dir} (see the usage at the top of this file)`);
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS ?? 3);
const launcher = join(root, "bin", "nixoci");
const env = { ...process.env, TEST_VAR: "foo", NIX_PATH: "lang/dir3:lang/dir4", HOME: "/fake-home" };
const envNoCa = { ...env };
delete envNoCa.NODE_EXTRA_CA_CERTS;

const has = (f) => existsSync(join(langDir, f));
const read = (f) => readFileSync(join(langDir, f), "latin1");
const words = (s) => s.split(/\s+/).filter(Boolean);
/** The eval-okay tests, each with the instantiate arguments lang.sh uses and the expected output. */
const tests = readdirSync(langDir)
  .filter((f) => /^eval-okay-.*\.nix$/.test(f))
  .sort()
  .flatMap((file) => {
    const name = file.slice(0, -4);
    if (has(`${name}.exp.xml`)) return [{ name, argv: ["--eval", "--xml", "--no-location", "--strict", `lang/${file}`], exp: read(`${name}.exp.xml`) }];
    if (!has(`${name}.exp`)) return [];
    const flags = has(`${name}.flags`) ? words(read(`${name}.flags`).split("\n")[0]) : [];
    return [{ name, argv: [...flags, "--eval", "--strict", `lang/${file}`], exp: read(`${name}.exp`) }];
  });
const pwd = new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g");
const same = (stdout, exp) => stdout.replace(pwd, "/pwd") === exp;

function timed(cmd, argv, e, exp) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: dir, env: e, encoding: "latin1", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, ok: r.status === 0 && same(r.stdout, exp) };
}

// ---- 1. per process ----
const kinds = {
  nix: (t) => timed("nix-instantiate", t.argv, env, t.exp),
  ours: (t) => timed(launcher, ["instantiate", ...t.argv], env, t.exp),
  oursNoCa: (t) => timed(launcher, ["instantiate", ...t.argv], envNoCa, t.exp),
};
const best = { nix: Infinity, ours: Infinity, oursNoCa: Infinity };
const passed = { nix: 0, ours: 0, oursNoCa: 0 };
for (let round = 0; round < rounds; round++) {
  const total = { nix: 0, ours: 0, oursNoCa: 0 };
  for (const t of tests) {
    for (const [k, run] of Object.entries(kinds)) {
      const r = run(t);
      total[k] += r.ms;
      if (round === 0 && r.ok) passed[k]++;
    }
  }
  for (const k of Object.keys(best)) best[k] = Math.min(best[k], total[k]);
}
const nodeStart = (e) => {
  let m = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    execFileSync("node", ["-e", "0"], { env: e });
    m = Math.min(m, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return m;
};

// ---- 2. in-process ----
const driver = `
const { parseInstantiateArgs } = await import(${JSON.stringify(join(root, "dist/evaluator/cli/parseArgs.js"))});
const { runInstantiateCli } = await import(${JSON.stringify(join(root, "dist/evaluator/cli/runInstantiate.js"))});
const tests = JSON.parse(process.argv[1]);
const env = JSON.parse(process.argv[2]);
const rounds = Number(process.argv[3]);
const pwd = new RegExp(process.cwd().replace(/[.*+?^\${}()|[\\]\\\\]/g, "\\\\$&"), "g");
let best = Infinity;
let passed = 0;
for (let round = 0; round < rounds; round++) {
  const t0 = process.hrtime.bigint();
  let ok = 0;
  for (const t of tests) {
    const r = await runInstantiateCli(parseInstantiateArgs(t.argv, process.cwd(), env));
    if (r.exitCode === 0 && r.stdout.replace(pwd, "/pwd") === t.exp) ok++;
  }
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  passed = ok;
}
console.log(JSON.stringify({ best, passed }));`;
const inProc = JSON.parse(
  execFileSync("node", ["--input-type=module", "-e", driver, JSON.stringify(tests), JSON.stringify(envNoCa), String(rounds)], {
    cwd: dir,
    env: envNoCa,
    encoding: "utf8",
    maxBuffer: 1 << 26,
    stdio: ["ignore", "pipe", "ignore"],
  }),
);

const f = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
console.log(`Nix's eval-okay suite: ${tests.length} tests, best of ${rounds} (outputs equal to .exp: Nix 2.8 ${passed.nix}, ours ${passed.ours}, ours in-process ${inProc.passed})`);
console.log(`per process (lang.sh)            nix-instantiate ${f(best.nix)}   nixoci ${f(best.ours)}  ratio ${(best.ours / best.nix).toFixed(2)}   (NODE_EXTRA_CA_CERTS as-is)`);
console.log(`                                                              nixoci ${f(best.oursNoCa)}  ratio ${(best.oursNoCa / best.nix).toFixed(2)}   (env -u NODE_EXTRA_CA_CERTS)`);
console.log(`in-process (fresh Evaluator each) nix-instantiate ${f(best.nix)}   nixoci ${f(inProc.best)}  ratio ${(inProc.best / best.nix).toFixed(2)}`);
const ns = nodeStart(env);
const nsNoCa = nodeStart(envNoCa);
console.log(
  `Node start-up alone (node -e 0): ${ns.toFixed(0)} ms as-is, ${nsNoCa.toFixed(0)} ms without NODE_EXTRA_CA_CERTS; × ${tests.length} tests = ` +
    `${f(ns * tests.length)} / ${f(nsNoCa * tests.length)} of the per-process totals`,
);
