#!/usr/bin/env node
// Runs nixpkgs' own library tests (lib/tests in a nixpkgs or nix-community/nixpkgs.lib
// checkout) against a nix-instantiate-like command: real-world Nix code (the module
// system, lib.strings, lib.systems …) as an oracle beside Nix's language suite.
//   lib/tests/{misc,systems}.nix: `CMD --eval --strict F` must print `[ ]` (lib.runTests:
//                                 the list of failed tests)
//   lib/tests/check-eval.nix:     must print `null`
//   lib/tests/modules.sh:         run with CMD as `nix-instantiate` on PATH; its
//                                 "N Pass" / "N Fail" lines are counted
// nixpkgs lib of mid-2022 (e.g. nixpkgs.lib a057693253eb) suits Nix 2.8; newer lib
// requires a newer Nix and says so. sources.sh needs `nix eval` with a real store: not run.
// Usage:
//   node scripts/nixpkgs-lib-suite.mjs --dir DIR [--cmd "node bin/nixoci.js instantiate"]
// DIR holds lib/ (and, for modules.sh's `import ../..` of nixpkgs, a default.nix if any).
// `--cmd nix-instantiate` runs the reference for comparison. Ends with "N passed, N failed".
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const dir = resolve(opt("--dir", "."));
const cmd = opt("--cmd", `node ${join(repo, "bin", "nixoci.js")} instantiate`);
const tests = join(dir, "lib", "tests");
if (!existsSync(join(tests, "modules.sh"))) {
  console.error(`no lib/tests/modules.sh in ${dir}`);
  process.exit(2);
}

// modules.sh calls `nix-instantiate` by name: put CMD first on PATH under that name.
const shimDir = mkdtempSync(join(tmpdir(), "nixoci-lib-suite-"));
const shim = join(shimDir, "nix-instantiate");
writeFileSync(shim, `#!/bin/sh\nexec ${cmd} "$@"\n`);
chmodSync(shim, 0o755);
const env = { ...process.env, PATH: `${shimDir}:${process.env.PATH}`, NIX_PATH: "" };
const run = (argv, cwd) => spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: "utf8", maxBuffer: 1 << 28 });

let passed = 0;
let failed = 0;
const report = (name, ok, detail) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
};

try {
  for (const [file, expected] of [
    ["misc.nix", "[ ]"],
    ["systems.nix", "[ ]"],
    ["check-eval.nix", "null"],
  ]) {
    if (!existsSync(join(tests, file))) continue;
    const started = Date.now();
    const r = run(["nix-instantiate", "--eval", "--strict", file], tests);
    const out = r.stdout.trim();
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    if (r.status === 0 && out === expected) report(file, true, `${seconds} s`);
    else report(file, false, `exit ${r.status}, ${(out || r.stderr).slice(0, 400)}`);
  }

  const started = Date.now();
  const m = run(["bash", "modules.sh"], tests);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const count = (word) => Number(new RegExp(`^(\\d+) ${word}$`, "m").exec(m.stdout + m.stderr)?.[1] ?? NaN);
  const pass = count("Pass");
  const fail = count("Fail");
  if (Number.isNaN(pass) || Number.isNaN(fail)) {
    report("modules.sh", false, `no Pass/Fail summary (exit ${m.status})\n${(m.stdout + m.stderr).slice(-2000)}`);
  } else {
    console.log(`modules.sh: ${pass} Pass, ${fail} Fail (${seconds} s)`);
    if (fail > 0) console.log((m.stdout + m.stderr).split("\n").filter((l) => /failed|FAIL/i.test(l)).slice(0, 40).join("\n"));
    passed += pass;
    failed += fail;
  }
} finally {
  rmSync(shimDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
