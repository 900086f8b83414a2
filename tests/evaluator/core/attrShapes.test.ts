// Sets made by an attribute-set literal share its names (values.ts AttrShape) and keep only a
// values array; rec sets share their env's slots. Behaviour must not change, vs Nix 2.8.
import { describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { evalStrict, nixEval } from "./helpers.js";

const cases: string[] = [
  "let mk = i: { b = i; a = i * 2; c = { inherit i; }; }; in [ (mk 1) (mk 2) (builtins.attrNames (mk 3)) (builtins.attrValues (mk 4)) ]",
  "let mk = i: rec { x = i; y = x + 1; inherit (z) w; z = { w = y * 2; }; }; in [ (mk 1) ((mk 5).w) (builtins.mapAttrs (n: v: n) (mk 2)) ]",
  "let s = { z = 1; a = 2; m = 3; }; in [ (s // { a = 9; }) (builtins.removeAttrs s [ \"m\" ]) (builtins.intersectAttrs { a = 0; z = 0; } s) (s ? m) (s ? q) (s.q or 7) ]",
  "let s = { a = 1; b = 2; }; in [ (s == { b = 2; a = 1; }) (s == { a = 1; }) ({ } == { }) ((s // { }) == s) (builtins.length (builtins.attrNames { })) ]",
  "let mk = i: { inherit i; }; in builtins.listToAttrs (builtins.genList (i: { name = \"k${toString i}\"; value = mk i; }) 5)",
  "let p = { a = 1; b = 2; }; in [ (builtins.unsafeGetAttrPos \"b\" p).line (builtins.unsafeGetAttrPos \"b\" (p // { c = 3; })).column (builtins.unsafeGetAttrPos \"q\" p) ]",
  "let f = { a, b ? 2, ... }@args: [ a b (builtins.attrNames args) ]; in [ (f { a = 1; }) (f { a = 1; b = 3; c = 4; }) ]",
  "let s = rec { a = 1; b = a; __overrides = { a = 5; }; }; in [ s.a s.b ]",
  "builtins.toJSON { b = [ { y = 1; x = 2; } ]; a = { }; }",
  "builtins.zipAttrsWith (n: vs: vs) [ { a = 1; b = 2; } { b = 3; c = 4; } ]",
  // listToAttrs gathers and sorts (binary-search lookups): first of equal names wins, a repeated name needs no value.
  "let s = builtins.listToAttrs (map (i: { name = \"k${toString (i - i / 7 * 7)}\"; value = i; }) (builtins.genList (x: x) 50)); in [ s s.k3 (s ? k9) (s ? k0) (s.k9 or 0) (builtins.attrNames s) (s // { k1 = 0; }) (builtins.attrValues s) ]",
  "builtins.listToAttrs [ { name = \"b\"; value = 1; } { name = \"a\"; value = 2; } { name = \"b\"; } { name = \"c\"; value = 4; } ]",
  "let s = builtins.listToAttrs [ { name = \"a\"; value = 1; } { name = \"b\"; value = 2; } ]; in [ s (s ? a) s.b (s == { a = 1; b = 2; }) (builtins.mapAttrs (n: v: v + 1) s) ]",
  "builtins.listToAttrs [ ]",
];

describe.skipIf(!haveTools("nix-instantiate"))("attribute-set literals vs Nix 2.8", () => {
  it.each(cases)("%s", (expr) => {
    expect(evalStrict(expr)).toBe(nixEval(expr));
  });
});
