#!/usr/bin/env node
// Evaluation speed vs Nix on small stress expressions. Two comparisons:
//  - CLI: wall time of `nixoci instantiate --eval --strict -E` vs `nix-instantiate --eval --strict -E`
//    (ours is the launcher bin/nixoci, as `npx nixoci` runs it: Node start-up and loading the CLI included);
//  - eval CPU: CPU time of the evaluation alone in-process (dist/evaluator) vs nix-instantiate's
//    user+sys CPU time (which includes its own start-up, ~20 ms). CPU time is robust on a busy machine.
//    "warm cpu": the same evaluation again in that process, V8 having compiled the evaluator: what
//    the evaluator costs once past V8's warm-up (a long evaluation is mostly in this state).
// Best of 3; ratio = ours / Nix (< 1: we are faster). Usage: npm run build && node bench/eval.bench.mjs
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = process.env.NIXOCI_CLI ?? `${root}bin/nixoci`;
const cases = {
  "fib 25": "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25",
  "sort 1e5": "builtins.length (builtins.sort builtins.lessThan (builtins.genList (i: (i * 7919) - (i / 13) * 13 * 7919) 100000))",
  "sort 1e5 (lambda)": "builtins.length (builtins.sort (a: b: a < b) (builtins.genList (i: (i * 7919) - (i / 13) * 13 * 7919) 100000))",
  "1e5-attr set": 'builtins.length (builtins.attrNames (builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) 100000)))',
  "nested // (1e4)": 'builtins.length (builtins.attrNames (builtins.foldl\' (acc: i: acc // { "k${toString (i - (i / 1000) * 1000)}" = i; }) {} (builtins.genList (x: x) 10000)))',
  "string concat 1e4": 'builtins.stringLength (builtins.foldl\' (acc: i: acc + "x${toString i}") "" (builtins.genList (x: x) 10000))',
  "foldl' 1e6": "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000)",
  "1e5 records": "let xs = builtins.genList (i: { v = i; }) 100000; in builtins.length (map (x: x.v) xs)",
};

const best = (f) => Math.min(f(), f(), f());
const wall = (cmd, args) => best(() => {
  const t = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: "ignore" });
  return Number(process.hrtime.bigint() - t) / 1e6;
});
const nixCpu = (expr) => best(() => {
  const out = execFileSync("bash", ["-c", 'TIMEFORMAT="%U %S"; { time nix-instantiate --eval --strict -E "$1" >/dev/null; } 2>&1', "_", expr], { encoding: "utf8" });
  const [u, s] = out.trim().split(/\s+/).map(Number);
  return (u + s) * 1000;
});
const driver = `
const { Evaluator } = await import(${JSON.stringify(`${root}dist/evaluator/evaluator.js`)});
const { MemoryStore } = await import(${JSON.stringify(`${root}dist/evaluator/memoryStore.js`)});
const { printValue } = await import(${JSON.stringify(`${root}dist/evaluator/print.js`)});
const times = [];
for (let i = 0; i < 2; i++) {
  const ev = new Evaluator({ store: new MemoryStore(), env: {} });
  const c0 = process.cpuUsage();
  const v = ev.evalExprText(process.argv[1], "«string»", "/");
  ev.forceDeep(v);
  printValue(ev, v);
  const c = process.cpuUsage(c0);
  times.push((c.user + c.system) / 1000);
}
console.log(times.join(" "));`;
// [cold, warm]: the first evaluation in a fresh process, and a second one (fresh Evaluator) after it.
const ourCpu = (expr) => {
  const runs = [0, 1, 2].map(() => execFileSync("node", ["--input-type=module", "-e", driver, expr], { encoding: "utf8" }).trim().split(" ").map(Number));
  return [Math.min(...runs.map((r) => r[0])), Math.min(...runs.map((r) => r[1]))];
};

console.log(`${"case".padEnd(20)} ${"CLI ms".padStart(8)} ${"nix ms".padStart(8)} ${"ratio".padStart(6)}   ${"eval cpu".padStart(8)} ${"nix cpu".padStart(8)} ${"ratio".padStart(6)}   ${"warm cpu".padStart(8)} ${"ratio".padStart(6)}`);
for (const [name, expr] of Object.entries(cases)) {
  const ours = execFileSync(cli, ["instantiate", "--eval", "--strict", "-E", expr], { encoding: "utf8" });
  const theirs = execFileSync("nix-instantiate", ["--eval", "--strict", "-E", expr], { encoding: "utf8" });
  const a = wall(cli, ["instantiate", "--eval", "--strict", "-E", expr]);
  const b = wall("nix-instantiate", ["--eval", "--strict", "-E", expr]);
  const [c, w] = ourCpu(expr);
  const d = nixCpu(expr);
  const same = ours === theirs ? "" : "  OUTPUT DIFFERS";
  console.log(`${name.padEnd(20)} ${a.toFixed(0).padStart(8)} ${b.toFixed(0).padStart(8)} ${(a / b).toFixed(2).padStart(6)}   ${c.toFixed(0).padStart(8)} ${d.toFixed(0).padStart(8)} ${(c / d).toFixed(2).padStart(6)}   ${w.toFixed(0).padStart(8)} ${(w / d).toFixed(2).padStart(6)}${same}`);
}
