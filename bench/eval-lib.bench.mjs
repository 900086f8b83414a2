#!/usr/bin/env node
// Evaluation speed on real code: nixpkgs' own lib, ours vs Nix 2.8, as a user's flake meets it
// (cold: one process per run, which is how `nixoci build` evaluates a changed flake).
//   npm run build && node bench/eval-lib.bench.mjs --dir <nixpkgs or nixpkgs.lib checkout>   (RUNS=n, default 5)
// Cases (each must print the same with both, else the case is reported and skipped):
//   lib/tests/systems.nix         nixpkgs' own test of lib.systems (elaborates every known platform);
//   import every lib file         each .nix under lib/ that Nix can import on its own, to weak head
//                                 normal form: mostly parsing, 1 MB of Nix for current nixpkgs.lib;
//   lib.systems.elaborate         one platform, as every nixpkgs instantiation does;
//   evalModules, 2000 attrs       the module system merging an attrsOf option.
// Prints the best wall time of RUNS for `bin/nixoci instantiate --eval --strict` (the launcher, as
// `npx nixoci` runs it) and for `nix-instantiate --eval --strict`, and the ratio (< 1: we are faster).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = process.env.NIXOCI_CLI ?? `${root}bin/nixoci`;
const runs = Number(process.env.RUNS ?? 5);
const dirArg = process.argv.indexOf("--dir");
if (dirArg < 0 || !process.argv[dirArg + 1]) {
  console.error("usage: node bench/eval-lib.bench.mjs --dir <nixpkgs or nixpkgs.lib checkout>");
  process.exit(2);
}
const dir = process.argv[dirArg + 1];
const env = { ...process.env, NIX_PATH: "" };
// The launcher moves NODE_EXTRA_CA_CERTS aside itself; Nix ignores it.

const run = (cmd, args) => execFileSync(cmd, args, { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
function best(cmd, args) {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    run(cmd, args);
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}

function nixFiles(d) {
  const out = [];
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...nixFiles(p));
    else if (name.endsWith(".nix")) out.push(p);
  }
  return out;
}

// Files whose import alone fails (they expect to be called from elsewhere) are left out, by asking Nix.
const work = mkdtempSync(join(tmpdir(), "nixoci-evallib-"));
const importable = nixFiles(join(dir, "lib")).filter((f) => {
  try {
    run("nix-instantiate", ["--eval", "-E", `builtins.seq (import ${f}) 1`]);
    return true;
  } catch {
    return false;
  }
});
const importAll = join(work, "import-all.nix");
writeFileSync(importAll, `builtins.length (builtins.filter (f: builtins.seq (import f) true) [\n${importable.join("\n")}\n])\n`);

const lib = `(import ${join(dir, "lib")})`;
const cases = {
  "lib/tests/systems.nix": ["lib/tests/systems.nix"],
  [`import every lib file (${importable.length})`]: [importAll],
  "lib.systems.elaborate": ["-E", `builtins.length (builtins.attrNames (${lib}.systems.elaborate "x86_64-linux"))`],
  "evalModules, 2000 attrs": [
    "-E",
    `let lib = ${lib}; in (lib.evalModules { modules = [ { options.a = lib.mkOption { type = lib.types.attrsOf lib.types.int; default = {}; }; config.a = lib.genAttrs (map toString (lib.range 1 2000)) (x: 1); } ]; }).config.a."77"`,
  ],
};

console.log(`nixpkgs lib at ${dir}, best of ${runs}`);
console.log(`${"case".padEnd(34)} ${"nixoci ms".padStart(10)} ${"nix ms".padStart(8)} ${"ratio".padStart(6)}`);
for (const [name, args] of Object.entries(cases)) {
  const full = ["--eval", "--strict", ...args];
  let ours;
  let theirs;
  try {
    theirs = run("nix-instantiate", full);
    ours = run(cli, ["instantiate", ...full]);
  } catch (e) {
    console.log(`${name.padEnd(34)} skipped: ${String(e.stderr ?? e.message).split("\n")[0]}`);
    continue;
  }
  if (ours !== theirs) {
    console.log(`${name.padEnd(34)} OUTPUT DIFFERS (nix: ${theirs.slice(0, 60).trim()} ours: ${ours.slice(0, 60).trim()})`);
    continue;
  }
  const a = best(cli, ["instantiate", ...full]);
  const b = best("nix-instantiate", full);
  console.log(`${name.padEnd(34)} ${a.toFixed(0).padStart(10)} ${b.toFixed(0).padStart(8)} ${(a / b).toFixed(2).padStart(6)}`);
}
rmSync(work, { recursive: true, force: true });
