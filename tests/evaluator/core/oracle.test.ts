// Our evaluator against Nix 2.8 (`nix-instantiate --eval --strict -E`) on
// expressions whose results did not change between Nix 2.8 and current Nix.
import { describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { evalStrict, nixEval } from "./helpers.js";

const cases: string[] = [
  // values and printing
  "{ a = 1; b = \"x\"; c = [ 1 2.5 null true ]; d = { }; e = [ ]; }",
  '"tab\\there \\"q\\" \\\\ ${"$"}{x} nl\\n"',
  "[ 1.0 0.1 1.0e20 1.5e-7 (-0.0) 123456789.0 3.0e-5 ]",
  "let a = { x = 1; }; in [ a a ]",
  "{ \"foo bar\" = 1; \"1a\" = 2; a-b = 3; \"if\" = 4; }",
  "x: x",
  // exec and importNative exist only with allow-unsafe-native-code-during-evaluation.
  "[ (builtins ? exec) (builtins ? importNative) ]",
  "[ builtins.map (builtins.map (x: x)) ]",
  // arithmetic
  "[ (7 / 2) (-7 / 2) (7.0 / 2) (1 + 2.5) (2 * 3) (5 - 8) (builtins.bitAnd 12 10) (builtins.bitOr 12 10) (builtins.bitXor 12 10) ]",
  "[ (1 < 2) (2.5 < 2) (\"a\" < \"b\") ([ 1 2 ] < [ 1 3 ]) (1 == 1.0) ({ a = 1; } == { a = 1; }) ([ (x: x) ] == [ (x: x) ]) ]",
  "[ (builtins.ceil 1.5) (builtins.floor (-1.5)) ]",
  // scoping
  "let x = 1; in with { x = 2; y = 3; }; [ x y ]",
  "with { a = 1; }; with { b = 2; }; a + b",
  "rec { a = b + 1; b = 2; c = { inherit a; }; }",
  "let f = { a, b ? a * 2, ... }@args: [ a b (builtins.attrNames args) ]; in f { a = 3; z = 0; }",
  "let inherit ({ x = 1; y = 2; }) x y; in x + y",
  "({ x ? y, y ? 5 }: x) { }",
  "{ a.b.c = 1; a.b.d = 2; }",
  "let s = { a = 1; }; in [ (s ? a) (s ? b) (s.b or 7) (s ? a.b) ]",
  "let x = { ${\"dyn\" + \"amic\"} = 1; ${null} = 2; }; in x",
  // strings and context
  "builtins.toString [ 1 null true false \"s\" [ 2 [ ] 3 ] 1.5 ]",
  '"${toString 1} ${toString 2.5}"',
  "builtins.substring 1 3 \"hello\"",
  "[ (builtins.stringLength \"héllo\") (builtins.substring 0 2 \"héllo\") ]",
  'builtins.replaceStrings [ "" "a" ] [ "-" "A" ] "abc"',
  'builtins.concatStringsSep ", " [ "a" "b" "c" ]',
  'builtins.split "(a)|b" "xaybz"',
  'builtins.match "([a-z]+)-([0-9]+)" "abc-123"',
  "[ (baseNameOf \"/a/b/\") (dirOf \"/a/b\") (dirOf \"a\") (dirOf /a/b) ]",
  'builtins.hashString "sha256" "hello"',
  'builtins.getContext "${builtins.toFile "f" "x"}"',
  'builtins.hasContext (builtins.unsafeDiscardStringContext "${builtins.toFile "f" "x"}")',
  'builtins.toFile "hello.txt" "hello"',
  'builtins.parseDrvName "nix-2.8.1pre"',
  'builtins.compareVersions "1.2.3" "1.2.10"',
  'builtins.splitVersion "1.2a.3"',
  // lists and attrs
  "builtins.sort (a: b: a < b) [ 3 1 2 5 4 ]",
  "builtins.sort (a: b: a.k < b.k) [ { k = 1; v = \"a\"; } { k = 0; v = \"b\"; } { k = 1; v = \"c\"; } { k = 0; v = \"d\"; } ]",
  "builtins.genList (x: x * x) 5",
  "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000)",
  "builtins.partition (x: x > 2) [ 1 2 3 4 ]",
  "builtins.groupBy (x: if x > 2 then \"big\" else \"small\") [ 1 2 3 4 ]",
  "builtins.concatMap (x: [ x x ]) [ 1 2 ]",
  "builtins.listToAttrs [ { name = \"a\"; value = 1; } { name = \"a\"; value = 2; } { name = \"b\"; value = 3; } ]",
  "builtins.intersectAttrs { a = 0; c = 0; } { a = 1; b = 2; c = 3; }",
  "builtins.removeAttrs { a = 1; b = 2; } [ \"a\" \"z\" ]",
  "builtins.catAttrs \"a\" [ { a = 1; } { b = 2; } { a = 3; } ]",
  "builtins.mapAttrs (n: v: n + toString v) { a = 1; b = 2; }",
  "builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]",
  "builtins.functionArgs ({ a, b ? 1 }: a)",
  "builtins.attrValues { b = 2; a = 1; }",
  "builtins.elemAt [ 1 2 3 ] 1",
  "[ (builtins.all (x: x > 0) [ 1 2 ]) (builtins.any (x: x > 1) [ 1 2 ]) (builtins.elem 2 [ 1 2 ]) ]",
  "builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: if x.key < 5 then [ { key = x.key + 1; } ] else [ ]; }",
  // conversions
  "builtins.toJSON { a = [ 1 2.5 \"s\" null true ]; b = { c = \"\\n\"; }; }",
  "builtins.fromJSON ''{\"a\": [1, 2.5, \"x\", null, false], \"b\": {}}''",
  "builtins.toXML { a = 1; b = [ \"x\" ]; }",
  "builtins.fromTOML ''\n a = 1\n [b]\n c = \"d\"\n''",
  // control
  "builtins.tryEval (throw \"x\")",
  "builtins.tryEval (assert false; 1)",
  "(builtins.tryEval 1).value",
  "builtins.seq 1 2",
  "builtins.typeOf builtins.typeOf",
  // derivations
  'derivation { name = "hello"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo hi > $out" ]; }',
  '(derivation { name = "multi"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; }).dev.outPath',
  'let d = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh"; }; in (derivation { name = "top"; system = "x86_64-linux"; builder = "/bin/sh"; dep = d; src = builtins.toFile "s" "x"; }).drvPath',
  'builtins.getContext (derivation { name = "c"; system = "x86_64-linux"; builder = "/bin/sh"; }).drvPath',
  '(derivation { name = "fixed"; system = "x86_64-linux"; builder = "/bin/sh"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "0000000000000000000000000000000000000000000000000000"; }).outPath',
  '(derivation { name = "s"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true; list = [ 1 "a" ]; }).drvPath',
  'builtins.placeholder "out"',
];

describe.skipIf(!haveTools("nix-instantiate"))("evaluator vs nix-instantiate --eval --strict", () => {
  for (const expr of cases) {
    it(expr.length > 70 ? expr.slice(0, 70) + "…" : expr, () => {
      let ours: string;
      try {
        ours = evalStrict(expr);
      } catch (err) {
        ours = `ERROR ${(err as Error).message}`;
      }
      expect(ours).toBe(nixEval(expr));
    });
  }
});
