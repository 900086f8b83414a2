/**
 * List builtins. Results are lazy where Nix's are (map, genList, concatMap
 * elements are application thunks).
 */
import type { Pos } from "../ast.js";
import { EvalError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { type Lazy, NixAttrs, type NixInt, NixLambda, PrimOp, PrimOpApp, Thunk, type Value } from "../values.js";

/** A lazy `f a`. */
export function applyLazy(f: Lazy, a: Lazy): Thunk {
  return new Thunk(f, a);
}

/** Stable merge sort asking only `less(b, a)`, as std::stable_sort does with one comparator. */
export function stableSort<T>(items: T[], less: (a: T, b: T) => boolean): T[] {
  let src = items.slice();
  let dst = new Array<T>(src.length);
  for (let width = 1; width < src.length; width *= 2) {
    for (let lo = 0; lo < src.length; lo += 2 * width) {
      const mid = Math.min(lo + width, src.length);
      const hi = Math.min(lo + 2 * width, src.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (less(src[j]!, src[i]!)) dst[k++] = src[j++]!;
        else dst[k++] = src[i++]!;
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [src, dst] = [dst, src];
  }
  return src;
}

export function registerListBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  // Error contexts are only formatted on failure (these run on hot paths).
  const list = (l: Lazy, pos: Pos, fn: string, nth = "first"): Lazy[] => {
    const v = ev.force(l);
    if (Array.isArray(v)) return v;
    throw ev.typeError("a list", v, pos, `while evaluating the ${nth} argument passed to builtins.${fn}`);
  };
  const fun = (l: Lazy, pos: Pos, fn: string, nth = "first"): Value => {
    const v = ev.force(l);
    if (v instanceof NixLambda || v instanceof PrimOp || v instanceof PrimOpApp) return v;
    return ev.forceFunction(v, pos, `while evaluating the ${nth} argument passed to builtins.${fn}`);
  };
  /** `f x`, which must be a Boolean; `what` names f in the error ("filtering function"). */
  const callBool = (f: Value, x: Lazy, pos: Pos, fn: string, what: string): boolean => {
    const r = ev.call1(f, x, pos);
    if (typeof r === "boolean") return r;
    throw ev.typeError("a Boolean", r, pos, `while evaluating the return value of the ${what} passed to builtins.${fn}`);
  };

  def("map", 2, ([f, l], pos) => {
    const xs = list(l!, pos, "map", "second");
    if (xs.length === 0) return xs;
    fun(f!, pos, "map");
    const out = new Array<Lazy>(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = applyLazy(f!, xs[i]!);
    return out;
  });
  def("__filter", 2, ([f, l], pos) => {
    const xs = list(l!, pos, "filter", "second");
    if (xs.length === 0) return xs;
    const fn = fun(f!, pos, "filter");
    const out: Lazy[] = [];
    for (const x of xs) if (callBool(fn, x, pos, "filter", "filtering function")) out.push(x);
    return out.length === xs.length ? xs : out;
  });
  def("__elem", 2, ([x, l], pos) => {
    for (const y of list(l!, pos, "elem", "second")) if (ev.eqLazy(x!, y, pos)) return true;
    return false;
  });
  def("__concatLists", 1, ([l], pos) => {
    const out: Lazy[] = [];
    for (const x of list(l!, pos, "concatLists")) {
      for (const y of ev.forceList(x, pos, "while evaluating a value of the list passed to builtins.concatLists")) out.push(y);
    }
    return out;
  });
  def("__length", 1, ([l], pos) => list(l!, pos, "length").length);
  def("__head", 1, ([l], pos) => {
    const xs = ev.forceList(l!, pos, "while evaluating the first argument passed to 'builtins.head'");
    if (xs.length === 0) throw new EvalError("'builtins.head' called on an empty list", pos);
    return ev.force(xs[0]!);
  });
  def("__tail", 1, ([l], pos) => {
    const xs = ev.forceList(l!, pos, "while evaluating the first argument passed to 'builtins.tail'");
    if (xs.length === 0) throw new EvalError("'builtins.tail' called on an empty list", pos);
    return xs.slice(1);
  });
  // The index is forced first, as in Nix.
  def("__elemAt", 2, ([l, n], pos) => {
    const i = ev.forceInt(n!, pos, "while evaluating the second argument passed to 'builtins.elemAt'");
    const v = ev.force(l!);
    if (!Array.isArray(v)) throw ev.typeError("a list", v, pos, "while evaluating the first argument passed to 'builtins.elemAt'");
    const xs = v;
    if (i < 0 || i >= xs.length) throw new EvalError(`'builtins.elemAt' called with index ${i} on a list of size ${xs.length}`, pos);
    return ev.force(xs[Number(i)]!);
  });
  // Nix forces the function before the list in foldl', any, all, partition, groupBy, concatMap
  // (but the list first, and the function only if it is not empty, in map, filter, sort).
  def("__foldl'", 3, ([f, z, l], pos) => {
    const fn = fun(f!, pos, "foldlStrict");
    const xs = list(l!, pos, "foldlStrict", "third");
    if (xs.length === 0) return ev.force(z!);
    let acc: Lazy = z!;
    for (let i = 0; i < xs.length; i++) acc = ev.call2(fn, acc, xs[i]!, pos);
    return ev.force(acc);
  });
  const anyAll = (name: string, want: boolean): void =>
    def(name, 2, ([f, l], pos) => {
      const fn = fun(f!, pos, name.slice(2));
      const xs = list(l!, pos, name.slice(2), "second");
      for (const x of xs) if (callBool(fn, x, pos, name.slice(2), "function") === want) return want;
      return !want;
    });
  anyAll("__any", true);
  anyAll("__all", false);
  def("__genList", 2, ([f, n], pos) => {
    const len = ev.forceInt(n!, pos, "while evaluating the second argument passed to builtins.genList");
    if (len < 0) throw new EvalError(`cannot create list of size ${len}`, pos);
    if (len === 0) return [];
    fun(f!, pos, "genList");
    const out = new Array<Lazy>(Number(len));
    for (let i = 0; i < out.length; i++) out[i] = applyLazy(f!, i);
    return out;
  });
  def("__sort", 2, ([f, l], pos) => {
    const xs = list(l!, pos, "sort", "second");
    if (xs.length === 0) return xs;
    const fn = fun(f!, pos, "sort");
    const vals = new Array<Value>(xs.length);
    for (let i = 0; i < xs.length; i++) vals[i] = ev.force(xs[i]!);
    const lessCall = (a: Lazy, b: Lazy): boolean => {
      const r = ev.call2(fn, a, b, pos);
      if (typeof r === "boolean") return r;
      throw ev.typeError("a Boolean", r, pos, "while evaluating the return value of the sorting function passed to builtins.sort");
    };
    // Fast path as in Nix: sorting with the lessThan primop itself; all ints or all plain
    // strings sort natively (a total order, so any stable sort gives std::stable_sort's result).
    if (fn instanceof PrimOp && fn.name === "lessThan") {
      // Equal ints (or strings) are indistinguishable, so an unstable native sort is fine; safe
      // ints sort as doubles in a typed array, byte strings by JS's default code-unit order.
      if (vals.every((v) => typeof v === "number")) {
        // 32-bit ints (the usual case) sort fastest as such, and read back as small ints.
        const nums = vals as number[];
        const sorted = nums.every((v) => (v | 0) === v) ? Int32Array.from(nums).sort() : Float64Array.from(nums).sort();
        for (let i = 0; i < sorted.length; i++) vals[i] = sorted[i]!;
        return vals;
      }
      if (vals.every((v) => typeof v === "number" || typeof v === "bigint")) return (vals as NixInt[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (vals.every((v) => typeof v === "string")) return (vals as string[]).sort();
    }
    const less =
      fn instanceof PrimOp && fn.name === "lessThan" ? (a: Lazy, b: Lazy): boolean => ev.lessThan(ev.force(a), ev.force(b), pos) : lessCall;
    // The forced values, not their thunks: the comparator reads them directly.
    return stableSort<Lazy>(vals, less);
  });
  def("__partition", 2, ([f, l], pos) => {
    const fn = fun(f!, pos, "partition");
    const xs = list(l!, pos, "partition", "second");
    const right: Lazy[] = [];
    const wrong: Lazy[] = [];
    for (const x of xs) (callBool(fn, x, pos, "partition", "partition function") ? right : wrong).push(x);
    return new NixAttrs(new Map<string, Lazy>([["right", right], ["wrong", wrong]]));
  });
  def("__groupBy", 2, ([f, l], pos) => {
    const fn = fun(f!, pos, "groupBy");
    const xs = list(l!, pos, "groupBy", "second");
    const groups = new Map<string, Lazy[]>();
    for (const x of xs) {
      const k = ev.forceString(ev.callFunction(fn, [x], pos), pos, "while evaluating the return value of the grouping function passed to builtins.groupBy");
      const g = groups.get(k);
      if (g) g.push(x);
      else {
        ev.symbols.intern(k);
        groups.set(k, [x]);
      }
    }
    return new NixAttrs(new Map<string, Lazy>(groups));
  });
  def("__concatMap", 2, ([f, l], pos) => {
    const fn = fun(f!, pos, "concatMap");
    const xs = list(l!, pos, "concatMap", "second");
    const out: Lazy[] = [];
    for (const x of xs) {
      const r = ev.callFunction(fn, [x], pos);
      // Nix places this at the function (a value of its own has no position here).
      if (!Array.isArray(r)) throw ev.typeError("a list", r, fn instanceof NixLambda ? fn.expr.pos : undefined, "while evaluating the return value of the function passed to builtins.concatMap");
      for (const y of r) out.push(y);
    }
    return out;
  });
}
