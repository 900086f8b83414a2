/**
 * Nix's symbol order. Nix interns every attribute and variable name (its SymbolTable) and keeps a
 * set's attributes sorted by symbol id, i.e. by when each name was first interned; a lambda's
 * formals too. Where Nix walks a set or formals in that order, the first failing one is the one
 * reported, and traces come in that order:
 *  - forceValueDeep (--strict, deepSeq): `{ b = throw "b"; a = throw "a"; }` fails with "b";
 *  - `==` on sets compares attribute by attribute;
 *  - a call reports the first missing formal, or the first unexpected argument.
 * Everything else that shows names (printing, attrNames, toJSON) sorts them by bytes.
 *
 * One table per Evaluator (as one per EvalState): a name's rank must not depend on what else
 * the process has evaluated. It starts as current Nix's does (static symbols, then the base
 * environment in registration order, then its internal derivation.nix as parsed); the parser
 * then interns names where Nix's grammar actions do, and builtins where Nix's primops do.
 * Nix 2.8 compared symbols by address instead, which is mostly, but not always, this order.
 */

/** EvalState's static symbols, in their order (ids 1…). */
const STATIC_SYMBOLS = [
  "<with>", "outPath", "drvPath", "type", "meta", "name", "value", "system", "__overrides", "outputs",
  "outputName", "__ignoreNulls", "file", "line", "column", "__functor", "__toString", "right", "wrong",
  "__structuredAttrs", "__json", "allowedReferences", "allowedRequisites", "disallowedReferences",
  "disallowedRequisites", "maxSize", "maxClosureSize", "builder", "args", "__contentAddressed", "__impure",
  "outputHash", "outputHashAlgo", "outputHashMode", "recurseForDerivations", "description", "self", "",
  "startSet", "operator", "key", "path", "prefix", "outputSpecified", "requiredSystemFeatures", "__sub",
  "__lessThan", "__mul", "__div", "or", "__findFile", "__nixPath", "body",
];

/** The builtins registered in createBaseEnv's loop, in registration order; `[feature]` when gated. */
const REGISTERED_PRIMOPS = (
  // primops.cc
  "scopedImport import __typeOf isNull __isFunction __isInt __isFloat __isString __isBool __isPath " +
  "__genericClosure break abort throw __addErrorContext __ceil __floor __tryEval __getEnv __seq __deepSeq " +
  "__trace __warn derivationStrict placeholder __toPath __storePath __pathExists baseNameOf dirOf __readFile " +
  "__findFile __hashFile __readFileType __readDir __outputOf[dynamic-derivations] __toXML __toJSON " +
  "__fromJSON __toFile __filterSource __path __attrNames __attrValues __getAttr __unsafeGetAttrPos " +
  "__hasAttr __isAttrs removeAttrs __listToAttrs __intersectAttrs __catAttrs __functionArgs __mapAttrs " +
  "__zipAttrsWith __isList __elemAt __head __tail map __filter __elem __concatLists __length __foldl' " +
  "__any __all __genList __sort __partition __groupBy __concatMap __add __sub __mul __div __bitAnd " +
  "__bitOr __bitXor __lessThan toString __substring __stringLength __hashString __convertHash __match " +
  "__split __concatStringsSep __replaceStrings __parseDrvName __compareVersions __splitVersion " +
  // primops/context.cc, fetchClosure.cc, fetchMercurial.cc, fetchTree.cc, fromTOML.cc
  "__unsafeDiscardStringContext __hasContext __unsafeDiscardOutputDependency __addDrvOutputDependencies " +
  "__getContext __appendContext __fetchClosure[fetch-closure] fetchMercurial fetchTree[fetch-tree] " +
  "fetchFinalTree! __fetchurl fetchTarball fetchGit fromTOML " +
  // libflake's, added after the others whatever the features
  "__getFlake __parseFlakeRef __flakeRefToString"
).split(" ");

/** REGISTERED_PRIMOPS read: "name[feature]" is gated by the feature, "name!" is internal. */
const PRIMOPS = REGISTERED_PRIMOPS.map((entry) => {
  const m = /^([^[!]+)(?:\[(.*)\])?(!)?$/.exec(entry)!;
  return { name: m[1]!, feature: m[2], internal: m[3] !== undefined };
});

/**
 * The names current Nix's parser interns for its internal derivation.nix, in order (worked out
 * by parsing that file with this module's parser hooks).
 */
const DERIVATION_NIX_SYMBOLS = [
  "outputs", "strict", "derivationStrict", "drvAttrs", "commonAttrs", "builtins", "listToAttrs", "outputsList",
  "all", "map", "x", "value", "outputToAttrListElement", "name", "outputName", "outPath", "drvPath", "type",
  "head",
];

/** Pending entries kept before numbering them anyway (bounds the list under many single names). */
const MAX_PENDING = 4096;

export interface BaseEnvSettings {
  /** Pure evaluation: Nix then leaves out currentTime and currentSystem. */
  readonly pureEval?: boolean;
  /** Whether an experimental feature is on (gated builtins are registered only then). */
  readonly hasFeature?: (feature: string) => boolean;
}

export class SymbolTable {
  private readonly ids = new Map<string, number>();
  private readonly ordered = new WeakMap<readonly string[], readonly string[]>();

  /**
   * Names interned but not yet numbered, in order: single names and whole lists (a parse's, a
   * listToAttrs'). Only an order query needs the numbers, and most evaluations make none (or
   * few, late), so interning costs a push until then.
   */
  private pending: (string | readonly string[])[] = [];

  /** Interns `name` (a no-op once interned), as Nix's symbols.create. */
  intern(name: string): void {
    this.pending.push(name);
    if (this.pending.length > MAX_PENDING) this.flush();
  }

  /** Interns each of `names` in turn; the array must not change afterwards. */
  internAll(names: readonly string[]): void {
    if (names.length === 0) return;
    this.pending.push(names);
    if (this.pending.length > MAX_PENDING) this.flush();
  }

  /** `name`'s id, the next one if it has none yet. */
  private id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) this.ids.set(name, (id = this.ids.size + 1));
    return id;
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = [];
    for (const x of pending) {
      if (typeof x === "string") this.id(x);
      else for (let i = 0; i < x.length; i++) this.id(x[i]!);
    }
  }

  /**
   * `names` (distinct) in symbol order; the same array when already so. A name never interned
   * (made by a builtin that Nix gives a fixed name, say) is interned now, in the order given.
   */
  order(names: readonly string[]): readonly string[] {
    if (names.length < 2) return names;
    // Sets from one literal share their keys array (NixAttrs.keys), so `==` and --strict over
    // many such sets order it once. Once all are interned, names keep their relative order.
    const hit = this.ordered.get(names);
    if (hit !== undefined) return hit;
    if (this.pending.length > 0) this.flush();
    const r = this.computeOrder(names);
    this.ordered.set(names, r);
    return r;
  }

  private computeOrder(names: readonly string[]): readonly string[] {
    let prev = 0;
    let sorted = true;
    for (const n of names) {
      const id = this.id(n);
      if (id < prev) sorted = false;
      prev = id;
    }
    if (sorted) return names;
    const ids = this.ids;
    return [...names].sort((a, b) => ids.get(a)! - ids.get(b)!);
  }

  /** Of `names`, the first in symbol order (undefined for none). */
  first(names: Iterable<string>): string | undefined {
    if (this.pending.length > 0) this.flush();
    let best: string | undefined;
    let bestId = Infinity;
    for (const n of names) {
      const id = this.id(n);
      if (id < bestId) {
        best = n;
        bestId = id;
      }
    }
    return best;
  }

  /** A table as a new EvalState's: static symbols, the base environment, derivation.nix. */
  static forEvalState(settings: BaseEnvSettings = {}): SymbolTable {
    const names: string[] = [...STATIC_SYMBOLS];
    // addConstant and addPrimOp intern the name as given, then without its "__".
    const add = (name: string): void => {
      names.push(name, name.startsWith("__") ? name.slice(2) : name);
    };
    for (const c of ["builtins", "true", "false", "null"]) add(c);
    if (!settings.pureEval) for (const c of ["__currentTime", "__currentSystem"]) add(c);
    for (const c of ["__nixVersion", "__storeDir", "__langVersion", "__traceVerbose", "__nixPath"]) add(c);
    for (const { name, feature, internal } of PRIMOPS) {
      if (feature !== undefined && !settings.hasFeature?.(feature)) continue;
      // An internal primop is interned under its name only: it is not in `builtins`.
      if (internal) names.push(name);
      else add(name);
    }
    add("derivation");
    names.push(...DERIVATION_NIX_SYMBOLS);
    const t = new SymbolTable();
    t.internAll(names);
    return t;
  }
}
