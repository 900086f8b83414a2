/**
 * Why `assert a == b` failed, as current Nix explains it (assertEqValues): it walks both values
 * the way `==` does and throws at the first difference ("an integer with value '1' is not equal
 * to an integer with value '2'"), with frames naming the attribute or list element on the way.
 * Returns normally when the values are equal after all (then the plain assertion error follows).
 */
import type { Pos } from "./ast.js";
import { type EvalCore, showType } from "./eval.js";
import { AssertionError, EvalError } from "./evalError.js";
import { printForError } from "./printForError.js";
import { type Lazy, NixAttrs, NixFloat, NixPath, NixString, type Value } from "./values.js";

const isNumber = (v: Value) => typeof v === "number" || typeof v === "bigint" || v instanceof NixFloat;

/** Nix's type names (ValueType), which differ from typeOf's for functions and strings with context. */
function kind(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (typeof v === "string" || v instanceof NixString) return "string";
  if (v instanceof NixFloat) return "float";
  if (v instanceof NixPath) return "path";
  if (Array.isArray(v)) return "list";
  if (v instanceof NixAttrs) return "attrs";
  return "function";
}

const str = (v: Value) => (typeof v === "string" ? v : (v as NixString).s);

export function assertEqValues(core: EvalCore, l1: Lazy, l2: Lazy, pos: Pos): void {
  if (l1 === l2) return;
  const v1 = core.force(l1);
  const v2 = core.force(l2);
  const fail = (message: string): never => {
    throw new AssertionError(message);
  };
  if (isNumber(v1) && isNumber(v2)) {
    if (core.eqValues(v1, v2, pos)) return;
    fail(`${showType(v1)} with value '${printForError(v1)}' is not equal to ${showType(v2)} with value '${printForError(v2)}'`);
  }
  if (kind(v1) !== kind(v2)) fail(`${showType(v1)} of value '${printForError(v1)}' is not equal to ${showType(v2)} of value '${printForError(v2)}'`);
  switch (kind(v1)) {
    case "bool":
      if (v1 !== v2) fail(`boolean '${printForError(v1)}' is not equal to boolean '${printForError(v2)}'`);
      return;
    case "string":
      if (str(v1) !== str(v2)) fail(`string '${printForError(v1)}' is not equal to string '${printForError(v2)}'`);
      return;
    case "path":
      if ((v1 as NixPath).path !== (v2 as NixPath).path) fail(`path '${printForError(v1)}' is not equal to path '${printForError(v2)}'`);
      return;
    case "null":
      return;
    case "list": {
      const a = v1 as Lazy[];
      const b = v2 as Lazy[];
      if (a.length !== b.length) {
        fail(`list of size '${a.length}' is not equal to list of size '${b.length}', left hand side is '${printForError(v1)}', right hand side is '${printForError(v2)}'`);
      }
      core.withCallDepth(pos, () => {
        for (let n = 0; n < a.length; n++) {
          try {
            assertEqValues(core, a[n]!, b[n]!, pos);
          } catch (err) {
            if (err instanceof EvalError) err.addTrace(`while comparing list element ${n}`, pos);
            throw err;
          }
        }
      });
      return;
    }
    case "attrs": {
      const a = v1 as NixAttrs;
      const b = v2 as NixAttrs;
      if (core.isDerivation(a) && core.isDerivation(b)) {
        const i = a.get("outPath");
        const j = b.get("outPath");
        if (i !== undefined && j !== undefined) {
          try {
            assertEqValues(core, i, j, pos);
            return;
          } catch (err) {
            if (err instanceof EvalError) err.addTrace("while comparing a derivation by its 'outPath' attribute", pos);
            throw err;
          }
        }
      }
      if (a.size !== b.size) fail(`attribute names of attribute set '${printForError(v1)}' differs from attribute set '${printForError(v2)}'`);
      // In symbol order, as `==` walks them (symbols.ts).
      const ka = core.symbols.order(a.keys());
      const kb = core.symbols.order(b.keys());
      core.withCallDepth(pos, () => compareAttrs(core, a, b, ka, kb, pos));
      return;
    }
    case "function":
      fail("distinct functions and immediate comparisons of identical functions compare as unequal");
  }
}

/** The attributes of two sets of one size, walked in symbol order (`ka`, `kb`) as `==` walks them. */
function compareAttrs(core: EvalCore, a: NixAttrs, b: NixAttrs, ka: readonly string[], kb: readonly string[], pos: Pos): void {
  for (let n = 0; n < ka.length; n++) {
    const name = ka[n]!;
    if (name !== kb[n]) {
      if (!b.has(name)) throw new AssertionError(`attribute name '${name}' is contained in '${printForError(a)}', but not in '${printForError(b)}'`);
      throw new AssertionError(`attribute name '${kb[n]}' is missing in '${printForError(a)}', but is contained in '${printForError(b)}'`);
    }
    try {
      assertEqValues(core, a.get(name)!, b.get(name)!, pos);
    } catch (err) {
      if (err instanceof EvalError) {
        // Printed outermost first: the attribute, then where each side defines it.
        const pb = b.posOf(name);
        const pa = a.posOf(name);
        if (pb !== undefined) err.addTrace("where right hand side is", pb);
        if (pa !== undefined) err.addTrace("where left hand side is", pa);
        err.addTrace(`while comparing attribute '${name}'`, pos);
      }
      throw err;
    }
  }
}
