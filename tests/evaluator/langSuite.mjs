#!/usr/bin/env node
// Runs Nix's language test suite (tests/functional/lang of NixOS/nix) through
// nixoci's evaluator the way tests/functional/lang.sh runs nix-instantiate:
// eval-okay: `[flags] --eval --strict T.nix` with NIX_PATH=lang/dir3:lang/dir4,
// HOME=/fake-home, stdout (with $PWD → /pwd) compared with T.exp; .exp.xml
// tests with --eval --xml --no-location --strict; eval-fail: exit 1.
// Usage: node tests/evaluator/langSuite.mjs [SUITE_DIR=/tmp/nixsrc/tests/functional] [filter]
// Needs a build (npm run build). Everything runs in one big-stack worker.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

if (isMainThread) {
  const dir = process.argv[2] ?? "/tmp/nixsrc/tests/functional";
  const filter = process.argv[3] ?? "";
  process.chdir(dir);
  const w = new Worker(new URL(import.meta.url), { workerData: { dir, filter }, resourceLimits: { stackSizeMb: 1024 } });
  w.on("message", (r) => {
    for (const f of r.failures) console.log(`FAIL ${f.name}: ${f.why}`);
    console.log(`eval-okay: ${r.okPass}/${r.okTotal} passed; eval-fail: ${r.failPass}/${r.failTotal} passed`);
  });
  w.on("error", (e) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  const { dir, filter } = workerData;
  const { runInstantiate } = await import(`${process.env.NIXOCI_DIST ?? "../../dist"}/evaluator/cli/instantiate.js`);
  const { MemoryStore } = await import(`${process.env.NIXOCI_DIST ?? "../../dist"}/evaluator/memoryStore.js`);
  const { parseInstantiateArgs } = await import(`${process.env.NIXOCI_DIST ?? "../../dist"}/evaluator/cli/parseArgs.js`);
  const langDir = join(dir, "lang");
  // NIX_CONFIG: the features the suite's nix.conf (common/init.sh) enables (fetchTree and friends need flakes).
  const env = { ...process.env, NIX_PATH: "lang/dir3:lang/dir4", HOME: "/fake-home", TEST_VAR: "foo", NIX_CONFIG: "experimental-features = nix-command flakes" };
  const failures = [];
  let okPass = 0, okTotal = 0, failPass = 0, failTotal = 0;
  const names = readdirSync(langDir).filter((n) => n.endsWith(".nix") && n.includes(filter)).sort();
  const run = (args) => {
    try {
      const o = parseInstantiateArgs(args, dir, env);
      return runInstantiate(o, () => new MemoryStore());
    } catch (e) {
      return { stdout: "", stderr: `CRASH ${e?.stack ?? e}`, exitCode: 99 };
    }
  };
  const { writeSync } = await import("node:fs");
  for (const n of names) {
    const name = n.slice(0, -4);
    if (process.env.LANG_SUITE_VERBOSE) writeSync(2, `${name}\n`);
    const flagsFile = join(langDir, `${name}.flags`);
    const flags = existsSync(flagsFile) ? readFileSync(flagsFile, "utf8").split("\n")[0].replace(/#.*/, "").trim().split(/\s+/).filter(Boolean) : null;
    if (name.startsWith("eval-okay-")) {
      if (existsSync(join(langDir, `${name}.exp-disabled`))) continue;
      okTotal++;
      const xml = existsSync(join(langDir, `${name}.exp.xml`));
      const r = xml
        ? run(["--eval", "--xml", "--no-location", "--strict", `lang/${n}`])
        : run([...(flags ?? []), "--eval", "--strict", `lang/${n}`]);
      const expected = readFileSync(join(langDir, xml ? `${name}.exp.xml` : `${name}.exp`), "latin1");
      const got = r.stdout.split(dir).join("/pwd");
      if (r.exitCode === 0 && got === expected) okPass++;
      else failures.push({ name, why: r.exitCode !== 0 ? `exit ${r.exitCode}: ${r.stderr.split("\n").slice(0, 3).join(" | ")}` : `stdout differs: got ${JSON.stringify(got.slice(0, 300))} want ${JSON.stringify(expected.slice(0, 300))}` });
    } else if (name.startsWith("eval-fail-")) {
      failTotal++;
      const r = run([...(flags ?? ["--eval", "--strict", "--show-trace"]), `lang/${n}`]);
      if (r.exitCode === 1 && /error/.test(r.stderr)) failPass++;
      else failures.push({ name, why: `exit ${r.exitCode}: ${r.stderr.slice(0, 200)} / ${r.stdout.slice(0, 100)}` });
    }
  }
  parentPort.postMessage({ failures, okPass, okTotal, failPass, failTotal });
}
