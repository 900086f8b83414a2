#!/usr/bin/env node
// Evaluation speed: `nixoci instantiate --eval --strict -E` vs Nix's
// `nix-instantiate --eval --strict -E` on small stress expressions.
// Prints wall times (best of 3) and the ratio ours/Nix (< 1: we are faster).
// Usage: node bench/eval.bench.mjs   (needs `npm run build` and nix-instantiate)
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = process.env.NIXOCI_CLI ?? fileURLToPath(new URL("../bin/nixoci.js", import.meta.url));
const cases = {
  "fib 25": "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25",
  "sort 1e5": "builtins.length (builtins.sort builtins.lessThan (builtins.genList (i: (i * 7919) - (i / 13) * 13 * 7919) 100000))",
  "sort 1e5 (lambda)": "builtins.length (builtins.sort (a: b: a < b) (builtins.genList (i: (i * 7919) - (i / 13) * 13 * 7919) 100000))",
  "1e5-attr set": 'builtins.length (builtins.attrNames (builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) 100000)))',
  "nested // (1e4)": 'builtins.length (builtins.attrNames (builtins.foldl\' (acc: i: acc // { "k${toString (i - (i / 1000) * 1000)}" = i; }) {} (builtins.genList (x: x) 10000)))',
  "string concat 1e4": 'builtins.stringLength (builtins.foldl\' (acc: i: acc + "x${toString i}") "" (builtins.genList (x: x) 10000))',
  "foldl' 1e6": "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000)",
  "deep let/rec attrs": "let xs = builtins.genList (i: { v = i; }) 100000; in builtins.length (map (x: x.v) xs)",
};

function time(cmd, args) {
  let best = Infinity;
  let out = "";
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    out = execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28 });
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: best, out: out.trim() };
}

console.log(`${"case".padEnd(22)} ${"nixoci ms".padStart(10)} ${"nix ms".padStart(10)} ${"ratio".padStart(7)}`);
for (const [name, expr] of Object.entries(cases)) {
  const ours = time("node", [cli, "instantiate", "--eval", "--strict", "-E", expr]);
  const nix = time("nix-instantiate", ["--eval", "--strict", "-E", expr]);
  const same = ours.out === nix.out ? "" : `  (OUTPUT DIFFERS: ${ours.out.slice(0, 40)} vs ${nix.out.slice(0, 40)})`;
  console.log(`${name.padEnd(22)} ${ours.ms.toFixed(0).padStart(10)} ${nix.ms.toFixed(0).padStart(10)} ${(ours.ms / nix.ms).toFixed(2).padStart(7)}${same}`);
}
