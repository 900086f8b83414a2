// Random Nix expressions for the live differential test against Nix 2.8 (random.test.ts): a small
// typed grammar over literals, operators and builtins, driven by a seeded xorshift, so every run
// (and CI) checks the same cases. Floats never reach toJSON/toXML (see floatsOn).
let seed = 1;
/** While false, no float is generated: Nix 2.8 printed floats in JSON with %g, current Nix in full. */
let floatsOn = true;
export function setSeed(s: number): void {
  seed = s >>> 0 || 1;
  floatsOn = true;
}
/** xorshift32: a uniform number in [0, 1). */
function rnd(): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
}
const ri = (n: number): number => Math.floor(rnd() * n);
const pick = <T,>(a: readonly T[]): T => a[ri(a.length)];
const strChars = ["a", "b", "c", "A", "Z", "0", "9", " ", "-", ".", "_", "/", "\\\\", "\\n", "\\t", "\\\"", "\\${", "$", "é", "ü", "€", "😀", "+", "*", "?", "(", ")", "[", "]", "^", "|", "{", "}", ":", ",", "=", "\\r"];
function strLit(): string {
  let s = "";
  const n = ri(7);
  for (let i = 0; i < n; i++) s += pick(strChars);
  return `"${s}"`;
}
const ints = ["0", "1", "2", "3", "-1", "-2", "7", "10", "100", "255", "256", "65536", "9223372036854775807", "(-9223372036854775807 - 1)", "4294967296", "2147483647", "-2147483648", "42", "1000000", "(0 - 5)"];
const floats = ["0.0", "1.5", "-2.5", "0.1", "1.0e10", "1.0e-5", "3.14159", "100.0", "1.0e21", "1.0e-7", "123456789.0", "0.3", "2.0", "(-0.0)", "1.0e300", "5.0e-324", "0.5", "1.23e15", "1.23e16", "1.0e16", "12345678.9"];
type Kind = "int" | "float" | "num" | "bool" | "str" | "regex" | "strlist" | "list" | "attrs" | "drvstr" | "any";
/** A random expression of kind `type` (nesting stops at depth 4). */
export function gen(type: Kind, d = 0): string {
  if (!floatsOn && (type === "float" || type === "num")) type = "int";
  if (d > 4) return leaf(type);
  return pick(G[type])(d + 1);
}
/** `gen(type)` with floats off, for what toJSON and toXML print. */
function noFloats(type: Kind, d: number): string {
  const saved = floatsOn;
  floatsOn = false;
  try {
    return gen(type, d);
  } finally {
    floatsOn = saved;
  }
}
const floatFree = (xs: readonly string[]): string[] => (floatsOn ? [...xs] : xs.filter((x) => !/[0-9]\.[0-9]|[0-9][eE]|inf/.test(x)));
/** Often a value whose evaluation fails: what laziness must leave alone. */
const failing = (d: number): string => pick([gen("any", d), 'throw "t"', 'abort "a"', "(builtins.head [ ])", "(1 + true)"]);
function leaf(t: Kind): string {
  switch (t) {
    case "int": return pick(ints);
    case "float": return pick(floats);
    case "num": return rnd() < 0.5 ? pick(ints) : pick(floats);
    case "str": return strLit();
    case "bool": return pick(["true", "false"]);
    case "list": return "[ ]";
    case "attrs": return "{ }";
    case "any": return pick([pick(ints), floatsOn ? pick(floats) : "0", strLit(), "true", "null", "[ 1 2 ]", "{ a = 1; }"]);
    // strlist, regex, drvstr at the depth limit: a value of the wrong type, so both fail.
    default: return "null";
  }
}
const g = (t: Kind) => (d: number): string => gen(t, d);
const G: Record<Kind, readonly ((d: number) => string)[]> = {
  int: [
    () => pick(ints), () => pick(ints), () => pick(ints),
    (d) => `(${gen("int", d)} + ${gen("int", d)})`,
    (d) => `(${gen("int", d)} - ${gen("int", d)})`,
    (d) => `(${gen("int", d)} * ${gen("int", d)})`,
    (d) => `(${gen("int", d)} / ${gen("int", d)})`,
    (d) => `(builtins.bitAnd ${gen("int", d)} ${gen("int", d)})`,
    (d) => `(builtins.bitOr ${gen("int", d)} ${gen("int", d)})`,
    (d) => `(builtins.bitXor ${gen("int", d)} ${gen("int", d)})`,
    (d) => `(builtins.stringLength ${gen("str", d)})`,
    (d) => `(builtins.length ${gen("list", d)})`,
    (d) => `(builtins.compareVersions ${gen("str", d)} ${gen("str", d)})`,
    (d) => `(builtins.floor ${gen("num", d)})`,
    (d) => `(builtins.ceil ${gen("num", d)})`,
    (d) => `(builtins.fromJSON ${JSON.stringify(pick(floatFree(["1", "-0", "0", "-5"])))})`,
  ],
  float: [
    () => pick(floats), () => pick(floats),
    (d) => `(${gen("float", d)} + ${gen("num", d)})`,
    (d) => `(${gen("num", d)} * ${gen("float", d)})`,
    (d) => `(${gen("float", d)} / ${gen("num", d)})`,
    (d) => `(${gen("num", d)} - ${gen("float", d)})`,
    (d) => `(builtins.fromJSON ${JSON.stringify(pick(floatFree(["1.5", "1e400", "-0.0", "0.1", "1E5", "2.5e-3", "123.456e7"])))})`,
  ],
  num: [g("int"), g("float")],
  bool: [
    () => pick(["true", "false"]),
    (d) => `(${gen("num", d)} < ${gen("num", d)})`,
    (d) => `(${gen("str", d)} < ${gen("str", d)})`,
    (d) => `(${gen("any", d)} == ${gen("any", d)})`,
    (d) => `(${gen("list", d)} == ${gen("list", d)})`,
    (d) => `(${gen("attrs", d)} ? ${pick(["a", "b", "\"x y\"", "a.b"])})`,
    (d) => `({ a = ${failing(d)}; b = { c = ${failing(d)}; }; } ? ${pick(["a", "b.c", "c", "a.b"])})`,
    (d) => `(builtins.elem ${gen("any", d)} ${gen("list", d)})`,
    (d) => `(builtins.isString ${gen("any", d)})`,
    (d) => `(builtins.hasContext ${gen("str", d)})`,
    (d) => `(builtins.hasAttr ${gen("str", d)} ${gen("attrs", d)})`,
    (d) => `(builtins.all (x: x == 1) ${gen("list", d)})`,
    (d) => `(builtins.any builtins.isInt ${gen("list", d)})`,
    (d) => `(!${gen("bool", d)})`,
    (d) => `(${gen("bool", d)} -> ${gen("bool", d)})`,
    (d) => `(${gen("bool", d)} && ${gen("bool", d)} || ${gen("bool", d)})`,
    (d) => `(builtins.lessThan ${gen("num", d)} ${gen("num", d)})`,
  ],
  str: [
    () => strLit(), () => strLit(), () => strLit(),
    (d) => `(${gen("str", d)} + ${gen("str", d)})`,
    (d) => `"x\${${gen("str", d)}}y"`,
    (d) => `(toString ${gen("any", d)})`,
    (d) => `(builtins.toJSON ${noFloats("any", d)})`,
    (d) => `(builtins.substring ${pick(["0", "1", "2", "5", "100", "-1"])} ${pick(["0", "1", "3", "100", "-1"])} ${gen("str", d)})`,
    (d) => `(builtins.replaceStrings ${gen("strlist", d)} ${gen("strlist", d)} ${gen("str", d)})`,
    (d) => `(builtins.concatStringsSep ${gen("str", d)} ${gen("strlist", d)})`,
    (d) => `(builtins.hashString ${pick(['"md5"', '"sha1"', '"sha256"', '"sha512"'])} ${gen("str", d)})`,
    (d) => `(builtins.typeOf ${gen("any", d)})`,
    (d) => `(builtins.toString ${gen("float", d)})`,
    (d) => `(builtins.head (builtins.split ${gen("regex", d)} ${gen("str", d)}))`,
    (d) => `(builtins.toXML ${noFloats("any", d)})`,
    (d) => `(builtins.unsafeDiscardStringContext ${gen("str", d)})`,
    (d) => gen("drvstr", d),
    (d) => `(builtins.substring 0 ${pick(["0", "3", "12"])} ${gen("drvstr", d)})`,
    (d) => `(builtins.replaceStrings [ "/nix" ] [ ${gen("drvstr", d)} ] ${gen("str", d)})`,
    (d) => `(let ctx = builtins.getContext ${gen("drvstr", d)}; in builtins.toJSON ctx)`,
    (d) => `(builtins.baseNameOf ${gen("str", d)})`,
    (d) => `(builtins.dirOf ${gen("str", d)})`,
    (d) => `(builtins.escapeShellArg or (x: x)) ${gen("str", d)}`,
    (d) => `(builtins.concatStringsSep "," (builtins.splitVersion ${gen("str", d)}))`,
    (d) => `(builtins.parseDrvName ${gen("str", d)}).name`,
    (d) => `(builtins.parseDrvName ${gen("str", d)}).version`,
    (d) => `''${pick(["", "  ", "\n  "])}${pick(["a", "''$", "'''", "''\\n", "${\"i\"}", " b\n  c", "\t"])}${pick(["", "\n", "\n  "])}''`,
  ],
  drvstr: [
    (d) => `(derivation { name = ${pick(['"x"', '"hello-1.0"', '"a.b"'])}; system = "x86_64-linux"; builder = "/bin/sh"; args = ${gen("strlist", d)}; v = ${gen("str", d)}; }).${pick(["drvPath", "outPath", "name", "system"])}`,
    (d) => `(derivation { name = "m"; system = "x"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; x = ${gen("any", d)}; }).${pick(["dev", "out"])}.outPath`,
    (d) => `(builtins.toFile ${pick(['"f"', '"a.txt"'])} ${gen("str", d)})`,
    (d) => `(builtins.placeholder ${pick(['"out"', '"dev"'])})`,
    (d) => `"\${${gen("drvstr", d)}}/bin"`,
    (d) => `(builtins.derivation { name = "y"; system = "x"; builder = ${gen("drvstr", d)}; }).drvPath`,
  ],
  regex: [() => JSON.stringify(pick<string>(["a", "(a)", "(a|b)", "[a-c]+", "(.)", "([[:digit:]]+)", "x*", "(a)(b)?", "^a", "[^a]", "\\\\.", "(|a)", ".*", "([[:alpha:]]*)-([0-9])", "[[:space:]]", "(a*)(b*)"]))],
  strlist: [
    () => "[ ]",
    (d) => `[ ${gen("str", d)} ]`,
    (d) => `[ ${gen("str", d)} ${gen("str", d)} ]`,
    (d) => `(builtins.attrNames ${gen("attrs", d)})`,
    (d) => `(builtins.filter builtins.isString (builtins.split ${gen("regex", d)} ${gen("str", d)}))`,
  ],
  list: [
    () => "[ ]",
    (d) => `[ ${gen("any", d)} ]`,
    (d) => `[ ${gen("any", d)} ${gen("any", d)} ${gen("any", d)} ]`,
    (d) => `(${gen("list", d)} ++ ${gen("list", d)})`,
    (d) => `(builtins.sort builtins.lessThan [ ${gen("int", d)} ${gen("int", d)} ${gen("int", d)} ])`,
    (d) => `(builtins.sort (a: b: a < b) ${gen("strlist", d)})`,
    (d) => `(builtins.genList (x: x * ${gen("int", d)}) ${pick(["0", "1", "3", "5"])})`,
    (d) => `(builtins.tail ${gen("list", d)})`,
    (d) => `(map builtins.typeOf ${gen("list", d)})`,
    (d) => `(builtins.attrValues ${gen("attrs", d)})`,
    (d) => `(builtins.split ${gen("regex", d)} ${gen("str", d)})`,
    (d) => `(builtins.match ${gen("regex", d)} ${gen("str", d)})`,
    (d) => `(builtins.splitVersion ${gen("str", d)})`,
    (d) => `(builtins.concatLists [ ${gen("list", d)} ${gen("list", d)} ])`,
    (d) => `(builtins.filter (x: builtins.isInt x) ${gen("list", d)})`,
    (d) => `(builtins.catAttrs "a" [ ${gen("attrs", d)} ${gen("attrs", d)} ])`,
    (d) => `(builtins.partition (x: x > 2) [ 1 2 3 4 ]).right`,
    (d) => `(builtins.concatMap (x: [ x x ]) ${gen("list", d)})`,
    (d) => `(builtins.fromJSON ${JSON.stringify(pick(floatFree(["[]", "[1,2.5,\"a\",null,true]", "[{\"a\":1}]", "[\"\\u00e9\\ud83d\\ude00\"]", "[1e3, -0, 0.1]"])))})`,
    (d) => `(builtins.map (x: builtins.toJSON x) ${noFloats("list", d)})`,
    (d) => `(builtins.groupBy (x: builtins.typeOf x) ${gen("list", d)}).int or [ ]`,
  ],
  attrs: [
    () => "{ }",
    (d) => `{ a = ${gen("any", d)}; }`,
    (d) => `{ b = ${gen("any", d)}; a = ${gen("any", d)}; "x y" = ${gen("any", d)}; }`,
    (d) => `(${gen("attrs", d)} // ${gen("attrs", d)})`,
    (d) => `(builtins.listToAttrs [ { name = ${gen("str", d)}; value = ${gen("any", d)}; } { name = ${gen("str", d)}; value = 1; } ])`,
    (d) => `(builtins.mapAttrs (n: v: n) ${gen("attrs", d)})`,
    (d) => `(builtins.removeAttrs ${gen("attrs", d)} ${gen("strlist", d)})`,
    (d) => `(builtins.intersectAttrs ${gen("attrs", d)} ${gen("attrs", d)})`,
    (d) => `(builtins.fromJSON ${JSON.stringify(pick(floatFree(["{}", "{\"b\":1,\"a\":[2]}", "{\"a\":{\"a\":null}}", "{\"\":1}"])))})`,
    (d) => `(builtins.zipAttrsWith (n: vs: vs) [ ${gen("attrs", d)} ${gen("attrs", d)} ])`,
    (d) => `(builtins.tryEval ${gen("any", d)})`,
    (d) => `(builtins.fromTOML ${JSON.stringify(pick(floatFree(["a = 1", "a = 1.5\nb = \"x\"", "[t]\nx = [1, 2]", "a = 1979-05-27T07:32:00Z", "x.y = true", "a = 0x1f", "s = 'lit\\\\n'", "a = inf", "b = -0.0", "c = 1e3"])))})`,
    (d) => `(builtins.parseDrvName ${gen("str", d)})`,
    (d) => `(builtins.getContext ${gen("str", d)})`,
    (d) => `(builtins.getContext (builtins.unsafeDiscardOutputDependency ${gen("drvstr", d)}))`,
    (d) => `(builtins.getContext (builtins.appendContext ${gen("str", d)} (builtins.getContext ${gen("drvstr", d)})))`,
    (d) => `(let f = x: { inherit x; y = x; }; in f ${gen("any", d)})`,
    (d) => `(with ${gen("attrs", d)}; { r = a or 1; })`,
    (d) => `(builtins.mapAttrs (n: v: builtins.typeOf v) ${gen("attrs", d)})`,
    (d) => `(rec { a = 1; b = a + 1; } // ${gen("attrs", d)})`,
    (d) => `(let x = ${gen("attrs", d)}; in x // { c = x; })`,
  ],
  any: [g("int"), g("float"), g("str"), g("bool"), g("list"), g("attrs"), () => "null",
    (d) => `(if ${gen("bool", d)} then ${gen("any", d)} else ${gen("any", d)})`,
    (d) => `(${gen("attrs", d)}).a or ${gen("any", d)}`,
    (d) => `(builtins.head ${gen("list", d)})`,
    (d) => `(builtins.elemAt ${gen("list", d)} ${pick(["0", "1", "2"])})`,
    (d) => `(builtins.seq ${gen("any", d)} ${gen("any", d)})`,
    (d) => `(let f = { a ? ${gen("any", d)}, ... }@args: args // { inherit a; }; in f ${gen("attrs", d)})`,
    (d) => `(builtins.foldl' (a: b: a + b) ${gen("num", d)} [ ${gen("num", d)} ${gen("num", d)} ])`,
    (d) => `(builtins.getAttr ${gen("str", d)} ${gen("attrs", d)})`,
    (d) => `(builtins.functionArgs ({ a, b ? 1 }: a))`,
    (d) => `(builtins.abort or builtins.throw) ${gen("str", d)}`,
  ],
};
