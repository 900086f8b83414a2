#!/usr/bin/env node
// No-op `nixoci build` (everything built, output written, nothing changed) vs Nix 2.8's no-op `nix build`.
// The flake is examples/<name> (default hello) copied into a committed git repository.
//  - nix:    `nix build --no-link --store S ./ex/<name>` after one real build;
//  - nixoci: the whole command as users run it, `bin/nixoci build ./ex/<name> --store S2 -o OUT --json`
//            (the launcher), after one cold build with fresh caches (also timed and printed);
//  - node:   an empty script, Node's own start-up on this machine.
// Every figure is the best of 5 wall-clock runs (RUNS=n for more on a busy machine), nix and nixoci runs
// interleaved so both see the same load.
// nixoci and node are timed twice: with the environment as it is, and without NODE_EXTRA_CA_CERTS (Node 20
// parses that bundle at start-up; the launcher moves it aside, a bare `node` does not).
// Checks: every no-op printed the cold build's summary and left the output untouched; drvPath equals Nix's.
// Ratio = nixoci no-op / nix no-op (target <= 1.0). Usage: npm run build && node bench/flake-noop.bench.mjs [example]
import { execFileSync } from "node:child_process";
import { cpSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const example = process.argv[2] ?? "hello";
const work = mkdtempSync(join(tmpdir(), "flake-noop-bench-"));
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };
cpSync(join(root, "examples"), join(work, "ex"), { recursive: true });
for (const args of [["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]]) execFileSync("git", ["-C", join(work, "ex"), ...args], { env: gitEnv });

const asIs = { ...process.env, XDG_CACHE_HOME: join(work, "cache") };
const noCa = { ...asIs };
delete noCa.NODE_EXTRA_CA_CERTS;
const installable = `./ex/${example}`;
const nixStore = join(work, "nixstore");
const ourStore = join(work, "store");
const output = join(work, "image.tar");

const time = (f) => {
  const t = process.hrtime.bigint();
  const r = f();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, r };
};
const nix = () => execFileSync("nix", ["build", "--no-link", "--store", nixStore, installable], { cwd: work, stdio: "ignore" });
const nixoci = (env) => execFileSync(join(root, "bin/nixoci"), ["build", installable, "--store", ourStore, "-o", output, "--json"], { cwd: work, env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
const stamp = () => {
  const st = lstatSync(output, { bigint: true });
  return `${st.ino}:${st.ctimeNs}`;
};
const emptyFile = join(work, "empty.mjs");
writeFileSync(emptyFile, "");
const node = (env) => execFileSync("node", [emptyFile], { env, stdio: "ignore" });

nix(); // the real build
const cold = time(() => nixoci(asIs));
const summary = cold.r;
const written = stamp();

const runs = { nix: [], oursAsIs: [], oursNoCa: [], nodeAsIs: [], nodeNoCa: [] };
const rounds = Number(process.env.RUNS ?? 5);
for (let i = 0; i < rounds; i++) {
  runs.nix.push(time(nix).ms);
  for (const [name, env] of [["oursAsIs", asIs], ["oursNoCa", noCa]]) {
    const { ms, r } = time(() => nixoci(env));
    if (r !== summary) throw new Error(`a no-op printed another summary:\n${r}\nvs\n${summary}`);
    runs[name].push(ms);
  }
  runs.nodeAsIs.push(time(() => node(asIs)).ms);
  runs.nodeNoCa.push(time(() => node(noCa)).ms);
}
if (stamp() !== written) throw new Error("a no-op wrote the output again");
const best = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, Math.min(...v)]));

const drvPath = JSON.parse(summary).drvPath;
const nixDrv = execFileSync("nix", ["eval", "--raw", "--store", nixStore, `${installable}#packages.x86_64-linux.default.drvPath`], { cwd: work, encoding: "utf8" });
if (nixDrv !== drvPath) throw new Error(`drvPath differs: nix ${nixDrv}, nixoci ${drvPath}`);

const row = (label, ms) => console.log(`  ${label.padEnd(58)}${ms.toFixed(0).padStart(6)} ms`);
console.log(`flake no-op build of examples/${example} (drvPath ${drvPath}, digest ${JSON.parse(summary).digest})`);
row(`nix build --no-link, no-op (best of ${rounds})`, best.nix);
row(`nixoci build, no-op, as-is env (best of ${rounds})`, best.oursAsIs);
row(`nixoci build, no-op, env -u NODE_EXTRA_CA_CERTS (best of ${rounds})`, best.oursNoCa);
row("nixoci build, cold (fresh caches and store: evaluate, build, write)", cold.ms);
row(`node with an empty script, as-is env (best of ${rounds})`, best.nodeAsIs);
row(`node with an empty script, env -u NODE_EXTRA_CA_CERTS (best of ${rounds})`, best.nodeNoCa);
console.log(`  ratio nixoci no-op / nix no-op: ${(best.oursAsIs / best.nix).toFixed(2)} as-is, ${(best.oursNoCa / best.nix).toFixed(2)} without NODE_EXTRA_CA_CERTS   (target <= 1.0)`);
console.log(`  nixoci beyond Node's own start-up: ${(best.oursNoCa - best.nodeNoCa).toFixed(0)} ms`);
rmSync(work, { recursive: true, force: true });
