/**
 * Builtins about types, control flow, errors, tracing and arithmetic.
 */
import type { Pos } from "../ast.js";
import { addInt, divInt, isFunction, mulInt, subInt, typeOf } from "../eval.js";
import { AbortError, AssertionError, EvalError, ThrownError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { formatGeneral } from "../lib/float.js";
import { printValue } from "../print.js";
import { type Lazy, NixAttrs, NixFloat, type NixInt, NixLambda, NixPath, NixString, PrimOp, PrimOpApp, type Value, fromBytes, intToBig, isInt, mkInt } from "../values.js";

export function registerCoreBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  const is = (name: string, test: (v: Value) => boolean): void => def(name, 1, ([a]) => test(ev.force(a!)));
  def("__typeOf", 1, ([a]) => typeOf(ev.force(a!)));
  is("isNull", (v) => v === null);
  is("__isFunction", (v) => isFunction(v));
  is("__isInt", (v) => isInt(v));
  is("__isFloat", (v) => v instanceof NixFloat);
  is("__isString", (v) => typeof v === "string" || v instanceof NixString);
  is("__isBool", (v) => typeof v === "boolean");
  is("__isPath", (v) => v instanceof NixPath);
  is("__isAttrs", (v) => v instanceof NixAttrs);
  is("__isList", (v) => Array.isArray(v));

  def("throw", 1, ([a], pos) => {
    const s = ev.coerceToString(ev.force(a!), null, false, false, pos);
    throw new ThrownError(s, pos);
  });
  def("abort", 1, ([a], pos) => {
    const s = ev.coerceToString(ev.force(a!), null, false, false, pos);
    throw new AbortError(`evaluation aborted with the following error message: '${s}'`, pos);
  });
  def("__addErrorContext", 2, ([msg, e], pos) => {
    try {
      return ev.force(e!);
    } catch (err) {
      if (err instanceof EvalError) {
        const s = ev.coerceToString(ev.force(msg!), null, false, false, pos, "while evaluating the error message passed to builtins.addErrorContext");
        // No position, and printed even in a cut-short trace, as in Nix.
        err.frames.push({ message: s, always: true });
      }
      throw err;
    }
  });
  def("__seq", 2, ([a, b]) => {
    ev.force(a!);
    return ev.force(b!);
  });
  def("__deepSeq", 2, ([a, b]) => {
    ev.forceDeep(a!);
    return ev.force(b!);
  });
  def("__tryEval", 1, ([a]) => {
    try {
      ev.force(a!);
      ev.symbols.intern("success");
      return new NixAttrs(new Map<string, Lazy>([["success", true], ["value", a!]]));
    } catch (err) {
      if (err instanceof ThrownError || err instanceof AssertionError) {
        ev.symbols.intern("success");
        return new NixAttrs(new Map<string, Lazy>([["success", false], ["value", false]]));
      }
      throw err;
    }
  });
  const traceLine = (v: Value): string => (typeof v === "string" ? v : v instanceof NixString ? v.s : printValue(ev, v, { forTrace: true }));
  def("__trace", 2, ([msg, e]) => {
    const m = ev.force(msg!);
    ev.options.traceSink?.(`trace: ${traceLine(m)}`);
    return ev.force(e!);
  });
  def("__traceVerbose", 2, ([_msg, e]) => ev.force(e!));
  def("__warn", 2, ([msg, e], pos) => {
    const m = ev.force(msg!);
    if (!(typeof m === "string" || m instanceof NixString)) throw ev.typeError("a string", m, pos, "while evaluating the first argument; the message passed to builtins.warn");
    // As Nix prints it: later lines under the first, or a message starting with a newline as is.
    const text = (typeof m === "string" ? m : m.s).replace(/[ \t\r\n]+$/, "");
    const prefix = "evaluation warning: ";
    ev.options.traceSink?.(text.startsWith("\n") ? `${prefix.trimEnd()}${text}` : prefix + text.split("\n").join(`\n${" ".repeat(prefix.length)}`));
    // An EvalError: tryEval does not catch it, so the trace leads to the warning.
    if (ev.options.abortOnWarn) throw new EvalError("aborting to reveal stack trace of warning, as abort-on-warn is set");
    return ev.force(e!);
  });
  def("break", 1, ([a]) => ev.force(a!));
  def("__getEnv", 1, ([a], pos) => {
    const name = ev.forceStringNoCtx(a!, pos, "while evaluating the first argument passed to builtins.getEnv");
    if (ev.options.pureEval || ev.options.restrictEval) return "";
    return ev.options.env?.[fromBytes(name)] ?? "";
  });
  def("__functionArgs", 1, ([a], pos) => {
    const f = ev.force(a!);
    if (f instanceof PrimOp || f instanceof PrimOpApp) return NixAttrs.empty;
    if (!(f instanceof NixLambda)) throw new EvalError("'functionArgs' requires a function", pos);
    const m = new Map<string, Lazy>();
    const pm = new Map<string, Pos>();
    for (const fm of f.expr.formals?.entries ?? []) {
      m.set(fm.name, fm.default !== undefined);
      pm.set(fm.name, fm.pos);
    }
    return new NixAttrs(m, [pm]);
  });

  // ---- arithmetic ----
  // As Nix: both operands are forced; with a float among them both must be numbers ("expected a
  // float"), else both ints ("expected an integer").
  const isFloat = (v: Value) => v instanceof NixFloat;
  const asFloat = (v: Value, pos: Pos, what: string): number => {
    if (v instanceof NixFloat) return v.value;
    if (typeof v === "number" || typeof v === "bigint") return Number(v);
    throw ev.typeError("a float", v, pos, what);
  };
  const asInt = (v: Value, pos: Pos, what: string): NixInt => {
    if (typeof v === "number" || typeof v === "bigint") return v;
    throw ev.typeError("an integer", v, pos, what);
  };
  const arith = (name: string, noun: string, fi: (a: NixInt, b: NixInt, pos: Pos) => NixInt, ff: (a: number, b: number) => number): void => {
    // (sic: Nix's message for a float multiplication's first argument lacks "argument".)
    const ctx1f = `while evaluating the first ${noun === "multiplication" ? "" : "argument "}of the ${noun}`;
    const ctx1 = `while evaluating the first argument of the ${noun}`;
    const ctx2 = `while evaluating the second argument of the ${noun}`;
    // Also the fn2 of the builtin (values are Lazy too): compiled `a - b` calls it directly.
    const apply = (x: Lazy, y: Lazy, pos: Pos): Value => {
      const a = ev.force(x);
      const b = ev.force(y);
      if (isFloat(a) || isFloat(b)) return new NixFloat(ff(asFloat(a, pos, ctx1f), asFloat(b, pos, ctx2)));
      return fi(asInt(a, pos, ctx1), asInt(b, pos, ctx2), pos);
    };
    def(name, 2, (args, pos) => apply(args[0]!, args[1]!, pos), true, apply);
  };
  arith("__add", "addition", addInt, (a, b) => a + b);
  arith("__sub", "subtraction", subInt, (a, b) => a - b);
  arith("__mul", "multiplication", mulInt, (a, b) => a * b);
  const div = (x: Lazy, y: Lazy, pos: Pos): Value => {
    const a = ev.force(x);
    const b = ev.force(y);
    const ctx1 = "while evaluating the first operand of the division";
    const ctx2 = "while evaluating the second operand of the division";
    if (asFloat(b, pos, ctx2) === 0) throw new EvalError("division by zero", pos);
    if (isFloat(a) || isFloat(b)) return new NixFloat(asFloat(a, pos, ctx1) / asFloat(b, pos, ctx2));
    return divInt(asInt(a, pos, ctx1), asInt(b, pos, ctx2), pos);
  };
  def("__div", 2, (args, pos) => div(args[0]!, args[1]!, pos), true, div);
  // Bitwise operators on 64-bit values (JS number bit operators are 32-bit).
  const bit = (name: string, f: (a: bigint, b: bigint) => bigint): void => {
    const ctx1 = `while evaluating the first argument passed to builtins.${name.slice(2)}`;
    const ctx2 = `while evaluating the second argument passed to builtins.${name.slice(2)}`;
    def(name, 2, (args, pos) => mkInt(f(intToBig(ev.forceInt(args[0]!, pos, ctx1)), intToBig(ev.forceInt(args[1]!, pos, ctx2)))), true);
  };
  bit("__bitAnd", (a, b) => a & b);
  bit("__bitOr", (a, b) => a | b);
  bit("__bitXor", (a, b) => a ^ b);
  const lessThan = (a: Lazy, b: Lazy, pos: Pos): boolean => ev.lessThan(ev.force(a), ev.force(b), pos);
  def("__lessThan", 2, (args, pos) => lessThan(args[0]!, args[1]!, pos), true, lessThan);
  // As current Nix: the argument goes through a double; an int comes back unchanged, but one the
  // double cannot hold exactly is an error (Nix 2.8's result was undefined, NixOS/nix#12899).
  const bug = "Due to a bug (see https://github.com/NixOS/nix/issues/12899)";
  const future = "Future Nix versions might implement the correct behavior.";
  const round = (name: string, f: (x: number) => number): void =>
    def(name, 1, ([x], pos) => {
      const v = ev.force(x!);
      const intArg = typeof v === "number" || typeof v === "bigint";
      if (!intArg && !(v instanceof NixFloat)) throw ev.typeError("a float", v, pos, `while evaluating the first argument passed to builtins.${name.slice(2)}`);
      // Number(bigint) rounds to nearest, as C++'s int64 → double conversion does.
      const r = f(intArg ? Number(v) : v.value);
      if (!(r >= -(2 ** 63) && r < 2 ** 63)) {
        if (intArg) throw new EvalError(`${bug} the NixInt argument ${v} caused undefined behavior in previous Nix versions.\n\t${future}`, pos);
        throw new EvalError(`NixFloat argument ${formatGeneral(v.value)} is not in the range of NixInt`, pos);
      }
      if (intArg && BigInt(r) !== BigInt(v)) {
        throw new EvalError(`${bug} a loss of precision occurred in previous Nix versions because the NixInt argument ${v} was rounded to ${BigInt(r)}.\n\t${future}`, pos);
      }
      return intArg ? v : mkInt(BigInt(r));
    });
  round("__ceil", Math.ceil);
  round("__floor", Math.floor);
}
