// Error output in current Nix's shape (libutil error.cc, libexpr eval.cc): the frames first,
// outermost first, then the message; a builtin's error placed only by its "while calling" frame;
// four frames without --show-trace. The expected texts follow Nix's own expected outputs for the
// same kinds of error (tests/functional/lang/eval-fail-*.err.exp of NixOS/nix), with our file name.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseInstantiateArgs } from "../../../src/evaluator/cli/parseArgs.js";
import { runInstantiate } from "../../../src/evaluator/cli/instantiate.js";
import { MemoryStore } from "../../../src/evaluator/memoryStore.js";
import { evalError, evalStrict } from "./helpers.js";

function stderrOf(expr: string, showTrace = true, flags: string[] = []): string {
  const argv = ["--eval", "--strict", ...(showTrace ? ["--show-trace"] : []), ...flags, "-E", expr];
  const r = runInstantiate(parseInstantiateArgs(argv, "/", { HOME: "/homeless" }), () => new MemoryStore());
  expect(r.exitCode).toBe(1);
  return Buffer.from(r.stderr, "latin1").toString("utf8");
}

describe("evaluation errors as current Nix prints them", () => {
  it("a builtin's error has no position of its own; its frames say where and why", () => {
    expect(stderrOf("builtins.length 1")).toBe(
      [
        "error:",
        "       … while calling the 'length' builtin",
        "         at «string»:1:1:",
        "            1| builtins.length 1",
        "             | ^",
        "",
        "       … while evaluating the first argument passed to builtins.length",
        "",
        "       error: expected a list but found an integer: 1",
        "",
      ].join("\n"),
    );
  });

  it("a select says which attribute, where it was defined, and offers close names", () => {
    expect(stderrOf("let s = { b = { y = 1; }; }; in s.b.x")).toBe(
      [
        "error:",
        "       … while evaluating the attribute 'b.x'",
        "         at «string»:1:33:",
        "            1| let s = { b = { y = 1; }; }; in s.b.x",
        "             |                                 ^",
        "",
        "       … from the definition of 'b'",
        "         at «string»:1:11:",
        "            1| let s = { b = { y = 1; }; }; in s.b.x",
        "             |           ^",
        "",
        "       error: attribute 'x' missing",
        "       Did you mean y?",
        "",
      ].join("\n"),
    );
  });

  it("assert a == b says where the two sides differ", () => {
    expect(stderrOf("assert { b = 1; } == { b = 2; }; 0")).toBe(
      [
        "error:",
        "       … while evaluating the condition of the assertion '({ b = 1; } == { b = 2; })'",
        "         at «string»:1:1:",
        "            1| assert { b = 1; } == { b = 2; }; 0",
        "             | ^",
        "",
        "       … while comparing attribute 'b'",
        "         at «string»:1:19:",
        "            1| assert { b = 1; } == { b = 2; }; 0",
        "             |                   ^",
        "",
        "       … where left hand side is",
        "         at «string»:1:10:",
        "            1| assert { b = 1; } == { b = 2; }; 0",
        "             |          ^",
        "",
        "       … where right hand side is",
        "         at «string»:1:24:",
        "            1| assert { b = 1; } == { b = 2; }; 0",
        "             |                        ^",
        "",
        "       error: an integer with value '1' is not equal to an integer with value '2'",
        "",
      ].join("\n"),
    );
  });

  it("without --show-trace prints four frames' worth (a located frame counts twice) and says so", () => {
    const expr = "let s = { a = { b = true && 1; }; }; in (s.a.b || false) && true";
    const short = stderrOf(expr, false);
    const full = stderrOf(expr, true);
    expect(short.match(/^ {7}… /gm)).toEqual(["       … ", "       … "]);
    expect(short).toContain("\n\n       (stack trace truncated; use '--show-trace' to show the full, detailed trace)\n\n       error: expected a Boolean");
    expect(full.match(/^ {7}… .*/gm)).toEqual([
      "       … in the left operand of '&&'",
      "       … in the left operand of '||'",
      "       … while evaluating the attribute 'a.b'",
      "       … from the definition of 'a.b'",
      "       … in the right operand of '&&'",
    ]);
    expect(full).not.toContain("truncated");
  });

  it("repeated frames are printed when few, folded when more than five", () => {
    const few = stderrOf('let f = x: x + "a"; in f (f (f (f 1)))', false);
    expect(few.match(/^ {7}… in an operand of '\+'$/gm)).toHaveLength(3);
  });

  it("--show-trace adds the lambda calls and folds repeated frames", () => {
    const err = stderrOf("let f = n: if n == 0 then throw \"bottom\" else f (n - 1); in f 20");
    expect(err).toContain("       … while calling 'f'\n         at «string»:1:9:");
    expect(err).toContain("       … from call site\n         at «string»:1:47:");
    expect(err).toMatch(/^ {7}\(\d+ duplicate frames omitted\)$/m);
    expect(err.trimEnd().endsWith("error: bottom")).toBe(true);
  });

  it("a frame folded once stays seen: a call chain back into the first function is folded whole", () => {
    // a → … → a → b → … → b → a → … → a: Nix prints the first a's frames and the first b's, then folds the rest.
    const err = stderrOf('let a = r: n: if n > 0 then a r (n - 1) else if r then b false 8 else throw "x"; b = r: n: if n > 0 then b r (n - 1) else a r 8; in a true 8');
    expect(err.match(/… while calling 'a'/g)).toHaveLength(1);
    expect(err.match(/… while calling 'b'/g)).toHaveLength(1);
    expect(err.match(/^ {7}\(\d+ duplicate frames omitted\)$/gm)).toEqual([
      "       (15 duplicate frames omitted)",
      "       (15 duplicate frames omitted)",
      "       (17 duplicate frames omitted)",
    ]);
  });

  it("an application a builtin made is called from where its head function is defined, once that is evaluated", () => {
    // zipAttrsWith forces its function first: each `f name values` is called from f's position.
    expect(stderrOf("builtins.zipAttrsWith (_: 1) [ { foo = 1; } ]")).toBe(
      [
        "error:",
        "       … while evaluating the attribute 'foo'",
        "",
        "       error: attempt to call something which is not a function but an integer: 1",
        "       at «string»:1:24:",
        "            1| builtins.zipAttrsWith (_: 1) [ { foo = 1; } ]",
        "             |                        ^",
        "",
      ].join("\n"),
    );
    expect(stderrOf("builtins.zipAttrsWith (a: b: a + b) [ { foo = 1; } ]")).toContain("       … from call site\n         at «string»:1:24:");
    // mapAttrs does not: its first call has no call site, the ones after it do.
    expect(stderrOf('builtins.mapAttrs (x: y: x + 1) { foo = 1; }')).not.toContain("from call site");
    expect(stderrOf('builtins.mapAttrs (x: y: if x == "b" then throw "no" else y) { a = 1; b = 2; }')).toContain("       … from call site\n         at «string»:1:20:");
  });

  it("a value that is not a set where one must be has no position unless it is a function", () => {
    expect(stderrOf("rec { __overrides = 1; }")).toBe(
      ["error:", "       … while evaluating the `__overrides` attribute", "", "       error: expected a set but found an integer: 1", ""].join("\n"),
    );
  });

  it("an infinite recursion marks where its cycle starts, even in a cut-short trace", () => {
    const err = stderrOf("let x = y; y = x; in [ x ]", false);
    expect(err).toContain("       … entering the infinite recursion\n");
    expect(err.trimEnd().split("\n").filter((l) => / {7}error: /.test(l))).toEqual(["       error: infinite recursion encountered"]);
  });

  it("an infinite recursion is placed where the value under evaluation is asked for again", () => {
    // A variable asks at its own position; a select at the attribute's definition.
    const at = (expr: string) => stderrOf(expr).match(/error: infinite recursion encountered\n {7}at «string»:(\d+:\d+):/)?.[1];
    expect(at("let a = { } // a; in a.foo")).toBe("1:16");
    expect(at("let s = { a = s.a; }; in s.a")).toBe("1:11");
    // A strict builtin forces its arguments itself, at its call: no position of their own.
    expect(stderrOf("let f = builtins.add f 1; in f")).toContain("       error: infinite recursion encountered\n");
    expect(at("let f = builtins.add f 1; in f")).toBeUndefined();
  });

  it("a source path that does not exist is reported without a position", () => {
    expect(stderrOf('"${/nonexistent-nixoci-test/fnord}"')).toBe("error: path '/nonexistent-nixoci-test/fnord' does not exist\n");
  });

  it("addDrvOutputDependencies on an output's path says so, under its call frame only", () => {
    const expr = 'builtins.addDrvOutputDependencies (derivation { name = "a"; builder = "/b"; system = "x"; }).outPath';
    expect(stderrOf(expr)).toBe(
      [
        "error:",
        "       … while calling the 'addDrvOutputDependencies' builtin",
        "         at «string»:1:1:",
        `            1| ${expr}`,
        "             | ^",
        "",
        "       error: `addDrvOutputDependencies` can only act on derivations, not on a derivation output such as 'out'",
        "",
      ].join("\n"),
    );
  });

  it("deepSeq and toJSON count each level towards max-call-depth, as their own call does, and keep its frame", () => {
    // A linked list 100 deep; its heads are genList's `x: x` applied, forced one level further in.
    const list = "builtins.foldl' (t: h: { inherit h t; }) null (builtins.genList (x: x) 100)";
    const depth20 = ["--option", "max-call-depth", "20"];
    const frames = (err: string) => err.split("\n").filter((l) => /^ {7}(… |\(|error: )|^ {9}at /.test(l));
    // deepSeq forces a head where its function is defined; toJSON at the attribute.
    expect(frames(stderrOf(`let xs = ${list}; in builtins.deepSeq xs 1`, true, depth20))).toEqual([
      "       … while calling the 'deepSeq' builtin",
      "         at «string»:1:90:",
      "       … while evaluating the attribute 't'",
      "         at «string»:1:45:",
      "       (17 duplicate frames omitted)",
      "       … while evaluating the attribute 'h'",
      "         at «string»:1:43:",
      "       error: stack overflow; max-call-depth exceeded",
    ]);
    expect(stderrOf(`let xs = ${list}; in builtins.deepSeq xs 1`, true, depth20)).toContain("max-call-depth exceeded\n       at «string»:1:75:");
    expect(frames(stderrOf(`let xs = ${list}; in builtins.toJSON xs`, true, depth20))).toEqual([
      "       … while calling the 'toJSON' builtin",
      "         at «string»:1:90:",
      "       … while evaluating attribute 't'",
      "         at «string»:1:45:",
      "       (17 duplicate frames omitted)",
      "       … while evaluating attribute 'h'",
      "         at «string»:1:43:",
      "       error: stack overflow; max-call-depth exceeded",
    ]);
    expect(stderrOf(`let xs = ${list}; in builtins.toJSON xs`, true, depth20)).toContain("max-call-depth exceeded\n       at «string»:1:43:");
  });

  it("a warning with a position and frames is printed as an error is, indented under 'warning:'", () => {
    const expr = '(builtins.derivationStrict { name = "a"; builder = "/b"; system = "x"; __structuredAttrs = true; maxSize = 1; }).out';
    const r = runInstantiate(parseInstantiateArgs(["--eval", "-E", expr], "/", { HOME: "/homeless" }), () => new MemoryStore());
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stderr, "latin1").toString("utf8")).toBe(
      [
        "warning:",
        "         … while evaluating derivation 'a'",
        "",
        "         warning: 'structuredAttrs' disables the effect of the derivation attribute 'maxSize'; use 'outputChecks.<output>.maxSize' instead",
        "         at «string»:1:98:",
        `              1| ${expr}`,
        `               | ${" ".repeat(97)}^`,
        "",
      ].join("\n"),
    );
  });

  it("a derivation fails under --strict through its outPath, at the lines Nix gives for its internal file", () => {
    const err = stderrOf('derivation { name = "~x~"; system = "s"; builder = "/b"; }');
    expect(err).toContain("       … while evaluating the attribute 'outPath'\n         at «nix-internal»/derivation-internal.nix:49:7:\n");
    expect(err).toContain("       … while calling the 'derivationStrict' builtin\n         at «nix-internal»/derivation-internal.nix:36:12:\n");
  });

  it("says which derivation failed also in a cut-short trace", () => {
    const expr = 'let d = n: deps: derivation { name = n; system = "s"; builder = "/b"; inherit deps; }; in d "outer" [ (d "inner" [ (throw "no") ]) ]';
    const err = stderrOf(expr, false);
    expect(err).toContain("(stack trace truncated;");
    expect(err.match(/… while evaluating derivation '\w+'/g)).toEqual(["… while evaluating derivation 'outer'", "… while evaluating derivation 'inner'"]);
  });

  it("an interpolation's error is placed at its ${", () => {
    expect(stderrOf('"${x: x}"')).toBe(
      [
        "error:",
        "       … while evaluating a path segment",
        "         at «string»:1:2:",
        '            1| "${x: x}"',
        "             |  ^",
        "",
        "       error: cannot coerce a function to a string: «lambda @ «string»:1:4»",
        "",
      ].join("\n"),
    );
  });
});

describe("messages as current Nix words them", () => {
  it("a fetch with an invalid store path name fails before downloading anything", () => {
    // .invalid never resolves: a download attempt would fail with another message.
    expect(evalError('builtins.fetchurl "https://example.invalid/~w~"')).toBe(
      "invalid store path name when fetching URL 'https://example.invalid/~w~': name '~w~' contains illegal character '~'. Please pass an attribute set with 'url' and 'name' attributes to 'fetchurl',  so that it can create a valid store path.",
    );
    expect(evalError('builtins.fetchurl { url = "https://example.invalid/x"; name = "a b"; }')).toMatch(
      /: name 'a b' contains illegal character ' '\. Please change the value for the 'name' attribute passed to 'fetchurl'/,
    );
  });

  it("readFile, hashFile and import read regular files only; readFile no NUL bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "nixoci-readfile-"));
    try {
      writeFileSync(join(dir, "nul"), "x\0y");
      mkdirSync(join(dir, "sub"));
      // A FIFO is refused without opening it: reading it would wait for a writer.
      execFileSync("mkfifo", [join(dir, "fifo")]);
      expect(evalError(`builtins.readFile ${dir}/nul`)).toBe(`the contents of the file '${dir}/nul' cannot be represented as a Nix string`);
      expect(evalError(`builtins.readFile ${dir}/sub`)).toBe(`file '${dir}/sub' is not a regular file`);
      expect(evalError(`builtins.readFile ${dir}/fifo`)).toBe(`file '${dir}/fifo' is not a regular file`);
      expect(evalError(`builtins.hashFile "sha256" ${dir}/sub`)).toBe(`file '${dir}/sub' is not a regular file`);
      expect(evalError(`builtins.hashFile "sha256" ${dir}/fifo`)).toBe(`file '${dir}/fifo' is not a regular file`);
      expect(evalError(`import ${dir}/fifo`)).toBe(`file '${dir}/fifo' is not a regular file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parsers' messages keep their text: the NUL shown as ␀, one 'while parsing TOML'", () => {
    const utf8 = (s: string) => Buffer.from(s, "latin1").toString("utf8");
    expect(utf8(evalError('builtins.fromJSON "\\"a\\\\u0000b\\""'))).toBe("input string 'a␀b' cannot be represented as Nix string because it contains null bytes");
    expect(evalError('builtins.fromTOML "a = 1979-05-27"')).toBe("while parsing TOML: Dates and times are not supported");
  });

  it("a parser's message that ends in a newline leaves an indented empty last line, as Nix's colour escapes do", () => {
    expect(stderrOf('builtins.fromTOML "a = 9223372036854775808"').endsWith(`          | ${" ".repeat(23)}^-- must be < 2^63\n       \n`)).toBe(true);
  });

  it("toJSON says where a string stops being UTF-8, as nlohmann does", () => {
    const json316 = "JSON serialization error: [json.exception.type_error.316]";
    expect(evalError('builtins.toJSON ((builtins.substring 0 1 "é") + "a")')).toBe(`${json316} invalid UTF-8 byte at index 1: 0x61`);
    expect(evalError('builtins.toJSON ("a" + builtins.substring 0 1 "é")')).toBe(`${json316} incomplete UTF-8 string; last byte: 0xC3`);
  });

  it("an unknown hash algorithm or format is a usage error: the command then points to its --help", () => {
    expect(stderrOf('builtins.hashString "foo" "x"').endsWith(
      "       error: unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'\nTry 'nix-instantiate --help' for more information.\n",
    )).toBe(true);
    expect(stderrOf('builtins.convertHash { hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; toHashFormat = "hex"; }')).toContain(
      "error: unknown hash format 'hex', expect 'base16', 'base32', 'base64', or 'sri'\nTry 'nix-instantiate --help'",
    );
    expect(() => evalStrict('builtins.tryEval (builtins.hashString "foo" "x")')).toThrow(/unknown hash algorithm/);
  });

  it("convertHash warns that base32 is an old name for nix32", () => {
    const traces: string[] = [];
    expect(evalStrict('builtins.convertHash { hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; toHashFormat = "base32"; }', traces)).toBe(
      '"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"',
    );
    expect(traces).toEqual(['warning: "base32" is a deprecated alias for hash format "nix32".']);
  });
});

describe("a failed evaluation is memoised, as Nix ≥ 2.34", () => {
  it("forcing a failed thunk again throws the same error without evaluating anything again", () => {
    const traces: string[] = [];
    expect(evalStrict('let foo = builtins.trace "once" (throw "nope"); in [ (builtins.tryEval foo).success (builtins.tryEval foo).success ]', traces)).toBe("[ false false ]");
    expect(traces).toEqual(["trace: once"]);
  });

  it("each later force gets its own copy: frames added on one way out do not reach the others", () => {
    const err = stderrOf('let a = throw "nope"; b = builtins.addErrorContext "forcing b" a; c = builtins.addErrorContext "forcing c" a; in builtins.seq (builtins.tryEval b) c');
    expect(err).toContain("… forcing c");
    expect(err).toContain("… forcing b");
    expect(err.indexOf("… forcing c")).toBeLessThan(err.indexOf("… forcing b"));
    expect(err.match(/… forcing/g)).toHaveLength(2);
  });
});
