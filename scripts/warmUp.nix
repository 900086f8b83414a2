# What scripts/bundle.mjs evaluates before it writes instantiate.cjs's code cache: a little of
# everything a small evaluation runs (the language, common builtins, printing), so V8 has compiled
# it and the cache holds it. Only speed depends on this file.
let
  set = { a = 1; b = [ 1 2 3 ]; s = "x"; n.m = 2.5; };
  f = { a, b ? 2, ... }@args: a + b + builtins.length (builtins.attrNames args);
  fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2);
  inherit (builtins) map filter foldl' attrNames attrValues concatStringsSep;
in
rec {
  call = f { a = 1; c = 3; };
  recursion = fib 10;
  lists = [ (map (x: x * 2) set.b) (filter (x: x > 1) set.b) (foldl' (a: b: a + b) 0 set.b) (builtins.elemAt set.b 0) (builtins.genList (x: x) 3) (builtins.sort builtins.lessThan [ 3 1 2 ]) (set.b ++ [ 4 ]) ];
  sets = [ (attrNames set) (attrValues { p = 1; }) (set // { c = 3; }) (set ? a) (set.z or "default") (builtins.hasAttr "a" set) (builtins.removeAttrs set [ "a" ]) (builtins.listToAttrs [ { name = "k"; value = 1; } ]) (builtins.mapAttrs (n: v: n) { q = 1; }) ];
  strings = [ "${toString 1} ${set.s} ${toString set.n.m}" (concatStringsSep "," [ "a" "b" ]) (builtins.substring 0 1 "abc") (builtins.stringLength "abc") (builtins.replaceStrings [ "a" ] [ "b" ] "aaa") (builtins.split "a" "bab") (builtins.match "a(.)" "ab") (builtins.toJSON set) (builtins.fromJSON ''{"a": [1, "s", null]}'') ''
    indented ${set.s}
  '' ];
  logic = [ (with set; a) (if set ? a then "yes" else "no") (1 < 2 && !false || true) (1.5 * 2) (7 / 2) (builtins.isString "a") (builtins.typeOf null) (builtins.tryEval (throw "x")) (assert true; 1) (let x = 1; in x) (builtins.seq 1 2) ];
  self = builtins.length lists;
  path = ./warmUp.nix;
}
