# Attribute sets: construction, selection, update, builtins.
{
  simple = { a = 1; b = "two"; };
  nestedPath = { a.b.c = 1; a.b.d = 2; a.e = 3; };
  recursive = rec { x = 1; y = x + 1; z = y * 10; };
  letIn = let a = 1; b = a + 1; in { inherit a b; };
  inheritFrom = let s = { p = 1; q = 2; }; in { inherit (s) p q; };
  select = { a = { b = { c = "deep"; }; }; }.a.b.c;
  selectOr = { a = 1; }.b or "default";
  selectOrNested = { a = { }; }.a.b.c or 7;
  selectOrPresent = { a = 1; }.a or 2;
  hasAttr = { a = { b = 1; }; } ? a.b;
  hasAttrMissing = { a = 1; } ? b;
  hasAttrOnNonSet = 1 ? a;
  # `?` forces the sets on its path, never the value it finds.
  hasAttrValueUnforced = [ ({ a = throw "unforced"; } ? a) ({ a = { b = abort "unforced"; }; } ? a.b) ({ a = 1; } ? a.b) ];
  update = { a = 1; b = 2; } // { b = 3; c = 4; };
  updateShallow = { a = { x = 1; }; } // { a = { y = 2; }; };
  updateChain = { a = 1; } // { b = 2; } // { a = 3; };
  attrNames = builtins.attrNames { b = 1; a = 2; c = 3; };
  attrNamesSorted = builtins.attrNames { "B" = 1; "a" = 2; "_" = 3; "1" = 4; };
  attrValues = builtins.attrValues { b = 1; a = 2; c = 3; };
  getAttr = builtins.getAttr "x" { x = 42; };
  hasAttrBuiltin = [ (builtins.hasAttr "x" { x = 1; }) (builtins.hasAttr "y" { x = 1; }) ];
  removeAttrs = builtins.removeAttrs { a = 1; b = 2; c = 3; } [ "a" "c" "zz" ];
  intersectAttrs = builtins.intersectAttrs { a = 1; b = 2; } { b = 20; c = 30; };
  catAttrs = builtins.catAttrs "a" [ { a = 1; } { b = 2; } { a = 3; } ];
  mapAttrs = builtins.mapAttrs (name: value: "${name}=${toString value}") { x = 1; y = 2; };
  zipAttrsWith = builtins.zipAttrsWith (name: values: { inherit name values; }) [ { a = 1; b = 2; } { a = 3; } { c = 4; } ];
  listToAttrsRoundTrip = builtins.listToAttrs (map (n: { name = n; value = builtins.stringLength n; }) [ "one" "three" ]);
  dynamicAttr = let n = "key"; in { ${n} = "v"; };
  dynamicSelect = let n = "key"; in { key = "found"; }.${n};
  dynamicNull = { ${null} = 1; b = 2; };
  stringKeys = { "a b" = 1; "" = 2; };
  isAttrs = [ (builtins.isAttrs { }) (builtins.isAttrs [ ]) ];
  emptySet = { };
  recNested = rec { a = { b = c; }; c = 5; };
  recShadowing = let x = "outer"; in rec { x = "inner"; y = x; };
  withScope = with { a = 1; b = 2; }; a + b;
  withShadowedByLet = let a = "let"; in with { a = "with"; }; a;
  withNested = with { a = 1; }; with { a = 2; }; a;
  withFallthrough = with { a = 1; }; with { b = 2; }; a + b;
  lazyAttrValue = builtins.attrNames { a = throw "lazy"; b = 1; };
  lazyUpdate = ({ a = throw "x"; } // { b = 1; }).b;
  mapAttrsLazy = builtins.attrNames (builtins.mapAttrs (n: v: throw "no") { a = 1; b = 2; });
  functionArgs = builtins.functionArgs ({ a, b ? 1, ... }: a);
  functionArgsPlain = builtins.functionArgs (x: x);
  patternDefaults = ({ a, b ? a + 1 }: [ a b ]) { a = 10; };
  patternEllipsis = ({ a, ... }: a) { a = 1; extra = 2; };
  patternAt = (args@{ a, ... }: builtins.attrNames args) { a = 1; b = 2; };
  patternAtBefore = ({ a, ... }@args: args.b) { a = 1; b = 2; };
  defaultsSeeOtherArgs = ({ a ? b, b ? 3 }: a) { };
  attrsetEquality = { a = [ 1 ]; } == { a = [ 1 ]; };
  unsafeGetAttrPosType = builtins.typeOf (builtins.unsafeGetAttrPos "a" { a = 1; });
  unsafeGetAttrPosMissing = builtins.unsafeGetAttrPos "b" { a = 1; };
  # listToAttrs: where the element defines `value`; mapAttrs makes new attributes, defined nowhere.
  unsafeGetAttrPosListToAttrs = let p = builtins.unsafeGetAttrPos "a" (builtins.listToAttrs [ { name = "a"; value = 1; } ]); in [ p.line p.column ];
  unsafeGetAttrPosMapAttrs = builtins.unsafeGetAttrPos "a" (builtins.mapAttrs (n: v: v) { a = 1; });
  nestedUpdate = let base = { x = { y = 1; }; }; in base // { x = base.x // { z = 2; }; };
  inheritInRec = let v = 3; in rec { inherit v; w = v * 2; };
  attrsOfFunctions = builtins.attrNames { f = x: x; g = y: y; };
  getAttrDynamicList = map (n: builtins.getAttr n { a = 1; b = 2; }) [ "b" "a" ];
  genericClosure = builtins.genericClosure {
    startSet = [ { key = 1; } ];
    operator = item: if item.key < 5 then [ { key = item.key + 1; } { key = item.key * 2; } ] else [ ];
  };
  genericClosureStrings = map (x: x.key) (builtins.genericClosure {
    startSet = [ { key = "a"; next = [ "b" "c" ]; } ];
    operator = item: map (k: { key = k; next = [ ]; }) item.next;
  });
}
