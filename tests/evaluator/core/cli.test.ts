// `nixoci instantiate` end to end (the built CLI in dist/, as `npm test` builds it),
// checked against nix-instantiate where the outputs are defined the same in Nix 2.8.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";

const cli = new URL("../../../bin/nixoci.js", import.meta.url).pathname;
const run = (args: string[], cwd = process.cwd()) => spawnSync("node", [cli, "instantiate", ...args], { encoding: "utf8", cwd, env: { ...process.env, NIX_PATH: "" } });
const tmp = mkdtempSync(join(tmpdir(), "nixoci-instantiate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The exit code, stdout and the error's own message: Nix 2.8 lays errors out differently. */
const message = (r: ReturnType<typeof spawnSync>) => ({
  status: r.status,
  stdout: r.stdout,
  error: String(r.stderr).split("\n").map((l) => l.trim()).filter((l) => l.startsWith("error:")).pop(),
});

const hello = 'derivation { name = "hello"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo hi > $out" ]; src = builtins.toFile "in.txt" "input"; }';

describe("nixoci instantiate", () => {
  it("evaluates deep non-tail recursion on a big stack, and stops at Nix's max-call-depth", () => {
    const ok = run(["--eval", "-E", "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 9000"]);
    expect(ok.stdout).toBe("9000\n");
    const bad = run(["--eval", "-E", "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 20000"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^( {7})?error: stack overflow; max-call-depth exceeded/m);
  });

  it("warns or fails on literals as the --lint-* settings say, and indents warnings as Nix", () => {
    const file = join(tmp, "lint.nix");
    writeFileSync(file, "/tmp/foo\n");
    expect(run(["--eval", file]).stderr).toBe("");
    const warned = run(["--lint-absolute-path-literals", "warn", "--eval", file]);
    expect(warned.stdout).toBe("/tmp/foo\n");
    expect(warned.stderr).toBe(
      `warning: absolute path literals are not portable. Consider replacing path literal '/tmp/foo' by a string, relative path, or parameter (lint-absolute-path-literals)\n         at ${file}:1:1:\n              1| /tmp/foo\n               | ^\n              2|\n`,
    );
    const fatal = run(["--lint-absolute-path-literals", "fatal", "--eval", file]);
    expect(fatal.status).toBe(1);
    expect(fatal.stderr).toMatch(/^error: absolute path literals are not portable/);
    expect(run(["--lint-url-literals", "sometimes", "--eval", file]).status).not.toBe(0);
    expect(run(["--eval", "-E", 'builtins.warn "foo\nbar" (builtins.warn "\nbaz" 1)']).stderr).toBe(
      "evaluation warning: foo\n                    bar\nevaluation warning:\nbaz\n",
    );
  });

  it("prints Nix-style errors with position and exit code 1", () => {
    const r = run(["--eval", "-E", "let x = 1; in x + y"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("undefined variable 'y'");
    const t = run(["--eval", "--show-trace", "-E", '{ a = throw "boom"; }.a']);
    expect(t.stderr).toContain("… while evaluating the attribute 'a'");
    expect(t.stderr).toContain("error: boom");
  });

  it("writes to the store under --eval only with --read-write-mode (import of a builtins.toFile path, as lib/tests/modules.sh does)", () => {
    const store = join(tmp, "rw-store");
    const expr = 'import "${builtins.toFile "m.nix" "{ a = 41 + 1; }"}"';
    const rw = run(["--store", store, "--eval", "--strict", "--read-write-mode", "-E", expr]);
    expect(rw.stderr).toBe("");
    expect(rw.stdout).toBe("{ a = 42; }\n");
    // Read-only (the default for --eval, or --readonly-mode even with --read-write-mode): the path is only computed.
    const other = 'import "${builtins.toFile "m2.nix" "{ }"}"';
    expect(run(["--store", store, "--eval", "-E", other]).status).toBe(1);
    expect(run(["--store", store, "--eval", "--readonly-mode", "--read-write-mode", "-E", other]).status).toBe(1);
  });

  it("supports -A with list indexes, --arg/--argstr auto-calling, --json and files", () => {
    const f = join(tmp, "f.nix");
    writeFileSync(f, "{ n ? 1, s }: { out = [ n s { deep = n * 2; } ]; }");
    expect(run(["--eval", "--strict", f, "-A", "out.2.deep", "--arg", "n", "21", "--argstr", "s", "x"]).stdout).toBe("42\n");
    expect(run(["--eval", "--strict", "--json", f, "--argstr", "s", "x"]).stdout).toBe('{"out":[1,"x",{"deep":2}]}\n');
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("what --eval prints unforced, as nix-instantiate 2.8", () => {
  const nix = (args: string[]) => spawnSync("nix-instantiate", args, { encoding: "utf8", env: { ...process.env, NIX_PATH: "" } });
  // Literals (and variables already set) are values, anything else a thunk, as Nix's maybeThunk;
  // a lambda too. `[ ]` is left out: current Nix makes it a value, Nix 2.8 a thunk.
  const cases: string[][] = [
    ["--eval", "-E", `{ a = 1.5; b = ${tmp}; d = x: x; e = "s"; f = 1; g = [ 1 ]; h = { }; i = null; k = builtins.add 1 2; }`],
    ["--eval", "-E", `[ 1.5 ${tmp} (x: x) { } null true (1 + 1) ]`],
    ["--eval", "--xml", "-E", "[ 1.5 (x: x) (1 + 1) ]"],
    // --json without --strict refuses a thunk.
    ["--eval", "--json", "-E", "{ a = 1; b = { c = 2; }; }"],
    ["--eval", "--json", "-E", "[ 1.5 (x: x) ]"],
    ["--eval", "--json", "-E", '{ a = 1.5; b = "s"; c = null; }'],
  ];
  it.each(cases)("%j", (...args) => {
    const ours = message(run(args));
    const theirs = message(nix(args));
    // On an error Nix 2.8 has printed part of the JSON; current Nix, as nixoci, prints none. And
    // 2.8 ends JSON without a newline.
    if (theirs.status !== 0) theirs.stdout = "";
    if (args.includes("--json") && theirs.status === 0) theirs.stdout += "\n";
    expect(ours).toEqual(theirs);
  });
  it("prints [ ] as a value, as current Nix", () => {
    expect(run(["--eval", "-E", "{ c = [ ]; }"]).stdout).toBe("{ c = [ ]; }\n");
  });
});

describe("flags of current nix-instantiate that Nix 2.8 lacks", () => {
  it("--raw prints the value as a string, without a newline; the last of --raw, --json, --xml wins", () => {
    expect(run(["--eval", "--raw", "-E", '"a${toString 1}"']).stdout).toBe("a1");
    expect(run(["--eval", "--raw", "-E", '{ outPath = "x"; }']).stdout).toBe("x");
    expect(run(["--eval", "--raw", "--json", "-E", "1"]).stdout).toBe("1\n");
    expect(message(run(["--eval", "--raw", "-E", "[ 1 ]"]))).toEqual({ status: 1, stdout: "", error: "error: cannot coerce a list to a string: [ 1 ]" });
  });
  it("--xml places a derivation's own attributes where current Nix's internal derivation.nix has them", () => {
    const out = run(["--eval", "--xml", "--strict", "-E", 'derivation { name = "n"; system = "s"; builder = "/b"; }']).stdout;
    const at = (name: string) => new RegExp(`<attr column="(\\d+)" line="(\\d+)" name="${name}" path="([^"]*)">`).exec(out)?.slice(1);
    // Lines and columns of current Nix's src/libexpr/primops/derivation.nix.
    expect(Object.fromEntries(["all", "drvAttrs", "out", "outPath", "drvPath", "type", "outputName"].map((n) => [n, at(n)]))).toEqual({
      all: ["7", "42", "/derivation-internal.nix"],
      drvAttrs: ["15", "43", "/derivation-internal.nix"],
      out: ["5", "48", "/derivation-internal.nix"],
      outPath: ["7", "49", "/derivation-internal.nix"],
      drvPath: ["7", "50", "/derivation-internal.nix"],
      type: ["7", "51", "/derivation-internal.nix"],
      outputName: ["15", "52", "/derivation-internal.nix"],
    });
  });
  it("--arg-from-file and --arg-from-stdin pass a file's or stdin's contents as a string", () => {
    const f = join(tmp, "arg.txt");
    writeFileSync(f, "from file\n");
    expect(run(["--eval", "-E", "{ a, b }: a + b", "--arg-from-file", "a", f, "--argstr", "b", "!"]).stdout).toBe('"from file\\n!"\n');
    const r = spawnSync("node", [cli, "instantiate", "--eval", "-E", "{ a }: a", "--arg-from-stdin", "a"], { encoding: "utf8", input: "piped" });
    expect(r.stdout).toBe('"piped"\n');
  });
});

describe("the search path composed as current Nix's nix_path.sh says ($NIX_CONFIG standing in for nix.conf)", () => {
  const root = join(tmp, "nix-path");
  const kinds = ["from-nix-path-file", "from-NIX_PATH", "from-nix-path", "from-extra-nix-path", "from-I"];
  for (const k of kinds) {
    mkdirSync(join(root, k), { recursive: true });
    writeFileSync(join(root, k, `only-${k}.nix`), "");
  }
  const find = (args: string[], env: Record<string, string> = {}) => {
    const e: Record<string, string | undefined> = { ...process.env, NIX_CONFIG: `nix-path = test=${root}/from-nix-path-file`, ...env };
    if (env.NIX_PATH === undefined) delete e.NIX_PATH;
    const r = spawnSync("node", [cli, "instantiate", ...args], { encoding: "utf8", env: e });
    return r.status === 0 ? r.stdout.trim() : "FAIL";
  };
  const p = (s: string) => join(root, s);
  const cases: [string[], Record<string, string>, string][] = [
    [["--find-file", "test"], {}, p("from-nix-path-file")],
    [["--find-file", "test"], { NIX_PATH: `test=${p("from-NIX_PATH")}` }, p("from-NIX_PATH")],
    [["--find-file", "test/only-from-nix-path-file.nix"], { NIX_PATH: `test=${root}` }, "FAIL"],
    [["-I", `test=${p("from-I")}`, "--find-file", "test/only-from-nix-path-file.nix"], {}, p("from-nix-path-file/only-from-nix-path-file.nix")],
    [["-I", `test=${p("from-I")}`, "--find-file", "test"], { NIX_PATH: `test=${p("from-NIX_PATH")}` }, p("from-I")],
    [["-I", `test=${p("from-I")}`, "--find-file", "test/only-from-NIX_PATH.nix"], { NIX_PATH: `test=${p("from-NIX_PATH")}` }, p("from-NIX_PATH/only-from-NIX_PATH.nix")],
    [["--extra-nix-path", `test=${p("from-extra-nix-path")}`, "--find-file", "test/only-from-NIX_PATH.nix"], { NIX_PATH: `test=${p("from-NIX_PATH")}` }, p("from-NIX_PATH/only-from-NIX_PATH.nix")],
    [["--nix-path", `test=${p("from-nix-path")}`, "--find-file", "test"], { NIX_PATH: `test=${p("from-NIX_PATH")}` }, p("from-nix-path")],
    [["--nix-path", `test=${p("from-nix-path")}`, "--find-file", "test/only-from-NIX_PATH.nix"], { NIX_PATH: `test=${p("from-NIX_PATH")}` }, "FAIL"],
    [["--nix-path", `test=${p("from-nix-path")}`, "--find-file", "test/only-from-nix-path-file.nix"], {}, "FAIL"],
    [["--extra-nix-path", `test=${p("from-extra-nix-path")}`, "--find-file", "test"], {}, p("from-nix-path-file")],
    [["--extra-nix-path", `test=${p("from-extra-nix-path")}`, "--find-file", "test/only-from-extra-nix-path.nix"], {}, p("from-extra-nix-path/only-from-extra-nix-path.nix")],
    [["--nix-path", `test=${p("from-nix-path")}`, "-I", `test=${p("from-I")}`, "--find-file", "test/only-from-nix-path.nix"], {}, p("from-nix-path/only-from-nix-path.nix")],
  ];
  it.each(cases)("%j with %j", (args, env, expected) => {
    expect(find(args, env)).toBe(expected);
  });
  it("NIX_PATH, even empty, overrides the configuration's extra-nix-path too (Nix 2.8 appended it)", () => {
    const prefixes = (env: Record<string, string | undefined>) => {
      const e: Record<string, string | undefined> = { ...process.env, NIX_CONFIG: "extra-nix-path = x=/y", ...env };
      if (env.NIX_PATH === undefined) delete e.NIX_PATH;
      return spawnSync("node", [cli, "instantiate", "--eval", "--strict", "-E", "map (e: e.prefix) builtins.nixPath"], { encoding: "utf8", env: e }).stdout;
    };
    expect(prefixes({})).toBe('[ "x" ]\n');
    expect(prefixes({ NIX_PATH: "" })).toBe("[ ]\n");
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("--find-file as nix-instantiate 2.8", () => {
  const nix = (args: string[]) => spawnSync("nix-instantiate", args, { encoding: "utf8", env: { ...process.env, NIX_PATH: "" } });
  mkdirSync(join(tmp, "ff", "sub"), { recursive: true });
  writeFileSync(join(tmp, "ff", "sub", "a.nix"), "1");
  const cases: string[][] = [
    ["--find-file", "sub", "sub/a.nix", "-I", join(tmp, "ff")],
    ["--find-file", "x/sub/a.nix", "-I", `x=${join(tmp, "ff")}`],
    ["--find-file", "sub/a.nix", "-I", `x=${join(tmp, "ff")}`],
  ];
  it.each(cases)("%j", (...args) => {
    expect(message(run(args))).toEqual(message(nix(args)));
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("-A and --arg as nix-instantiate 2.8", () => {
  const nix = (args: string[]) => spawnSync("nix-instantiate", args, { encoding: "utf8", env: { ...process.env, NIX_PATH: "" } });
  const cases: string[][] = [
    // A part that reads as an unsigned int is a list index, also on a set.
    ["--eval", "-E", '{ "0" = 1; }', "-A", "0"],
    ["--eval", "-E", "[ 5 6 ]", "-A", "2"],
    ["--eval", "-E", '{ "-1" = 3; }', "-A", "-1"],
    // The type alone, no value.
    ["--eval", "-E", "1", "-A", "x"],
    // An --arg is evaluated only when used; it is parsed up front.
    ["--eval", "-E", "{ x ? 1 }: 2", "--arg", "x", 'throw "boom"'],
    ["--eval", "-E", "{ x }: x", "--arg", "x", 'throw "boom"'],
    ["--eval", "-E", "{ x }: 2", "--arg", "x", "1 +"],
  ];
  it.each(cases)("%j", (...args) => {
    const ours = message(run(args));
    const theirs = message(nix(args));
    expect(ours).toEqual(theirs);
  });
  it("reads selection paths and stdin as Nix (misc.sh)", () => {
    for (const [expr, path] of [["{}", '"x'], ["[]", "x"], ["{}", "1"], ["{}", "."], ["[]", "1"], ["{ a = { b = 1; }; }", "a."], ['{ "a.b" = 2; }', '"a.b"']]) {
      const args = ["--eval", "-E", expr!, "-A", path!];
      expect(message(run(args))).toEqual(message(nix(args)));
    }
    const stdin = (args: string[], input: string) => spawnSync("node", [cli, "instantiate", ...args], { encoding: "utf8", input });
    // With -E too, "-" is stdin («stdin» in positions), read before the other arguments.
    expect(stdin(["--eval", "-E", "-"], "let a = {} // a; in a.foo").stderr).toContain("at «stdin»:1:15:");
    expect(stdin(["--eval", "-E", "3", "-"], "1 + 1").stdout).toBe("2\n3\n");
  });
  it("offers close names for an attribute not found, as Nix", () => {
    const f = join(tmp, "sel.nix");
    writeFileSync(f, "{ x = 1; y = { z = 2; }; }");
    for (const path of ["a", "y.q", "y.zz", "qqqqqqqq"]) {
      const args = ["--eval", f, "-A", path];
      expect(run(args).stderr).toBe(nix(args).stderr);
    }
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("nixoci instantiate writes .drv files like nix-instantiate", () => {
  it("produces the same .drv path and bytes", () => {
    const ours = run(["--store", join(tmp, "ours"), "-E", hello]);
    // Nix warns the same way when no --add-root is given.
    expect(ours.stderr).toBe("warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n");
    const nixStore = join(tmp, "nix");
    const theirs = execFileSync("nix-instantiate", ["--store", nixStore, "-E", hello], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const drvPath = theirs.trim().split("\n").pop()!;
    expect(ours.stdout.trim()).toBe(drvPath);
    const ourBytes = readFileSync(join(tmp, "ours", drvPath.slice(1)));
    expect(ourBytes.equals(readFileSync(join(nixStore, drvPath.slice(1))))).toBe(true);
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("nixoci instantiate takes Nix's settings as flags, as nix-instantiate 2.8", () => {
  const nix = (args: string[]) => spawnSync("nix-instantiate", args, { encoding: "utf8", env: { ...process.env, NIX_PATH: "" } });
  // Only stdout, the exit code and the first stderr line: later lines of an error are laid out as current Nix.
  const outcome = (r: ReturnType<typeof spawnSync>) => ({ status: r.status, stdout: r.stdout, stderr: String(r.stderr).split("\n")[0] });
  const cases: string[][] = [
    ["--timeout", "1", "--eval", "-E", "1"],
    ["--option", "system", "foo", "--eval", "-E", "builtins.currentSystem"],
    ["--system", "bar", "--eval", "-E", "builtins.currentSystem"],
    ["--pure-eval", "--eval", "-E", "builtins ? currentSystem"],
    ["--no-pure-eval", "--eval", "-E", "builtins ? currentSystem"],
    ["--nix-path", `x=${tmpdir()}`, "--eval", "-E", "<x>"],
    ["--nix-path", "x=/nonexistent", "--extra-nix-path", `y=${tmpdir()}`, "--eval", "-E", "<y>"],
    ["-vQ", "-j", "4", "--eval", "-E", "2"],
    ["--foo"],
    ["--timeout"],
    ["--timeout", "x", "--eval", "-E", "1"],
    ["--cores", "-1", "--eval", "-E", "1"],
    ["--max-jobs", "q", "-E", "1"],
    ["--option", "pure-eval", "maybe", "--eval", "-E", "1"],
    ["--option", "nope", "1", "--eval", "-E", "1"],
    ["--extra-experimental-features", "foo flakes", "--eval", "-E", "1"],
    ["--option", "experimental-features", "bar", "--eval", "-E", "1"],
    // Only nix-instantiate's own --timeout takes a K/M/G/T suffix; -j's value is checked as --max-jobs's.
    ["--option", "timeout", "1K", "--eval", "-E", "1"],
    ["--timeout", "1K", "--eval", "-E", "1"],
    ["-j", "q", "--eval", "-E", "1"],
    ["--eval", "-E", "1", "--option", "timeout"],
    // Nix's logger: escape sequences off a terminal are dropped, tabs expanded.
    ["--eval", "-E", 'builtins.trace "a\tb \u001b[1;35mX\u001b[0m\r" 1'],
  ];
  it.each(cases.map((c) => [c.join(" "), c]))("%s", (_name, args) => {
    expect(outcome(run(args as string[]))).toEqual(outcome(nix(args as string[])));
  });
  it("reads $NIX_CONFIG before the flags", () => {
    // (extra-nix-path in $NIX_CONFIG: see the nix_path.sh cases, where current Nix differs from 2.8)
    for (const config of ["nope = 1", "system = foo # comment\n\nshow-trace = true", "show-trace = maybe", "bad line"]) {
      const args = ["--eval", "-E", "builtins.currentSystem + builtins.concatStringsSep \",\" (map (e: e.prefix) builtins.nixPath)"];
      const env = { ...process.env, NIX_PATH: "", NIX_CONFIG: config };
      const ours = spawnSync("node", [cli, "instantiate", ...args], { encoding: "utf8", env });
      const theirs = spawnSync("nix-instantiate", args, { encoding: "utf8", env });
      expect(outcome(ours), config).toEqual(outcome(theirs));
    }
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("nixoci instantiate --pure-eval reads only what it may, as nix-instantiate 2.8", () => {
  const nix = (args: string[]) => spawnSync("nix-instantiate", args, { encoding: "utf8", cwd: tmp, env: { ...process.env, NIX_PATH: "" } });
  const file = join(tmp, "pure-two.nix");
  writeFileSync(file, "1 + 1\n");
  const cases: string[][] = [
    [file],
    ["-E", "import ./pure-two.nix"],
    ["-E", "builtins.readFile /etc/passwd"],
    ["-E", "builtins.pathExists /etc/passwd"],
    ["-E", "builtins.readDir /etc"],
    ["-E", '"${./.}"'],
    ["-E", "<x>", "-I", `x=${tmp}`],
    ["-E", "builtins.nixPath", "-I", `x=${tmp}`, "--nix-path", `y=${tmp}`],
    ["-E", "builtins.typeOf (import <nix/fetchurl.nix>)"],
    ["-E", 'builtins.stringLength (builtins.toFile "a" "b")'],
    ["-E", "builtins.fetchurl file:///etc/passwd"],
  ];
  it.each(cases.map((c) => [c.join(" "), c]))("%s", (_name, args) => {
    const full = ["--pure-eval", "--eval", "--strict", ...(args as string[])];
    expect(message(run(full, tmp))).toEqual(message(nix(full)));
  });
  it("is as before without --pure-eval", () => {
    expect(run(["--eval", file]).stdout).toBe("2\n");
    expect(run(["--eval", "-E", "<x>", "-I", `x=${tmp}`]).stdout).toBe(`${tmp}\n`);
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("nixoci instantiate --restrict-eval reads the search path's paths only, as nix-instantiate 2.8", () => {
  const nix = (args: string[]) => spawnSync("nix-instantiate", args, { encoding: "utf8", cwd: tmp, env: { ...process.env, NIX_PATH: "" } });
  const file = join(tmp, "restricted-two.nix");
  writeFileSync(file, "1 + 1\n");
  // A symlink leading out of an allowed directory (Nix's restricted.sh).
  const tunnel = join(tmp, "tunnel.d");
  mkdirSync(join(tunnel, "..", "foo2"), { recursive: true });
  mkdirSync(tunnel, { recursive: true });
  symlinkSync("..", join(tunnel, "tunnel"));
  writeFileSync(join(tmp, "bar"), "foo\n");
  const cases: string[][] = [
    ["-E", "1 + 2"],
    [file],
    [file, "-I", tmp],
    [file, "-I", `x=${tmp}`],
    ["-E", "builtins.readFile /etc/passwd"],
    ["-E", "builtins.readFile /etc/passwd", "-I", "x=/etc"],
    ["-E", "builtins.readFile ./restricted-two.nix", "-I", "."],
    ["-E", 'builtins.getEnv "HOME"'],
    ["-E", "builtins.currentSystem"],
    ["-E", "builtins.pathExists /etc"],
    ["-E", "<x>", "-I", `x=${tmp}`],
    ["--strict", "-E", "builtins.nixPath", "-I", `x=${tmp}`],
    ["-E", "builtins.typeOf (import <nix/fetchurl.nix>)"],
    ["-E", "builtins.fetchurl file:///etc/passwd"],
    ["-E", "builtins.fetchurl file:///etc/passwd", "--allowed-uris", "file:///etc"],
    ["-E", "builtins.fetchurl http://127.0.0.1:1/x"],
    ["-E", `let __nixPath = [ { prefix = "foo"; path = ${tunnel}; } ]; in builtins.readFile <foo/tunnel/bar>`, "-I", tunnel],
    ["-E", `let __nixPath = [ { prefix = "foo"; path = ${tunnel}; } ]; in builtins.readDir <foo/tunnel/foo2>`, "-I", tunnel],
    ["--pure-eval", "-E", "builtins.readFile /etc/passwd"],
  ];
  it.each(cases.map((c) => [c.join(" "), c]))("%s", (_name, args) => {
    const full = ["--restrict-eval", "--eval", ...(args as string[])];
    expect(message(run(full, tmp))).toEqual(message(nix(full)));
  });
  it("reads back what builtins.toFile wrote, as current Nix (2.8 refused it)", () => {
    expect(run(["--restrict-eval", "--eval", "-E", 'builtins.readFile (builtins.toFile "a" "b")'], tmp).stdout).toBe('"b"\n');
  });
  it("allows a URI below an allowed-uris prefix only at a '/', as current Nix (2.8 took any prefix)", () => {
    const fetch = (allowed: string) => run(["--restrict-eval", "--allowed-uris", allowed, "--eval", "-E", "builtins.fetchurl http://127.0.0.1:1/ab"]);
    expect(fetch("http://127.0.0.1:1/a").stderr).toContain("error: access to URI 'http://127.0.0.1:1/ab' is forbidden in restricted mode");
    // Allowed, so it is fetched (and fails to connect).
    for (const allowed of ["http://127.0.0.1:1/", "http://127.0.0.1:1", "http:"]) expect(fetch(allowed).stderr).not.toContain("forbidden");
  });
});

describe("builtins that exist only with an experimental feature", () => {
  const has = (features: string, names: string[]) => ["--option", "experimental-features", features, "--eval", "--strict", "-E", `map (n: builtins ? \${n}) [ ${names.map((n) => `"${n}"`).join(" ")} ]`];
  it.skipIf(!haveTools("nix-instantiate"))("getFlake needs flakes, as in nix-instantiate 2.8 (flags or $NIX_CONFIG)", () => {
    const nix = (args: string[], env = {}) => spawnSync("nix-instantiate", args, { encoding: "utf8", env: { ...process.env, NIX_PATH: "", ...env } });
    for (const features of ["", "nix-command", "flakes", "nix-command flakes"]) {
      const args = has(features, ["getFlake", "fetchGit", "fetchTarball"]);
      expect(run(args).stdout, features).toBe(nix(args).stdout);
      const config = { NIX_CONFIG: `experimental-features = ${features}` };
      const viaEnv = ["--eval", "-E", "builtins ? getFlake"];
      expect(spawnSync("node", [cli, "instantiate", ...viaEnv], { encoding: "utf8", env: { ...process.env, ...config } }).stdout, features).toBe(nix(viaEnv, config).stdout);
    }
  });
  it("fetchTree, parseFlakeRef, flakeRefToString and outputOf as current Nix has them", () => {
    // Nix 2.8 differs (current Nix wins): fetchTree was there without flakes (and failed when called),
    // parseFlakeRef, flakeRefToString and outputOf did not exist. Flakes imply fetch-tree.
    const names = ["getFlake", "parseFlakeRef", "flakeRefToString", "fetchTree", "outputOf", "fetchGit"];
    expect(run(has("", names)).stdout).toBe("[ false false false false false true ]\n");
    expect(run(has("flakes", names)).stdout).toBe("[ true true true true false true ]\n");
    expect(run(has("fetch-tree", names)).stdout).toBe("[ false false false true false true ]\n");
    expect(run(has("dynamic-derivations", names)).stdout).toBe("[ false false false false true true ]\n");
    // Hidden from the global scope too.
    expect(run(["--eval", "-E", "__getFlake"]).stderr).toMatch(/^error: undefined variable '__getFlake'/);
  });
});

describe("nixoci eval", () => {
  const nixEval = (args: string[], env: Record<string, string> = {}, cwd = process.cwd()) => spawnSync("node", [cli, "eval", ...args], { encoding: "utf8", cwd, env: { ...process.env, ...env } });
  it("bounds deep data by max-call-depth when printing, comparing, coercing, as current Nix (eval.sh)", () => {
    for (const expr of [
      "let f = n: { inner = f (n + 1); }; in f 0",
      "builtins.toXML (let f = n: { inner = f (n + 1); }; in f 0)",
      "let f = n: { inner = f (n + 1); }; in f 0 == f 1",
      "let f = n: [ (f (n + 1)) ]; in f 0 == f 1",
      "let f = n: { inner = f (n + 1); }; in assert f 0 == f 1; true",
      'let f = n: { __toString = _: f (n + 1); }; in "${f 0}"',
    ]) {
      const r = nixEval(["--expr", expr, "--max-call-depth", "100"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^( {7})?error: stack overflow; max-call-depth exceeded/m);
    }
  });
  it("prints JSON laid out with --pretty, on one line with --no-pretty or to a pipe, as current Nix's json.sh", () => {
    const expr = "{ a.b.c = true; }";
    expect(nixEval(["--json", "--pretty", "--expr", expr]).stdout).toBe('{\n  "a": {\n    "b": {\n      "c": true\n    }\n  }\n}\n');
    expect(nixEval(["--json", "--no-pretty", "--expr", expr]).stdout).toBe('{"a":{"b":{"c":true}}}\n');
    expect(nixEval(["--json", "--expr", expr]).stdout).toBe('{"a":{"b":{"c":true}}}\n');
    expect(nixEval(["--json", "--pretty", "--expr", '[ { } [ ] "a,b:[" 1.5 ]']).stdout).toBe('[\n  {},\n  [],\n  "a,b:[",\n  1.5\n]\n');
  });
  it("takes a dummy:// store with its store directory, as current Nix's impure-eval.sh", () => {
    expect(nixEval(["--impure", "--raw", "--store", "dummy://?store=/foo", "--expr", "builtins.storeDir"]).stdout).toBe("/foo");
    expect(nixEval(["--store", "dummy://?store=/bar", "--expr", 'builtins.toFile "a" "b"']).stdout).toMatch(/^"\/bar\/[0-9a-z]{32}-a"\n$/);
    expect(run(["--eval", "--store", "dummy://?store=/foo", "-E", "builtins.storeDir"]).stdout).toBe('"/foo"\n');
  });
  it("gives builtins.currentSystem from eval-system, else system, as current Nix's impure-eval.sh", () => {
    const sys = (args: string[]) => nixEval(["--impure", "--raw", ...args, "--expr", "builtins.currentSystem"]).stdout;
    expect(sys(["--system", "foo"])).toBe("foo");
    expect(sys(["--system", "foo", "--eval-system", ""])).toBe("foo");
    expect(sys(["--eval-system", "bar"])).toBe("bar");
    expect(sys(["--system", "foo", "--eval-system", "baz"])).toBe("baz");
  });
  it("takes Nix's old setting names as flags and options (eval.sh's --build-cores)", () => {
    expect(nixEval(["--expr", "{}", "--build-cores", "1"]).stdout).toBe("{ }\n");
    expect(nixEval(["--option", "build-use-sandbox", "false", "--expr", "1"]).stderr).toBe("");
  });
  it("as current Nix's pure-eval.sh: ~/ refused, a fetchurl with its hash importable, --write-to", () => {
    expect(nixEval(["--expr", "~/foo"]).stderr).toMatch(/error: the path '~\/foo' can not be resolved in pure mode/);
    expect(nixEval(["--impure", "--expr", "~/foo"], { HOME: "/fake-home" }).stdout).toBe("/fake-home/foo\n");
    const f = join(tmp, "pure-eval.nix");
    writeFileSync(f, "{ x = 123; }");
    const sha256 = createHash("sha256").update("{ x = 123; }").digest("hex");
    const fetch = (hash: string) => `(import (builtins.fetchurl { url = "file://${f}"; ${hash} })).x`;
    const store = join(tmp, "fetch-store");
    expect(nixEval(["--store", store, "--expr", fetch(`sha256 = "${sha256}";`)]).stdout).toBe("123\n");
    expect(nixEval(["--store", store, "--expr", fetch("")]).stderr).toMatch(/in pure evaluation mode, 'fetchurl' requires a 'sha256' argument/);
    const out = join(tmp, "eval-out");
    expect(nixEval(["--write-to", out, "--expr", '{ x = "foo" + "bar"; y = { z = "bla"; }; }']).status).toBe(0);
    expect([readFileSync(join(out, "x"), "utf8"), readFileSync(join(out, "y", "z"), "utf8")]).toEqual(["foobar", "bla"]);
    expect(nixEval(["--write-to", out, "--expr", '"x"']).stderr).toBe(`error: path '${out}' already exists\n`);
    // A bad value is found before anything is written.
    const bad = join(tmp, "eval-out-bad");
    expect(nixEval(["--write-to", bad, "--expr", '{ "." = "bla"; }']).stderr).toMatch(/error: invalid file name '\.'/);
    expect(nixEval(["--write-to", bad, "--expr", '{ a = "x"; b = 1; }']).stderr).toMatch(/error: value at '«string»:1:12' is not a string or an attribute set/);
    expect(existsSync(bad)).toBe(false);
  });
  it("may import what builtins.toFile wrote, pure or restricted, as current Nix (eval.sh)", () => {
    const store = join(tmp, "tofile-store");
    for (const mode of [[], ["--restrict-eval"]]) {
      expect(nixEval(["--store", store, ...mode, "--expr", 'import (builtins.toFile "source" "42")']).stdout).toBe("42\n");
    }
  });
  it.skipIf(!haveTools("nix"))("passes --arg/--argstr to the functions along the attribute path, as nix eval 2.8", () => {
    const f = join(tmp, "eval-args.nix");
    writeFileSync(f, '{ n ? 1, s }: { out = n * 2; inherit s; sub = { k }: { v = k + n; }; }');
    const nix = (args: string[]) => execFileSync("nix", ["eval", ...args], { encoding: "utf8" });
    for (const args of [
      ["--file", f, "--arg", "n", "21", "--argstr", "s", "hi", "out"],
      ["--file", f, "--argstr", "s", "hi", "s"],
      ["--file", f, "--arg", "n", "2", "--argstr", "s", "x", "--arg", "k", "40", "sub.v"],
      // (no --json: Nix 2.8 ends JSON without a newline, current Nix and nixoci with one)
      ["--expr", "{ x = { n }: { y = n; }; }", "--arg", "n", "[ 2 ]", "x.y"],
    ]) expect(nixEval(args).stdout).toBe(nix(args));
    // A usage error, as Nix reports one: exit 1 (nixoci's own commands exit 2).
    const missing: [string[], string][] = [
      [["--file", f, "--arg", "n"], "'--arg' requires 2"],
      [["--arg", "x"], "'--arg' requires 2"],
      [["--expr"], "'--expr' requires 1"],
      [["-f"], "'-f' requires 1"],
      [["-I"], "'-I' requires 1"],
    ];
    for (const [args, what] of missing) {
      const bad = spawnSync("nix", ["eval", ...args], { encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toBe(`error: flag ${what} argument(s)\nTry 'nix --help' for more information.\n`);
      expect({ ...nixEval(args), output: undefined, pid: undefined, signal: undefined }).toMatchObject({ status: bad.status, stdout: bad.stdout, stderr: bad.stderr });
    }
  });
  describe.skipIf(!haveTools("nix"))("takes Nix's settings as flags, as nix eval 2.8", () => {
    // As in the nix-instantiate cases: stdout, the exit code and the first stderr line.
    const nix = (args: string[]) => spawnSync("nix", ["eval", ...args], { encoding: "utf8" });
    const outcome = (r: ReturnType<typeof spawnSync>) => ({ status: r.status, stdout: r.stdout, stderr: String(r.stderr).split("\n")[0] });
    const cases: string[][] = [
      ["--timeout", "1", "--expr", "1"],
      ["--pure-eval", "--expr", "builtins ? currentSystem"],
      ["--no-pure-eval", "--expr", "builtins ? currentSystem"],
      ["--impure", "--option", "system", "foo", "--expr", "builtins.currentSystem"],
      ["--impure", "--system", "bar", "--expr", "builtins.currentSystem"],
      ["--impure", "--nix-path", `x=${tmpdir()}`, "--expr", "<x>"],
      ["--impure", "--nix-path", "x=/nonexistent", "--extra-nix-path", `y=${tmpdir()}`, "--expr", "<y>"],
      ["-j", "4", "--expr", "2"],
      ["--expr", "1", "--nope"],
      ["--expr", "1", "--timeout"],
      ["--expr", "1", "--option", "system"],
      // nix-instantiate's own --timeout takes K/M/G/T; nix's is a plain integer.
      ["--timeout", "1K", "--expr", "1"],
      ["--cores", "-1", "--expr", "1"],
      ["--max-jobs", "q", "--expr", "1"],
      ["-j", "q", "--expr", "1"],
      ["--option", "pure-eval", "maybe", "--expr", "1"],
      // The nix command's logging flags, accepted and without effect on an evaluation.
      ["-v", "--quiet", "--debug", "-L", "--print-build-logs", "--verbose", "--expr", "1"],
      ["-vvv", "--log-format", "raw", "--expr", "1"],
      ["--log-format", "bogus", "--expr", "1"],
      ["--log-format", "--expr", "1"],
      ["--expr", "1", "--log-format"],
      ["--no-build-output", "--expr", "1"],
      ["--extra-experimental-features", "foo", "--expr", "1"],
    ];
    it.each(cases.map((c) => [c.join(" "), c]))("%s", (_name, args) => {
      expect(outcome(nixEval(args as string[]))).toEqual(outcome(nix(args as string[])));
    });
  });

  it.skipIf(!haveTools("nix"))("has builtins.getFlake with the flakes feature only, as nix eval 2.8", () => {
    const nix = (args: string[]) => spawnSync("nix", ["eval", ...args], { encoding: "utf8" });
    for (const args of [
      ["--option", "experimental-features", "nix-command", "--expr", "builtins ? getFlake"],
      ["--option", "experimental-features", "nix-command", "--extra-experimental-features", "flakes", "--expr", "builtins ? getFlake"],
    ])
      expect(nixEval(args).stdout).toBe(nix(args).stdout);
    // Without flags: nix-command and flakes, which a user of nix eval turns on in nix.conf (nixoci reads none).
    expect(nixEval(["--expr", "builtins ? getFlake"]).stdout).toBe("true\n");
    expect(nixEval(["--extra-experimental-features", "ca-derivations", "--expr", "builtins ? getFlake"]).stdout).toBe("true\n");
    expect(nixEval(["--expr", "builtins ? getFlake"], { NIX_CONFIG: "experimental-features = nix-command" }).stdout).toBe("false\n");
  });

  describe.skipIf(!haveTools("nix"))("evaluates purely unless --impure or --file, as nix eval 2.8", () => {
    const nix = (args: string[]) => spawnSync("nix", ["eval", ...args], { encoding: "utf8", cwd: tmp });
    const file = join(tmp, "pure.nix");
    writeFileSync(file, "builtins.currentSystem\n");
    const cases: string[][] = [
      ["--expr", "builtins ? currentSystem"],
      ["--expr", "builtins ? currentTime"],
      ["--expr", 'builtins.getEnv "HOME"'],
      ["--expr", `import ${file}`],
      ["--expr", "builtins.readFile /etc/passwd"],
      ["--expr", "builtins.pathExists /etc/passwd"],
      ["--expr", "builtins.hashFile \"sha256\" /etc/passwd"],
      ["--expr", `builtins.path { path = ${file}; }`],
      ["--expr", `builtins.filterSource (p: t: true) ${tmp}`],
      ["--expr", `"\${${file}}"`],
      ["--expr", "<nixpkgs>", "-I", `nixpkgs=${tmp}`],
      ["--expr", "builtins.nixPath", "-I", `nixpkgs=${tmp}`],
      ["--expr", "builtins.typeOf (import <nix/fetchurl.nix>)"],
      ["--expr", 'builtins.toFile "a" "b"'],
      ["--file", file],
      ["--impure", "--expr", "builtins.readFile /etc/passwd"],
      ["--impure", "--expr", `import ${file}`],
      ["--impure", "--expr", "<nixpkgs>", "-I", `nixpkgs=${tmp}`],
      ["--expr", "1", "--file", file],
    ];
    it.each(cases.map((c) => [c.join(" "), c]))("%s", (_name, args) => {
      expect(message(nixEval(args as string[], {}, tmp))).toEqual(message(nix(args as string[])));
    });
    it("refuses --file with an explicit --pure-eval, as current Nix (2.8 took it)", () => {
      expect(nixEval(["--pure-eval", "--file", file])).toMatchObject({ status: 1, stderr: "error: '--file' is not compatible with '--pure-eval'\nTry 'nix --help' for more information.\n" });
      expect(nixEval(["--no-pure-eval", "--file", file]).stdout).toBe('"x86_64-linux"\n');
    });
  });

  it("takes the settings Nix 2.8 lacks, and warns of an unknown one as current Nix does", () => {
    const deep = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 100";
    expect(nixEval(["--expr", deep]).stdout).toBe("100\n");
    expect(nixEval(["--max-call-depth", "50", "--expr", deep]).stderr).toMatch(/^( {7})?error: stack overflow; max-call-depth exceeded/m);
    expect(nixEval(["--option", "max-call-depth", "50", "--expr", deep]).status).toBe(1);
    // (Errors are laid out as current Nix lays them out, not as 2.8.)
    const boom = '{ a = throw "boom"; }.a';
    expect(nixEval(["--expr", boom]).stderr).toContain("(stack trace truncated; use '--show-trace'");
    expect(nixEval(["--show-trace", "--expr", boom]).stderr).not.toContain("stack trace truncated");
    expect(nixEval(["--show-trace", "--option", "show-trace", "false", "--expr", boom]).stderr).toContain("stack trace truncated");
    const warn = 'builtins.warn "w" 1';
    expect(nixEval(["--expr", warn])).toMatchObject({ status: 0, stdout: "1\n" });
    expect(nixEval(["--abort-on-warn", "--expr", warn]).status).toBe(1);
    expect(nixEval(["--abort-on-warn", "--no-abort-on-warn", "--expr", warn]).status).toBe(0);
    // Nix 2.8's `nix` says nothing of an unknown --option; current Nix warns after reading the flags.
    expect(nixEval(["--option", "nope", "1", "--expr", "1"])).toMatchObject({ status: 0, stdout: "1\n", stderr: "warning: unknown setting 'nope'\n" });
  });

  it("prints like current nix eval: forced, derivations as «derivation …», functions as «lambda …»", () => {
    const r = nixEval(["--expr", '{ a = 1; b = [ 1 "x" ]; f = x: x; d = derivation { name = "d"; system = "x"; builder = "/b"; }; }']);
    expect(r.stdout).toBe('{ a = 1; b = [ 1 "x" ]; d = «derivation /nix/store/5jf8mg96nyj2p40f1sva2d6zg2b4iapf-d.drv»; f = «lambda f @ «string»:1:29»; }\n');
  });
  it("selects an attribute path, and prints --raw and --json", () => {
    expect(nixEval(["--expr", '{ a.b = "hi"; }', "a.b", "--raw"]).stdout).toBe("hi");
    expect(nixEval(["--expr", '{ a.b = "hi"; }', "--json"]).stdout).toBe('{"a":{"b":"hi"}}\n');
    expect(nixEval(["--expr", "[ 1 2 ]", "--apply", "builtins.length"]).stdout).toBe("2\n");
    // A value attached to its flag, as commander reads it.
    expect(nixEval(["--impure", `-Ix=${tmp}`, "--expr=<x>"]).stdout).toBe(`${tmp}\n`);
  });
});
