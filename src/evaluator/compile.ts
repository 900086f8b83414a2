/**
 * Expressions → JS closures, once per AST node. Evaluating a node then costs one closure call
 * instead of a dispatch on its kind, children are called directly (no lookups), variables are
 * pre-resolved env slots, and the shapes that dominate real code (`a + b`, calls of one or two
 * arguments, `s.name`, `if`) get closures of their own.
 *
 * Semantics live in EvalCore: each closure does what EvalCore.interpret does for its kind, by
 * the same helpers, so positions, messages, traces and laziness are unchanged. A closure takes
 * the evaluator as an argument (it never captures one), so a compiled tree is not tied to it.
 * Children deeper than MAX_INLINE_DEPTH below the node being compiled are compiled when first
 * evaluated instead: compiling never recurses deeper than that, however deep the expression.
 */
import type { AttrDef, EAttrs, ELet, Expr, Pos } from "./ast.js";
import { type EvalCore, IntOp, safeIntOp } from "./eval.js";
import { EvalError } from "./evalError.js";
import { Env, FORCED, type Lazy, NO_SLOTS, NixLambda, PrimOp, SPECULATED, Thunk, type Value } from "./values.js";

export type Code = (ev: EvalCore, env: Env) => Value;

const MAX_INLINE_DEPTH = 64;
const OPERAND_OF_PLUS = "in an operand of '+'";
const BRANCH_CONDITION = "while evaluating a branch condition";
const SELECTING = "while selecting an attribute";

/** The closure of `e`, compiling it (and its children up to a depth) on first use. */
export function codeOf(e: Expr): Code {
  const c = e.code;
  return c !== undefined ? c : compileNode(e, 0);
}

function child(e: Expr, depth: number): Code {
  const c = e.code;
  if (c !== undefined) return c;
  if (depth >= MAX_INLINE_DEPTH) return (ev, env) => codeOf(e)(ev, env);
  return compileNode(e, depth + 1);
}

function compileNode(e: Expr, depth: number): Code {
  const c = build(e, depth);
  e.code = c;
  return c;
}

/** Nix's frame `ctx` at `pos`, added to an evaluation error passing through (an operand's "in the left operand of '&&'"). */
export function withFrame(err: unknown, ctx: string, pos: Pos | undefined): unknown {
  if (err instanceof EvalError) err.addTrace(ctx, pos);
  return err;
}

/** `c`, with the frame `ctx` at the position of `e` on its errors. */
function framed(c: Code, e: Expr, ctx: string): Code {
  const pos = e.pos;
  return (ev, env) => {
    try {
      return c(ev, env);
    } catch (err) {
      throw withFrame(err, ctx, pos);
    }
  };
}

/** A Boolean operand of `&&`, `||`, `->`, `!`, `if`: its errors, and a non-Boolean, get the frame `ctx`. */
function boolOperand(c: Code, e: Expr, ctx: string): (ev: EvalCore, env: Env) => boolean {
  const pos = e.pos;
  return (ev, env) => {
    let v: Value;
    try {
      v = c(ev, env);
    } catch (err) {
      throw withFrame(err, ctx, pos);
    }
    if (v === true || v === false) return v;
    throw ev.typeError("a Boolean", v, pos, ctx);
  };
}

/** The value in an env slot, forced; `pos`: the variable's, where Nix reports finding it under evaluation. */
function forceSlot(ev: EvalCore, l: Lazy, pos: Pos): Value {
  if (l instanceof Thunk) return l.b === FORCED ? (l.a as Value) : ev.forceThunk(l, pos);
  return l;
}

/** The forced value of slot `displ` of the env `level` scopes up, forced at `pos`. */
function slotValue(ev: EvalCore, env: Env, level: number, displ: number, pos: Pos): Value {
  let en = env;
  for (let l = level; l > 0; l--) en = en.up!;
  const x = (displ === 0 ? en.v0 : en.vals[displ - 1])!;
  if (x instanceof Thunk) return x.b === FORCED ? (x.a as Value) : ev.forceThunk(x, pos);
  return x;
}

/**
 * A call argument read in place, without a closure of its own: an int or string literal
 * (`level` -1, `value`), or a static variable (its slot).
 */
interface Operand {
  readonly level: number;
  readonly displ: number;
  readonly value: Value;
  readonly pos: Pos;
}

function operandOf(e: Expr): Operand | undefined {
  if (e.kind === "int" || e.kind === "string") return { level: -1, displ: 0, value: e.value, pos: e.pos };
  if (e.kind === "var" && e.resolution!.kind === "static") return { level: e.resolution!.level, displ: e.resolution!.displ, value: null, pos: e.pos };
  return undefined;
}

/** A call `f a b` of a static variable on two operands: computed ahead when it is safe-int arithmetic (speculate). */
export interface Speculation {
  readonly f: Operand;
  readonly a: Operand;
  readonly b: Operand;
}

export function speculationOf(e: Expr & { kind: "call" }): Speculation | null {
  if (e.args.length !== 2) return null;
  const f = operandOf(e.fn);
  const a = operandOf(e.args[0]!);
  const b = operandOf(e.args[1]!);
  return f !== undefined && f.level >= 0 && a !== undefined && b !== undefined ? { f, a, b } : null;
}

/** An operand's value if it is there without forcing anything (a literal, a set slot holding a value or a forced thunk). */
function peek(o: Operand, env: Env): Value | undefined {
  if (o.level < 0) return o.value;
  let en = env;
  for (let l = o.level; l > 0; l--) en = en.up!;
  const x = o.displ === 0 ? en.v0 : en.vals[o.displ - 1];
  if (x instanceof Thunk) return x.b === FORCED || x.b === SPECULATED ? (x.a as Value) : undefined;
  return x;
}

/**
 * The thunk of `n - 1` (and the like) with its value already computed, when `f` is an integer
 * builtin and both operands are known safe ints, so that computing it cannot fail (no overflow,
 * no division by zero) and has no effect; undefined otherwise. Saves building and later forcing
 * an expression thunk (`fib (n - 1)`).
 */
export function speculate(sp: Speculation, env: Env): Thunk | undefined {
  const f = peek(sp.f, env);
  if (!(f instanceof PrimOp) || f.intOp === 0) return undefined;
  const a = peek(sp.a, env);
  const b = peek(sp.b, env);
  if (typeof a !== "number" || typeof b !== "number") return undefined;
  const r = safeIntOp(f.intOp, a, b);
  return r === undefined ? undefined : new Thunk(r, SPECULATED);
}

/** A strict two-argument builtin on its forced arguments: safe-int arithmetic inline, else the builtin. */
function strictPrimOp2(ev: EvalCore, f: PrimOp, a: Value, b: Value, pos: Pos): Value {
  if (typeof a === "number" && typeof b === "number" && f.intOp !== 0) {
    const r = safeIntOp(f.intOp, a, b);
    if (r !== undefined) return r;
  }
  const fn2 = f.fn2;
  return fn2 !== undefined ? ev.callPrimOp2(f, fn2, a, b, pos) : ev.callPrimOp(f, [a, b], pos);
}

function build(e: Expr, depth: number): Code {
  switch (e.kind) {
    case "int":
    case "string": {
      const v = e.value;
      return () => v;
    }
    case "var": {
      const r = e.resolution!;
      const vpos = e.pos;
      if (r.kind !== "static") return (ev, env) => forceSlot(ev, ev.lookupVar(e, env), vpos);
      const d = r.displ;
      const d1 = d - 1;
      // Slot 0 is a field of the env, the others are in its `vals` (values.ts Env).
      switch (r.level) {
        case 0:
          return d === 0 ? (ev, env) => forceSlot(ev, env.v0!, vpos) : (ev, env) => forceSlot(ev, env.vals[d1]!, vpos);
        case 1:
          return d === 0 ? (ev, env) => forceSlot(ev, env.up!.v0!, vpos) : (ev, env) => forceSlot(ev, env.up!.vals[d1]!, vpos);
        default: {
          const level = r.level;
          return (ev, env) => slotValue(ev, env, level, d, vpos);
        }
      }
    }
    case "call":
      return buildCall(e, depth);
    case "select": {
      const base = child(e.expr, depth);
      const first = e.path[0]!;
      // Errors evaluating the base get Nix's "while selecting an attribute" at the base.
      const basePos = e.expr.pos;
      if (e.default === undefined && e.path.length === 1 && first.name !== undefined) {
        const name = first.name;
        return (ev, env) => {
          let v: Value;
          try {
            v = base(ev, env);
          } catch (err) {
            throw withFrame(err, SELECTING, basePos);
          }
          return ev.selectName(v, name, e.pos);
        };
      }
      return (ev, env) => {
        let v: Value;
        try {
          v = base(ev, env);
        } catch (err) {
          throw withFrame(err, SELECTING, basePos);
        }
        return ev.evalSelectFrom(e, v, env);
      };
    }
    case "concatStrings": {
      // Each operand's errors get Nix's "in an operand of '+'" (interpolations too, as in Nix).
      const parts = e.parts.map((p) => framed(child(p, depth), p, OPERAND_OF_PLUS));
      if (!e.forceString && parts.length === 2) {
        // `a + b`: two small ints need no more than this (and no wrapper calls: the frames inline).
        const l = child(e.parts[0]!, depth);
        const r = child(e.parts[1]!, depth);
        const lp = e.parts[0]!.pos;
        const rp = e.parts[1]!.pos;
        const pos = e.partPos !== undefined ? e.partPos[1]! : rp;
        return (ev, env) => {
          let a: Value;
          try {
            a = l(ev, env);
          } catch (err) {
            throw withFrame(err, OPERAND_OF_PLUS, lp);
          }
          if (typeof a === "number") {
            let b: Value;
            try {
              b = r(ev, env);
            } catch (err) {
              throw withFrame(err, OPERAND_OF_PLUS, rp);
            }
            if (typeof b === "number") {
              const s = safeIntOp(IntOp.add, a, b);
              if (s !== undefined) return s;
            }
            return ev.addNumbers(a, b, pos);
          }
          return ev.evalConcat(e, parts, env, a);
        };
      }
      return (ev, env) => ev.evalConcat(e, parts, env, parts[0]!(ev, env));
    }
    case "if": {
      const cond = child(e.cond, depth);
      const then = child(e.then, depth);
      const els = child(e.else, depth);
      const condPos = e.cond.pos;
      return (ev, env) => {
        let c: Value;
        try {
          c = cond(ev, env);
        } catch (err) {
          throw withFrame(err, BRANCH_CONDITION, condPos);
        }
        if (c === true) return then(ev, env);
        if (c === false) return els(ev, env);
        throw ev.typeError("a Boolean", c, condPos, BRANCH_CONDITION);
      };
    }
    case "lambda":
      return (_ev, env) => new NixLambda(e, env);
    case "let":
      return buildLet(e, child(e.body, depth));
    case "list": {
      const elems = e.elems;
      return (ev, env) => {
        const out = new Array<Lazy>(elems.length);
        for (let i = 0; i < out.length; i++) out[i] = ev.maybeThunk(elems[i]!, env);
        return out;
      };
    }
    case "attrs":
      return (ev, env) => ev.evalAttrs(e, env);
    case "not": {
      const x = boolOperand(child(e.expr, depth), e.expr, "in the argument of '!'");
      return (ev, env) => !x(ev, env);
    }
    case "binary":
      return buildBinary(e, depth);
    case "with": {
      const body = child(e.body, depth);
      const attrs = e.attrs;
      const prevWith = e.prevWith ?? -1;
      return (ev, env) => body(ev, new Env(env, ev.maybeThunk(attrs, env), NO_SLOTS, prevWith));
    }
    default:
      // Rare kinds (hasAttr, float, path, assert, __curPos): the reference implementation.
      return (ev, env) => ev.interpret(e, env);
  }
}

/**
 * An argument's code for a strict builtin (args is used for nothing else): a variable is then
 * forced by the builtin, at its call, which is where Nix finds it under evaluation if it is.
 */
function strictArg(a: Expr, callPos: Pos, depth: number): Code {
  const r = a.kind === "var" ? a.resolution! : undefined;
  if (r === undefined || r.kind !== "static") return child(a, depth);
  const { level, displ } = r;
  return (ev, env) => slotValue(ev, env, level, displ, callPos);
}

function buildCall(e: Expr & { kind: "call" }, depth: number): Code {
  const fn = child(e.fn, depth);
  const argExprs = e.args;
  const pos = e.pos;
  const args = argExprs.map((a) => strictArg(a, pos, depth));
  if (args.length === 1) {
    const x = argExprs[0]!;
    const xc = args[0]!;
    return (ev, env) => {
      const f = fn(ev, env);
      // Arithmetic and comparisons force their arguments in order anyway: no thunks.
      if (f instanceof PrimOp && f.strict && f.arity === 1) {
        // Nix forces a builtin's arguments inside it: their errors get its frame.
        let a: Value;
        try {
          a = xc(ev, env);
        } catch (err) {
          throw ev.primOpError(err, f, pos);
        }
        return ev.callPrimOp(f, [a], pos);
      }
      if (f instanceof NixLambda && f.expr.formals === undefined) {
        // EvalCore.applyLambda's plain-argument case, inline: the commonest call, two frames fewer.
        const body = f.expr.body;
        const env2 = new Env(f.env, ev.maybeThunk(x, env), NO_SLOTS);
        if (ev.callDepth++ > ev.maxCallDepth) throw ev.callDepthError(pos);
        try {
          const c = body.code;
          return (c !== undefined ? c : codeOf(body))(ev, env2);
        } catch (err) {
          throw ev.showTrace ? ev.lambdaCallFrames(err, f.expr, pos) : err;
        } finally {
          ev.callDepth--;
        }
      }
      return ev.call1(f, ev.maybeThunk(x, env), pos);
    };
  }
  if (args.length === 2) {
    const [x, y] = argExprs as [Expr, Expr];
    const fo = operandOf(e.fn);
    const xo = operandOf(x);
    const yo = operandOf(y);
    if (fo !== undefined && fo.level >= 0 && xo !== undefined && yo !== undefined) {
      // `n - 1`, `a < b`, `f x y` on variables and literals (most arithmetic): one closure, no child calls.
      const { level: fl, displ: fd, pos: fp } = fo;
      const { level: xl, displ: xd, value: xv } = xo;
      const { level: yl, displ: yd, value: yv } = yo;
      return (ev, env) => {
        const f = slotValue(ev, env, fl, fd, fp);
        if (f instanceof PrimOp && f.strict && f.arity === 2) {
          let a: Value;
          let b: Value;
          try {
            // The builtin forces its arguments, at its call.
            a = xl < 0 ? xv : slotValue(ev, env, xl, xd, pos);
            b = yl < 0 ? yv : slotValue(ev, env, yl, yd, pos);
          } catch (err) {
            throw ev.primOpError(err, f, pos);
          }
          return strictPrimOp2(ev, f, a, b, pos);
        }
        return ev.call2(f, ev.maybeThunk(x, env), ev.maybeThunk(y, env), pos);
      };
    }
    const [xc, yc] = args as [Code, Code];
    return (ev, env) => {
      const f = fn(ev, env);
      if (f instanceof PrimOp && f.strict && f.arity === 2) {
        let a: Value;
        let b: Value;
        try {
          a = xc(ev, env);
          b = yc(ev, env);
        } catch (err) {
          throw ev.primOpError(err, f, pos);
        }
        return strictPrimOp2(ev, f, a, b, pos);
      }
      return ev.call2(f, ev.maybeThunk(x, env), ev.maybeThunk(y, env), pos);
    };
  }
  return (ev, env) => {
    const f = fn(ev, env);
    const n = args.length;
    const vals = new Array<Lazy>(n);
    if (f instanceof PrimOp && f.strict && f.arity === n) {
      try {
        for (let i = 0; i < n; i++) vals[i] = args[i]!(ev, env);
      } catch (err) {
        throw ev.primOpError(err, f, pos);
      }
      return ev.callPrimOp(f, vals, pos);
    }
    for (let i = 0; i < n; i++) vals[i] = ev.maybeThunk(argExprs[i]!, env);
    return ev.callFunction(f, vals, pos);
  };
}

function buildLet(e: ELet, body: Code): Code {
  const attrs: EAttrs = e.attrs;
  const defs: readonly AttrDef[] = [...attrs.attrs.values()];
  const plain = attrs.inheritFromExprs === undefined || attrs.inheritFromExprs.length === 0;
  return (ev, env) => {
    const env2 = Env.sized(env, defs.length);
    if (plain) {
      for (let i = 0; i < defs.length; i++) {
        const def = defs[i]!;
        env2.set(def.displ!, ev.maybeThunk(def.expr, def.kind === "inherited" ? env : env2));
      }
    } else ev.fillLetEnv(attrs, env, env2);
    return body(ev, env2);
  };
}

function buildBinary(e: Expr & { kind: "binary" }, depth: number): Code {
  const op = e.op;
  // Nix's frames for errors in an operand: "in the left operand of '&&'" at the operand.
  const l = child(e.left, depth);
  const r = child(e.right, depth);
  const pos = e.pos;
  switch (op) {
    case "==":
    case "!=": {
      // Inline rather than by `framed`: `n == 0` is hot.
      const lctx = `in the left operand of '${op}'`;
      const rctx = `in the right operand of '${op}'`;
      const lp = e.left.pos;
      const rp = e.right.pos;
      const neg = op === "!=";
      return (ev, env) => {
        let a: Value;
        let b: Value;
        try {
          a = l(ev, env);
        } catch (err) {
          throw withFrame(err, lctx, lp);
        }
        try {
          b = r(ev, env);
        } catch (err) {
          throw withFrame(err, rctx, rp);
        }
        return ev.eqValues(a, b, pos) !== neg;
      };
    }
    case "&&":
    case "||":
    case "->": {
      const lb = boolOperand(l, e.left, `in the left operand of '${op}'`);
      const rb = boolOperand(r, e.right, `in the right operand of '${op}'`);
      if (op === "&&") return (ev, env) => lb(ev, env) && rb(ev, env);
      if (op === "||") return (ev, env) => lb(ev, env) || rb(ev, env);
      return (ev, env) => !lb(ev, env) || rb(ev, env);
    }
    case "//": {
      const lf = framed(l, e.left, "in the left operand of '//'");
      const rf = framed(r, e.right, "in the right operand of '//'");
      return (ev, env) => ev.updateOperator(lf(ev, env), rf, env, e);
    }
    case "++": {
      const lf = framed(l, e.left, "in the left operand of '++'");
      const rf = framed(r, e.right, "in the right operand of '++'");
      return (ev, env) => ev.concatOperator(lf(ev, env), rf, env, pos);
    }
  }
}
