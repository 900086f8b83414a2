/**
 * The order Nix keeps a set's attributes in: by symbol, i.e. the order their names were first
 * interned (Bindings are sorted by symbol id). It shows where Nix walks a set in that order, as
 * forceValueDeep (--strict, deepSeq) does: the first failing attribute in it is the one reported.
 *
 * Nix interns a fixed list of names before anything else (EvalState's static symbols), so those
 * come first, in that order: a derivation's `outPath`, `drvPath`, `type`, `name` … before the
 * rest. nixoci has no symbol table: the other names keep their byte order.
 */
const STATIC_SYMBOLS = [
  "outPath", "drvPath", "type", "meta", "name", "value", "system", "__overrides", "outputs", "outputName",
  "__ignoreNulls", "file", "line", "column", "__functor", "__toString", "right", "wrong", "__structuredAttrs",
  "__json", "allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites", "maxSize",
  "maxClosureSize", "builder", "args", "__contentAddressed", "__impure", "outputHash", "outputHashAlgo",
  "outputHashMode", "recurseForDerivations", "description", "self", "", "startSet", "operator", "key", "path",
  "prefix", "outputSpecified", "requiredSystemFeatures", "__sub", "__lessThan", "__mul", "__div", "or",
  "__findFile", "__nixPath", "body",
];

const RANK = new Map(STATIC_SYMBOLS.map((n, i) => [n, i]));

/** `names` (in byte order) in Nix's symbol order; the same array when none is a static symbol. */
export function inSymbolOrder(names: readonly string[]): readonly string[] {
  if (!names.some((n) => RANK.has(n))) return names;
  const first = names.filter((n) => RANK.has(n)).sort((a, b) => RANK.get(a)! - RANK.get(b)!);
  return first.concat(names.filter((n) => !RANK.has(n)));
}
