/**
 * genericClosure and other builtins that fit no other group.
 */
import { EvalError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { showType, typeOf } from "../eval.js";
import { printForError } from "../printForError.js";
import { deferred } from "../../deferred.js";
import type { FlakeRefAttrs } from "../lib/flakeRef.js";
import { NixociError } from "../../errors.js";
import { type Lazy, NixAttrs, NixFloat, NixPath, NixString, type Value, fromBytes, mkInt, toBytes } from "../values.js";

/** A key for genericClosure's "seen" set, equal exactly when Nix's comparison says equal. */
function closureKey(v: Value): string | undefined {
  if (typeof v === "number" || typeof v === "bigint") return `n${v}`;
  if (v instanceof NixFloat) return Number.isInteger(v.value) && Math.abs(v.value) < 2 ** 63 ? `n${BigInt(v.value)}` : `n${v.value}`;
  if (typeof v === "string") return `s${v}`;
  if (v instanceof NixString) return `s${v.s}`;
  if (v instanceof NixPath) return `p${v.path}`;
  return undefined;
}

export function registerMiscBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  def("__genericClosure", 1, ([a], pos) => {
    const args = ev.forceAttrs(a!, pos, "while evaluating the first argument passed to builtins.genericClosure");
    const inArgs = "in the attrset passed as argument to builtins.genericClosure";
    const startSet = args.get("startSet");
    if (startSet === undefined) throw new EvalError("attribute 'startSet' missing").addTrace(inArgs);
    const work: Lazy[] = [...ev.forceList(startSet, pos, "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure")];
    // As Nix: no start set, no operator needed.
    if (work.length === 0) return [];
    const opV = args.get("operator");
    if (opV === undefined) throw new EvalError("attribute 'operator' missing").addTrace(inArgs);
    const op = ev.forceFunction(opV, pos, "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure");
    // Nix keeps the keys in a std::map ordered by its `<`: keys of one kind with a total order
    // (numbers, strings, paths) are told apart here by closureKey; lists by equality; a key that
    // Nix cannot order against those before it (another kind, sets, Booleans…) is its error.
    const seen = new Set<string>();
    const seenLists: Value[] = [];
    let first: { kind: string; key: Value; elem: NixAttrs } | undefined;
    const out: Lazy[] = [];
    const element = (e: Lazy) => `in genericClosure element ${printForError(e)}`;
    for (let i = 0; i < work.length; i++) {
      let e: NixAttrs;
      let key: Value;
      try {
        e = ev.forceAttrs(work[i]!, pos);
        const kl = e.get("key");
        if (kl === undefined) throw new EvalError("attribute 'key' missing");
        key = ev.force(kl);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(element(work[i]!));
        throw err;
      }
      const kind = typeOf(key) === "float" ? "int" : typeOf(key);
      const k = closureKey(key);
      if (first === undefined) first = { kind, key, elem: e };
      else if (kind !== first.kind || (k === undefined && !Array.isArray(key))) {
        try {
          ev.lessThan(key, first.key, pos);
          ev.lessThan(first.key, key, pos);
        } catch (err) {
          if (err instanceof EvalError) err.addTrace(`with element ${printForError(first.elem)}`).addTrace(`while comparing element ${printForError(e)}`);
          throw err;
        }
      }
      if (k === undefined) {
        if (seenLists.some((x) => ev.eqValues(x, key, pos))) continue;
        seenLists.push(key);
      } else {
        if (seen.has(k)) continue;
        seen.add(k);
      }
      out.push(e);
      try {
        const next = ev.callFunction(op, [e], pos);
        if (!Array.isArray(next)) throw ev.typeError("a list", next, undefined, "while evaluating the return value of the `operator` passed to builtins.genericClosure");
        for (const x of next) {
          ev.force(x);
          work.push(x);
        }
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(`while calling operator on genericClosure element ${printForError(e)}`);
        throw err;
      }
    }
    return out;
  });
}

/** builtins.parseFlakeRef / builtins.flakeRefToString (flake references in attribute form). */
export function registerFlakeRefBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  def("__parseFlakeRef", 1, ([a], pos) => {
    const s = ev.forceStringNoCtx(a!, pos, "while evaluating the argument passed to builtins.parseFlakeRef");
    let attrs: FlakeRefAttrs;
    try {
      attrs = deferred("flakeRef").parseFlakeRef(fromBytes(s));
    } catch (err) {
      if (err instanceof NixociError) throw new EvalError(err.message, pos);
      throw err;
    }
    const m = new Map<string, Lazy>();
    for (const [k, v] of Object.entries(attrs)) m.set(k, typeof v === "number" ? mkInt(BigInt(v)) : typeof v === "string" ? toBytes(v) : v);
    return new NixAttrs(m);
  });
  def("__flakeRefToString", 1, ([a], pos) => {
    const attrs = ev.forceAttrs(a!, pos, "while evaluating the argument passed to builtins.flakeRefToString");
    const out: FlakeRefAttrs = {};
    for (const k of attrs.keys()) {
      const v = ev.force(attrs.get(k)!);
      if (typeof v === "number" || typeof v === "bigint") {
        if (v < 0) throw new EvalError(`negative value given for flake ref attr ${k}: ${v}`, pos);
        out[k] = Number(v);
      } else if (typeof v === "boolean") out[k] = v;
      else if (typeof v === "string" || v instanceof NixString) out[k] = fromBytes(typeof v === "string" ? v : v.s);
      else throw new EvalError(`flake reference attribute sets may only contain integers, Booleans, and strings, but attribute '${k}' is ${showType(v)}`, pos);
    }
    try {
      return toBytes(deferred("flakeRef").flakeRefToString(out));
    } catch (err) {
      if (err instanceof NixociError) throw new EvalError(err.message, pos);
      throw err;
    }
  });
}
