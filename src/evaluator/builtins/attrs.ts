/**
 * Attribute-set builtins.
 */
import type { Pos } from "../ast.js";
import { EvalError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { AttrShape, type Lazy, NixAttrs, NixPath, SPECULATED, Thunk, type Value } from "../values.js";
import { applyLazy } from "./lists.js";

/** Nix's position attrset { file, line, column }. */
export function posToAttrs(p: Pos | undefined): Value {
  if (p === undefined || p.line === 0) return null;
  return new NixAttrs(
    new Map<string, Lazy>([
      ["column", p.column],
      ["file", p.file],
      ["line", p.line],
    ]),
  );
}

/** listToAttrs' positions: an attribute is where its element defines `value`, as in Nix. */
class ValuePositions {
  constructor(
    private readonly shape: AttrShape,
    private readonly at: readonly (Pos | undefined)[],
  ) {}

  get(name: string): Pos | undefined {
    const i = this.shape.indexOf(name);
    return i < 0 ? undefined : this.at[i];
  }
}

export function registerAttrBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  // Error contexts are only formatted on failure (these run on hot paths).
  const attrs = (l: Lazy, pos: Pos, fn: string, nth = "first"): NixAttrs => {
    const v = ev.force(l);
    if (v instanceof NixAttrs) return v;
    throw ev.typeError("a set", v, pos, `while evaluating the ${nth} argument passed to builtins.${fn}`);
  };
  const str = (l: Lazy, pos: Pos, fn: string, nth = "first"): string => {
    const v = ev.force(l);
    if (typeof v === "string") return v;
    return ev.forceStringNoCtx(v, pos, `while evaluating the ${nth} argument passed to builtins.${fn}`);
  };

  def("__attrNames", 1, ([a], pos) => ev.forceAttrs(a!, pos, "while evaluating the argument passed to builtins.attrNames").keys().slice());
  def("__attrValues", 1, ([a], pos) => {
    const s = ev.forceAttrs(a!, pos, "while evaluating the argument passed to builtins.attrValues");
    return s.keys().map((k) => s.get(k)!);
  });
  def("__getAttr", 2, ([n, a], pos) => {
    const name = str(n!, pos, "getAttr");
    const s = attrs(a!, pos, "getAttr", "second");
    ev.symbols.intern(name);
    const v = s.get(name);
    if (v === undefined) throw new EvalError(`attribute '${name}' missing`).addTrace("in the attribute set under consideration");
    return ev.force(v);
  });
  def("__unsafeGetAttrPos", 2, ([n, a], pos) => {
    const name = str(n!, pos, "unsafeGetAttrPos");
    const s = attrs(a!, pos, "unsafeGetAttrPos", "second");
    ev.symbols.intern(name);
    if (!s.has(name)) return null;
    return posToAttrs(s.posOf(name));
  });
  def("__hasAttr", 2, ([n, a], pos) => {
    const name = str(n!, pos, "hasAttr");
    const s = attrs(a!, pos, "hasAttr", "second");
    ev.symbols.intern(name);
    return s.has(name);
  });
  def("removeAttrs", 2, ([a, l], pos) => {
    const s = attrs(a!, pos, "removeAttrs");
    const names = ev.forceList(l!, pos, "while evaluating the second argument passed to builtins.removeAttrs");
    if (names.length === 0) return s;
    const m = new Map(s.map);
    for (const x of names) {
      const name = ev.forceStringNoCtx(x, pos, "while evaluating the values of the second argument passed to builtins.removeAttrs");
      ev.symbols.intern(name);
      m.delete(name);
    }
    return new NixAttrs(m, s.posSources);
  });
  def("__listToAttrs", 1, ([l], pos) => {
    const xs = ev.forceList(l!, pos, "while evaluating the argument passed to builtins.listToAttrs");
    // As Nix: gather, then sort (no hash map of all names). Every element with a value is kept
    // here; of equal names the first wins when sorting below, which is what skipping seen names does.
    const names = new Array<string>(xs.length);
    const vals = new Array<Lazy>(xs.length);
    const at = new Array<Pos | undefined>(xs.length);
    let n = 0;
    // The names so far, made only if an element has no value (then it matters whether its name is new).
    let seen: Set<string> | undefined;
    // Nix interns each name as it meets it: here all at once after the loop (symbols.ts), or,
    // on an error, those met before it.
    let missing: string | undefined;
    try {
      for (const x of xs) {
        const e = ev.forceAttrs(x, pos, "while evaluating an element of the list passed to builtins.listToAttrs");
        const nm = e.get("name");
        if (nm === undefined) throw new EvalError("attribute 'name' missing", pos).addTrace("in a {name=...; value=...;} pair", pos);
        const name = ev.forceStringNoCtx(nm, e.posOf("name") ?? pos, "while evaluating the `name` attribute of an element of the list passed to builtins.listToAttrs");
        const v = e.get("value");
        if (v === undefined) {
          // Only a name not seen before needs its value.
          seen ??= new Set(names.slice(0, n));
          if (seen.has(name)) continue;
          missing = name;
          throw new EvalError("attribute 'value' missing", pos).addTrace("in a {name=...; value=...;} pair", pos);
        }
        seen?.add(name);
        names[n] = name;
        vals[n] = v;
        at[n] = e.posOf("value");
        n++;
      }
    } catch (err) {
      ev.symbols.internAll(names.slice(0, n));
      if (missing !== undefined) ev.symbols.intern(missing);
      throw err;
    }
    names.length = n;
    ev.symbols.internAll(names);
    vals.length = n;
    at.length = n;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = names[i - 1]! < names[i]!;
    if (sorted) {
      const shape = new AttrShape(names, true);
      return NixAttrs.fromShape(shape, vals, [new ValuePositions(shape, at)]);
    }
    // Stable (TimSort): of equal names, the first in the list comes first.
    const order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => {
      const x = names[a]!;
      const y = names[b]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const outNames: string[] = [];
    const outVals: Lazy[] = [];
    const outAt: (Pos | undefined)[] = [];
    for (let i = 0; i < n; i++) {
      const k = order[i]!;
      const name = names[k]!;
      if (outNames.length > 0 && outNames[outNames.length - 1] === name) continue;
      outNames.push(name);
      outVals.push(vals[k]!);
      outAt.push(at[k]);
    }
    const shape = new AttrShape(outNames, true);
    return NixAttrs.fromShape(shape, outVals, [new ValuePositions(shape, outAt)]);
  });
  def("__intersectAttrs", 2, ([a, b], pos) => {
    const x = attrs(a!, pos, "intersectAttrs");
    const y = attrs(b!, pos, "intersectAttrs", "second");
    const m = new Map<string, Lazy>();
    if (x.size < y.size) {
      for (const k of x.map.keys()) {
        const v = y.get(k);
        if (v !== undefined) m.set(k, v);
      }
    } else {
      for (const [k, v] of y.map) if (x.has(k)) m.set(k, v);
    }
    return new NixAttrs(m, y.posSources);
  });
  def("__catAttrs", 2, ([n, l], pos) => {
    const name = str(n!, pos, "catAttrs");
    ev.symbols.intern(name);
    const out: Lazy[] = [];
    for (const x of ev.forceList(l!, pos, "while evaluating the second argument passed to builtins.catAttrs")) {
      const v = ev.forceAttrs(x, pos, "while evaluating an element in the list passed as second argument to builtins.catAttrs").get(name);
      if (v !== undefined) out.push(v);
    }
    return out;
  });
  def("__mapAttrs", 2, ([f, a], pos) => {
    const s = attrs(a!, pos, "mapAttrs", "second");
    // mapAttrs alone leaves its function unforced: a lambda written in place is then still a
    // thunk in Nix, so the calls have no call site until one of them has forced it.
    const fn = f instanceof Thunk ? f : new Thunk(f!, SPECULATED);
    const m = new Map<string, Lazy>();
    for (const [k, v] of s.map) m.set(k, applyLazy(applyLazy(fn, k), v));
    // New attributes, defined nowhere (as in Nix).
    return new NixAttrs(m);
  });
  def("__zipAttrsWith", 2, ([f, l], pos) => {
    ev.forceFunction(f!, pos, "while evaluating the first argument passed to builtins.zipAttrsWith");
    const xs = ev.forceList(l!, pos, "while evaluating the second argument passed to builtins.zipAttrsWith");
    const groups = new Map<string, Lazy[]>();
    for (const x of xs) {
      const s = ev.forceAttrs(x, pos, "while evaluating a value of the list passed as second argument to builtins.zipAttrsWith");
      for (const [k, v] of s.map) {
        const g = groups.get(k);
        if (g) g.push(v);
        else groups.set(k, [v]);
      }
    }
    const m = new Map<string, Lazy>();
    for (const [k, vs] of groups) m.set(k, applyLazy(applyLazy(f!, k), vs));
    return new NixAttrs(m);
  });
  void NixPath;
}
