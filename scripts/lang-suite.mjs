#!/usr/bin/env node
// Runs Nix's language test suite (NixOS/nix tests/functional/lang) against a
// nix-instantiate-like command, the way tests/functional/lang.sh does:
//   parse-fail-*: `CMD --parse - < T.nix` must exit 1 (stderr vs T.err.exp counted apart)
//   parse-okay-*: `CMD --parse - < T.nix` must exit 0, stdout ($PWD → /pwd) = T.exp
//   eval-fail-*:  `CMD --show-trace [T.flags, or --eval --strict] lang/T.nix` must exit 1
//                 (stderr, after T.postprocess if there is one, vs T.err.exp counted apart)
//   eval-okay-*:  with T.exp.xml: `CMD --eval --xml --no-location --strict lang/T.nix`;
//                 otherwise `CMD --show-trace [T.flags] --eval --strict lang/T.nix` with
//                 NIX_PATH=lang/dir3:lang/dir4 HOME=/fake-home; stdout = T.exp
//                 (T.exp-disabled: skipped)
// Usage:
//   node scripts/lang-suite.mjs [--dir /tmp/nixsrc/tests/functional]
//        [--cmd "node /work/main/bin/nixoci.js instantiate"] [--parse-cmd CMD]
//        [--only parse|eval] [--filter SUBSTRING] [--jobs N] [--list-failures]
// `--cmd nix-instantiate` runs the reference implementation for comparison;
// `--parse-cmd "node dist/evaluator/parseCli.js"` tests the parser alone.
// Prints per-category counts and a final line "N passed, N failed".
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}
const dir = resolve(opt("--dir", "/tmp/nixsrc/tests/functional"));
const cmd = opt("--cmd", `node ${join(repo, "bin", "nixoci.js")} instantiate`).split(/\s+/).filter(Boolean);
const parseCmd = (opt("--parse-cmd", undefined) ?? "").split(/\s+/).filter(Boolean);
const only = opt("--only", "");
const filter = opt("--filter", "");
const jobs = Number(opt("--jobs", String(Math.max(1, Math.min(2, cpus().length)))));
const listFailures = args.includes("--list-failures");
const TIMEOUT_MS = 60_000;

const langDir = join(dir, "lang");
if (!existsSync(langDir)) {
  console.error(`no lang/ folder in ${dir}`);
  process.exit(2);
}

const env = {
  ...process.env,
  TEST_VAR: "foo", // eval-okay-getenv.nix
  NIX_PATH: "lang/dir3:lang/dir4",
  HOME: "/fake-home",
  // The suite's nix.conf (common/init.sh) enables these: fetchTree, parseFlakeRef and
  // flakeRefToString exist only with flakes.
  NIX_CONFIG: "experimental-features = nix-command flakes",
};

/** Runs a command in the suite directory; resolves with exit code, stdout and stderr as bytes-as-latin1. */
function run(argv, stdinFile) {
  return new Promise((resolvePromise) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: dir,
      env,
      stdio: [stdinFile ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    if (stdinFile) {
      child.stdin.on("error", () => {});
      child.stdin.end(readFileSync(stdinFile));
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: signal ? `signal ${signal}` : code,
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString("latin1"),
      });
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolvePromise({ code: "spawn error", stdout: "", stderr: String(e) });
    });
  });
}

const pwdRe = new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g");
const sedPwd = (s) => s.replace(pwdRe, "/pwd");
const read = (name) => readFileSync(join(langDir, name), "latin1");
const has = (name) => existsSync(join(langDir, name));
const words = (s) => s.split(/\s+/).filter(Boolean);

/** One test: returns { category, name, ok, errMatch?, why }. */
async function runTest(file) {
  const name = file.slice(0, -4);
  const category = name.replace(/^(parse-okay|parse-fail|eval-okay|eval-fail)-.*$/, "$1");
  const parser = parseCmd.length > 0 ? parseCmd : [...cmd, "--parse"];
  if (category === "parse-fail") {
    const r = await run([...parser, "-"], join(langDir, file));
    const errMatch = has(`${name}.err.exp`) ? r.stderr === read(`${name}.err.exp`) : undefined;
    return { category, name, ok: r.code === 1 && isNixError(r.stderr), errMatch, why: `exit ${r.code}, expected 1 with an error: ${firstLines(r.stderr)}` };
  }
  if (category === "parse-okay") {
    const r = await run([...parser, "-"], join(langDir, file));
    const got = sedPwd(r.stdout);
    const ok = r.code === 0 && got === read(`${name}.exp`);
    return { category, name, ok, why: r.code !== 0 ? `exit ${r.code}: ${firstLines(r.stderr)}` : diffWhy(got, read(`${name}.exp`)) };
  }
  if (category === "eval-fail") {
    // With .flags, --show-trace still holds: the suite's nix.conf (common/init.sh) sets show-trace.
    const flags = has(`${name}.flags`)
      ? ["--show-trace", ...words(read(`${name}.flags`).replace(/#.*/g, ""))]
      : ["--eval", "--strict", "--show-trace"];
    const r = await run([...cmd, ...flags, `lang/${file}`]);
    const errMatch = has(`${name}.err.exp`) ? postprocess(name, sedPwd(r.stderr)) === read(`${name}.err.exp`) : undefined;
    return { category, name, ok: r.code === 1 && isNixError(r.stderr), errMatch, why: `exit ${r.code}, expected 1 with an error: ${firstLines(r.stderr)}` };
  }
  if (has(`${name}.exp.xml`)) {
    const r = await run([...cmd, "--eval", "--xml", "--no-location", "--strict", `lang/${file}`]);
    const ok = r.code === 0 && r.stdout === read(`${name}.exp.xml`);
    return { category, name, ok, why: r.code !== 0 ? `exit ${r.code}: ${firstLines(r.stderr)}` : diffWhy(r.stdout, read(`${name}.exp.xml`)) };
  }
  const flags = has(`${name}.flags`) ? words(read(`${name}.flags`).split("\n")[0]) : [];
  const r = await run([...cmd, "--show-trace", ...flags, "--eval", "--strict", `lang/${file}`]);
  const got = sedPwd(r.stdout);
  const ok = r.code === 0 && got === read(`${name}.exp`);
  const errMatch = has(`${name}.err.exp`) ? postprocess(name, sedPwd(r.stderr)) === read(`${name}.err.exp`) : undefined;
  return { category, name, ok, errMatch, why: r.code !== 0 ? `exit ${r.code}: ${firstLines(r.stderr)}` : diffWhy(got, read(`${name}.exp`)) };
}

/** A failure reported as Nix does ("error: …"), not a crash of the command. */
/** A test's T.postprocess script (as lang.sh runs it on T.err), applied to its stderr. */
function postprocess(name, stderr) {
  if (!has(`${name}.postprocess`)) return stderr;
  const tmp = mkdtempSync(join(tmpdir(), "lang-suite-"));
  try {
    writeFileSync(join(tmp, `${name}.err`), stderr, "latin1");
    execFileSync("bash", [join(langDir, `${name}.postprocess`), join(tmp, name)]);
    return readFileSync(join(tmp, `${name}.err`), "latin1");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function isNixError(stderr) {
  // "error: message", or current Nix's traced form: "error:" alone, then "… while …" lines.
  return /^error:( |\n)/m.test(stderr);
}

function firstLines(s) {
  return s.split("\n").slice(0, 3).join(" | ").slice(0, 300);
}

function diffWhy(got, want) {
  let i = 0;
  while (i < got.length && got[i] === want[i]) i++;
  return `output differs at byte ${i}: got ${JSON.stringify(got.slice(i, i + 80))}, want ${JSON.stringify(want.slice(i, i + 80))}`;
}

const files = readdirSync(langDir)
  .filter((f) => /^(parse-okay|parse-fail|eval-okay|eval-fail)-.*\.nix$/.test(f))
  .filter((f) => f.includes(filter))
  .filter((f) => !only || f.startsWith(`${only}-`))
  .filter((f) => !(f.startsWith("eval-okay-") && existsSync(join(langDir, `${f.slice(0, -4)}.exp-disabled`))))
  .sort();

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    results.push(await runTest(file));
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
results.sort((a, b) => (a.name < b.name ? -1 : 1));

const categories = ["parse-okay", "parse-fail", "eval-okay", "eval-fail"];
for (const c of categories) {
  const rs = results.filter((r) => r.category === c);
  if (rs.length === 0) continue;
  const passed = rs.filter((r) => r.ok).length;
  const withErr = rs.filter((r) => r.errMatch !== undefined);
  const errLine = withErr.length > 0 ? `; stderr identical to .err.exp: ${withErr.filter((r) => r.errMatch).length}/${withErr.length}` : "";
  console.log(`${c}: ${passed}/${rs.length} passed${errLine}`);
}
if (listFailures) {
  for (const r of results.filter((x) => !x.ok)) console.log(`FAIL ${r.name}: ${r.why}`);
  for (const r of results.filter((x) => x.ok && x.errMatch === false)) console.log(`STDERR-DIFF ${r.name}`);
}
const passed = results.filter((r) => r.ok).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exitCode = passed === results.length ? 0 : 1;
