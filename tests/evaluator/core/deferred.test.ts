// The built CLI (dist/) loads fetchers, flakes, TOML, flake references and regexes on first use
// (src/deferred.ts, `require` of ES modules): a plain evaluation leaves them unloaded, and each
// builtin that needs one still works, with the same module instances `import` gives.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const dist = new URL("../../../dist/", import.meta.url).href;

/** Runs `body` in a fresh Node with the built instantiate runner; prints JSON. */
const inNode = (body: string): unknown => {
  const script = `
    const { runInstantiateCli } = await import(${JSON.stringify(`${dist}evaluator/cli/runInstantiate.js`)});
    const { parseInstantiateArgs } = await import(${JSON.stringify(`${dist}evaluator/cli/parseArgs.js`)});
    // flakes: for builtins.parseFlakeRef.
    const ev = (expr) => runInstantiateCli(parseInstantiateArgs(["--extra-experimental-features", "flakes", "--eval", "--strict", "-E", expr], "/", {}));
    const loaded = () => process.moduleLoadList.join(" ");
    ${body}`;
  const r = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
};

describe("deferred modules", () => {
  it("a plain evaluation loads no fetcher, flake, TOML or child_process code", () => {
    const r = inNode(`
      const out = (await ev("1 + 2")).stdout;
      console.log(JSON.stringify({ out, childProcess: loaded().includes("NativeModule child_process"), workers: loaded().includes("NativeModule worker_threads") }));`);
    expect(r).toEqual({ out: "3\n", childProcess: false, workers: false });
  });

  it("builtins that need a deferred module load it and answer as before", () => {
    const r = inNode(`
      const outs = [];
      for (const e of ['builtins.fromTOML "a = 1"', 'builtins.parseFlakeRef "github:o/r"', 'builtins.match "a(b)" "ab"', 'builtins.match "[" "a"'])
        { const x = await ev(e); outs.push(x.stdout || x.stderr.split("\\n").filter((l) => /^ *error: /.test(l)).pop().trim()); }
      // The required module is the one import gives (classes keep their identity).
      const viaImport = await import(${JSON.stringify(`${dist}evaluator/lib/toml.js`)});
      const { deferred } = await import(${JSON.stringify(`${dist}deferred.js`)});
      console.log(JSON.stringify({ outs, same: deferred("toml") === viaImport }));`);
    expect(r).toEqual({
      outs: ["{ a = 1; }\n", '{ owner = "o"; repo = "r"; type = "github"; }\n', '[ "b" ]\n', "error: invalid regular expression '['"],
      same: true,
    });
  });
});

// The CLI runs `instantiate` from a CommonJS bundle (scripts/bundle.mjs, bin/nixoci.cjs): there the
// deferred modules are bundled in, and run on first use.
describe("deferred modules in the CLI's instantiate bundle", () => {
  const bin = new URL("../../../bin/nixoci.cjs", import.meta.url).pathname;
  const run = (expr: string) => {
    const script = `
      process.on("exit", () => {
        const loaded = process.moduleLoadList.join(" ");
        process.stderr.write(JSON.stringify({ childProcess: loaded.includes("NativeModule child_process"), workers: loaded.includes("NativeModule worker_threads"), crypto: loaded.includes("NativeModule crypto") }));
      });
      process.argv = [process.argv[0], ${JSON.stringify(bin)}, "instantiate", "--extra-experimental-features", "flakes", "--eval", "--strict", "-E", ${JSON.stringify(expr)}];
      require(${JSON.stringify(bin)});`;
    // A file, not `node -e`, which loads node:crypto itself.
    const file = join(mkdtempSync(join(tmpdir(), "nixoci-deferred-")), "run.cjs");
    writeFileSync(file, script);
    const r = spawnSync("node", [file], { encoding: "utf8" });
    rmSync(dirname(file), { recursive: true });
    return { stdout: r.stdout, loads: JSON.parse(r.stderr.slice(r.stderr.lastIndexOf("{"))) as unknown };
  };

  it("a plain evaluation loads no child_process, worker_threads or crypto", () => {
    expect(run("1 + 2")).toEqual({ stdout: "3\n", loads: { childProcess: false, workers: false, crypto: false } });
  });

  it("a builtin that needs a deferred module (or hashing) loads it and answers as before", () => {
    expect(run('builtins.fromTOML "a = 1"').stdout).toBe("{ a = 1; }\n");
    expect(run('builtins.parseFlakeRef "github:o/r"').stdout).toBe('{ owner = "o"; repo = "r"; type = "github"; }\n');
    expect(run('builtins.match "a(b)" "ab"').stdout).toBe('[ "b" ]\n');
    expect(run('builtins.hashString "sha256" ""')).toEqual({
      stdout: '"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n',
      loads: { childProcess: false, workers: false, crypto: true },
    });
  });
});
