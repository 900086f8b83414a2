/**
 * The lazy evaluation loop: expressions × environments → values.
 *
 * Hot-path rules: no allocation per variable lookup (envs are arrays, the
 * binder resolved every static variable to level/slot), no exceptions on the
 * normal path, literals and variables are never wrapped in thunks (as Nix's
 * maybeThunk), and thunks black-hole while being forced.
 */
import type { AttrName, EAttrs, EConcatStrings, ELambda, EVar, Expr, Pos } from "./ast.js";
import { AssertionError, EvalError, RecursionError } from "./evalError.js";
import { type Code, codeOf, speculate, speculationOf, withFrame } from "./compile.js";
import { printForError } from "./printForError.js";
import { assertEqValues } from "./assertEq.js";
import { closestNames } from "./suggestions.js";
import { SymbolTable } from "./symbols.js";
import {
  AttrShape,
  Env,
  type Lazy,
  NixAttrs,
  NixFloat,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  Thunk,
  type Value,
  NONE_FILE,
  toBytes,
  BLACKHOLE_APP,
  BLACKHOLE_EXPR,
  FORCED,
  FAILED,
  type NixInt,
  intToBig,
  mkInt,
  NO_SLOTS,
  SPECULATED,
} from "./values.js";

export const noPos: Pos = { file: NONE_FILE, line: 0, column: 0 };

const INT_MIN = -(1n << 63n);
const INT_MAX = (1n << 63n) - 1n;

/** Nix's type names, with article, as in error messages. */
export function showType(v: Value): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "a Boolean";
    case "number":
    case "bigint":
      return "an integer";
    case "string":
      return "a string";
  }
  if (Array.isArray(v)) return "a list";
  if (v instanceof NixAttrs) return "a set";
  if (v instanceof NixString) return "a string with context";
  if (v instanceof NixFloat) return "a float";
  if (v instanceof NixPath) return "a path";
  if (v instanceof PrimOp) return `the built-in function '${v.name}'`;
  if (v instanceof PrimOpApp) return `the partially applied built-in function '${v.op.name}'`;
  return "a function";
}

/** Nix's `typeOf` names. */
export function typeOf(v: Value): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
    case "bigint":
      return "int";
    case "string":
      return "string";
  }
  if (Array.isArray(v)) return "list";
  if (v instanceof NixAttrs) return "set";
  if (v instanceof NixString) return "string";
  if (v instanceof NixFloat) return "float";
  if (v instanceof NixPath) return "path";
  return "lambda";
}

export function isFunction(v: Value): boolean {
  return v instanceof NixLambda || v instanceof PrimOp || v instanceof PrimOpApp;
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** Checks a 64-bit result, reporting overflow the way Nix does. */
function checkedInt(r: bigint, a: NixInt, b: NixInt, verb: string, op: string, pos: Pos): NixInt {
  if (r > INT_MAX || r < INT_MIN) throw new EvalError(`integer overflow in ${verb} ${a} ${op} ${b}`, pos);
  return mkInt(r);
}

/** The integer builtins (`__add` …) that compiled calls compute inline on two safe ints (PrimOp.intOp; 0 for the others). */
export const IntOp = { add: 1, sub: 2, mul: 3, div: 4, lessThan: 5 } as const;

// Integer arithmetic: doubles are exact while the true result is a safe integer, and a result
// beyond ±(2^53-1) rounds to at least 2^53 in magnitude, so leaving the safe range is always seen.

/** `op` on two safe ints; undefined when the checked path must decide (the result leaves the safe range, a zero divisor). */
export function safeIntOp(op: number, a: number, b: number): number | boolean | undefined {
  switch (op) {
    case IntOp.add: {
      const r = a + b;
      return r <= SAFE && r >= -SAFE ? r : undefined;
    }
    case IntOp.sub: {
      const r = a - b;
      return r <= SAFE && r >= -SAFE ? r : undefined;
    }
    case IntOp.mul: {
      // `+ 0` turns JS's -0 (e.g. 0 * -1) into the integer 0.
      const r = a * b;
      return r <= SAFE && r >= -SAFE ? r + 0 : undefined;
    }
    case IntOp.div:
      // Truncating; a - a % b is an exact multiple of b, so the double division is exact.
      return b === 0 ? undefined : (a - (a % b)) / b + 0;
    case IntOp.lessThan:
      return a < b;
  }
  return undefined;
}

export function addInt(a: NixInt, b: NixInt, pos: Pos): NixInt {
  const r = typeof a === "number" && typeof b === "number" ? safeIntOp(IntOp.add, a, b) : undefined;
  return r !== undefined ? (r as number) : checkedInt(intToBig(a) + intToBig(b), a, b, "adding", "+", pos);
}

export function subInt(a: NixInt, b: NixInt, pos: Pos): NixInt {
  const r = typeof a === "number" && typeof b === "number" ? safeIntOp(IntOp.sub, a, b) : undefined;
  return r !== undefined ? (r as number) : checkedInt(intToBig(a) - intToBig(b), a, b, "subtracting", "-", pos);
}

export function mulInt(a: NixInt, b: NixInt, pos: Pos): NixInt {
  const r = typeof a === "number" && typeof b === "number" ? safeIntOp(IntOp.mul, a, b) : undefined;
  return r !== undefined ? (r as number) : checkedInt(intToBig(a) * intToBig(b), a, b, "multiplying", "*", pos);
}

/** Truncating division; the caller has ruled out division by zero. */
export function divInt(a: NixInt, b: NixInt, pos: Pos): NixInt {
  const r = typeof a === "number" && typeof b === "number" ? safeIntOp(IntOp.div, a, b) : undefined;
  return r !== undefined ? (r as number) : checkedInt(intToBig(a) / intToBig(b), a, b, "dividing", "/", pos);
}

/** Normalises an absolute path: removes `.`, `..`, duplicate and trailing slashes (no symlinks). */
export function canonPath(path: string): string {
  if (path === "/" ) return "/";
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Hooks the core needs from the surrounding evaluator (builtins, store, imports). */
export interface CoreHooks {
  /** Copies a source path to the store (`"${./p}"`), returning the store path. */
  copyPathToStore(path: string, pos: Pos): string;
  /** Prints an expression (assertion messages). */
  showExpr(e: Expr): string;
}

export class EvalCore {
  /** Current function call depth (Nix's max-call-depth). */
  callDepth = 0;
  maxCallDepth = 10000;
  /** --show-trace: errors also get a frame for each lambda call they pass ("while calling 'f'"), as in Nix. */
  showTrace = false;
  /** Nix's symbol order of names (the Evaluator's starts as a new EvalState's). */
  symbols = new SymbolTable();

  constructor(readonly hooks: CoreHooks) {}

  // ---------- forcing ----------

  force(l: Lazy): Value {
    if (l instanceof Thunk) return l.b === FORCED ? (l.a as Value) : this.forceThunk(l);
    return l;
  }

  /** `force`, by a forcer that has a position (Nix's forceValue(v, pos)): see forceThunk. */
  forceAt(l: Lazy, pos: Pos): Value {
    if (l instanceof Thunk) return l.b === FORCED ? (l.a as Value) : this.forceThunk(l, pos);
    return l;
  }

  /**
   * `pos`: where it is forced (a variable, a builtin), which Nix reports if it is found under
   * evaluation, and which is the call site of an application.
   */
  forceThunk(t: Thunk, pos?: Pos): Value {
    const a = t.a;
    const b = t.b;
    let v: Value;
    if (b === SPECULATED) {
      t.b = FORCED;
      return a as Value;
    }
    if (b instanceof Env) {
      t.b = BLACKHOLE_EXPR;
      try {
        v = this.eval(a as Expr, b);
      } catch (err) {
        // Nix marks where the cycle starts: this thunk was found under evaluation further in.
        if (err instanceof RecursionError && err.blackhole === t) err.frames.push({ message: "entering the infinite recursion", always: true });
        this.failed(t, b, err);
        throw err;
      }
    } else {
      if (b === FAILED) throw (a as unknown as EvalError).copy();
      if (b === BLACKHOLE_EXPR) {
        // Without the forcer's position, the expression's stands in for it.
        const err = new RecursionError("infinite recursion encountered", pos ?? (a as Expr).pos);
        err.blackhole = t;
        throw err;
      }
      if (b === BLACKHOLE_APP) throw new RecursionError("infinite recursion encountered", undefined);
      if (b === FORCED) return a as Value;
      // Nix's "call site" of an application is where it is forced; a forcer with no position of
      // its own gives where the function at its head is defined, if that is already known to be
      // a lambda (Value::determinePos, as forceValueDeep does).
      const site = pos ?? determinePos(a as Lazy) ?? noPos;
      t.b = BLACKHOLE_APP;
      try {
        const f = this.force(a as Lazy);
        // genList/map elements: mostly a plain lambda, entered without call1/applyLambda.
        if (f instanceof NixLambda) v = f.expr.formals === undefined ? this.applyPlain(f, b as Lazy, site) : this.call1(f, b as Lazy, site);
        else v = this.call1(f, b as Lazy, site);
      } catch (err) {
        this.failed(t, b, err);
        throw err;
      }
    }
    t.a = v;
    t.b = FORCED;
    return v;
  }

  /**
   * A thunk whose evaluation threw: as Nix ≥ 2.34, an evaluation error is memoised (forcing it
   * again throws it again, with the frames it gathered on its first way out, and evaluates
   * nothing); anything else (a JS stack overflow, to be run again on a bigger stack) leaves the
   * thunk as it was.
   */
  private failed(t: Thunk, b: Env | Lazy | object | null, err: unknown): void {
    if (err instanceof EvalError) {
      t.a = err as unknown as Lazy;
      t.b = FAILED;
    } else t.b = b;
  }

  /**
   * The lazy slot for `e` in `env`, as Nix's maybeThunk: values for literals (int, float, string,
   * path, `[ ]`) and variables already set, a thunk otherwise. That shows where a value is
   * printed unforced (`<CODE>`, `--xml`'s `<unevaluated />`, `--json` without --strict).
   */
  maybeThunk(e: Expr, env: Env): Lazy {
    switch (e.kind) {
      case "int":
        return e.value;
      case "string":
        return e.value;
      case "float":
        return new NixFloat(e.value);
      case "path":
        return new NixPath(e.value);
      case "list":
        if (e.elems.length === 0) return [];
        return new Thunk(e, env);
      case "var": {
        const r = e.resolution!;
        if (r.kind === "static") {
          let en = env;
          for (let l = r.level; l > 0; l--) en = en.up!;
          const v = en.get(r.displ);
          if (v !== undefined) return v;
        }
        return new Thunk(e, env);
      }
      case "lambda":
        // Made now, it costs no more than the thunk; Nix's is a thunk, so it looks like one.
        return new Thunk(new NixLambda(e, env), SPECULATED);
      case "call": {
        let sp = e.spec;
        if (sp === undefined) sp = e.spec = speculationOf(e);
        if (sp !== null) {
          const t = speculate(sp, env);
          if (t !== undefined) return t;
        }
        return new Thunk(e, env);
      }
      default:
        return new Thunk(e, env);
    }
  }

  // ---------- evaluation ----------

  /** The value of `e` in `env`, by its compiled closure (compile.ts). */
  eval(e: Expr, env: Env): Value {
    const c = e.code;
    return (c !== undefined ? c : codeOf(e))(this, env);
  }

  /** The kinds compile.ts leaves to the evaluator (rare in hot code). */
  interpret(e: Expr, env: Env): Value {
    switch (e.kind) {
      case "hasAttr": {
        // `s ? a.b` forces `s` and `s.a`, never the last value: `{ a = throw ""; } ? a` is true.
        let v: Value;
        try {
          v = this.eval(e.expr, env);
        } catch (err) {
          throw withFrame(err, "in the argument of '?'", e.expr.pos);
        }
        const path = e.path;
        for (let i = 0; ; i++) {
          if (!(v instanceof NixAttrs)) return false;
          const a = path[i]!;
          const x = v.get(a.name !== undefined ? a.name : this.evalAttrName(a.expr, env));
          if (x === undefined) return false;
          if (i === path.length - 1) return true;
          v = this.force(x);
        }
      }
      case "float":
        return new NixFloat(e.value);
      case "path":
        return new NixPath(e.value);
      case "assert": {
        const ctx = "in the condition of the assert statement";
        let c: Value;
        try {
          c = this.eval(e.cond, env);
        } catch (err) {
          throw withFrame(err, ctx, e.cond.pos);
        }
        if (c === true) return this.eval(e.body, env);
        if (c !== false) throw this.typeError("a Boolean", c, e.cond.pos, ctx);
        const shown = this.hooks.showExpr(e.cond);
        const cond = e.cond;
        if (cond.kind === "binary" && cond.op === "==") {
          // Nix says where the two sides differ.
          try {
            assertEqValues(this, this.eval(cond.left, env), this.eval(cond.right, env), cond.pos);
          } catch (err) {
            if (err instanceof AssertionError) err.addTrace(`while evaluating the condition of the assertion '${shown}'`, e.pos);
            throw err;
          }
        }
        throw new AssertionError(`assertion '${shown}' failed`, e.pos);
      }
      case "curPos": {
        const m = new Map<string, Lazy>([
          ["column", e.pos.column],
          ["file", e.pos.file],
          ["line", e.pos.line],
        ]);
        return new NixAttrs(m);
      }
      default:
        return this.eval(e, env);
    }
  }

  /** `inherit (src) …` in a let: the defs of `attrs` into the new env `env2`. */
  fillLetEnv(attrs: EAttrs, env: Env, env2: Env): void {
    const sources = this.inheritSources(attrs, env2);
    for (const def of attrs.attrs.values()) {
      env2.set(
        def.displ!,
        sources !== undefined && def.kind === "inheritedFrom"
          ? this.inheritedFrom(def.expr, sources, env2)
          : this.maybeThunk(def.expr, def.kind === "inherited" ? env : env2),
      );
    }
  }

  /** A Boolean operand (`pos`: the operand's position, for the error). */
  boolOf(v: Value, pos: Pos, ctx: string): boolean {
    if (v === true || v === false) return v;
    throw this.typeError("a Boolean", v, pos, ctx);
  }

  lookupVar(e: EVar, env: Env): Lazy {
    const r = e.resolution!;
    let en = env;
    for (let l = r.level; l > 0; l--) en = en.up!;
    if (r.kind === "static") return en.get(r.displ)!;
    for (;;) {
      const attrs = this.force(en.v0!);
      if (!(attrs instanceof NixAttrs)) throw this.typeError("a set", attrs, e.pos, "while evaluating the first subexpression of a with expression");
      const v = attrs.get(e.name);
      if (v !== undefined) return v;
      if (en.prevWith < 0) throw new EvalError(`undefined variable '${e.name}'`, e.pos);
      for (let l = en.prevWith; l > 0; l--) en = en.up!;
    }
  }

  /** A dynamic attribute name (`a.${x}`, `a ? ${x}`), interned as Nix's getName does. */
  evalAttrName(e: Expr, env: Env): string {
    const v = this.eval(e, env);
    const name = typeof v === "string" ? v : v instanceof NixString ? v.s : undefined;
    if (name === undefined) throw this.typeError("a string", v, e.pos, "while evaluating an attribute name");
    this.symbols.intern(name);
    return name;
  }

  /** `v.name` for a static name without `or` (the common select). */
  selectName(v: Value, name: string, pos: Pos): Value {
    if (!(v instanceof NixAttrs)) {
      const err = this.typeError("a set", v, pos, "while selecting an attribute");
      throw err.addTrace(`while evaluating the attribute '${name}'`, pos);
    }
    const x = v.get(name);
    if (x === undefined) throw missingAttr(name, v).addTrace(`while evaluating the attribute '${name}'`, pos);
    if (!(x instanceof Thunk)) return x;
    if (x.b === FORCED) return x.a as Value;
    try {
      return this.forceThunk(x);
    } catch (err) {
      if (err instanceof EvalError) {
        atSelect(err, x, v.posOf(name) ?? pos);
        addDefinitionFrame(err, name, v.posOf(name));
        err.addTrace(`while evaluating the attribute '${name}'`, pos);
      }
      throw err;
    }
  }

  /**
   * A select whose base expression evaluated to `v0`. As in Nix, an error while selecting gets
   * two frames: where the last attribute found was defined, then the select with its whole path.
   */
  evalSelectFrom(e: Extract<Expr, { kind: "select" }>, v0: Value, env: Env): Value {
    let v = v0;
    const path = e.path;
    let found = 0;
    let definedAt: Pos | undefined;
    try {
      for (let i = 0; i < path.length; i++) {
        const a = path[i]!;
        const name = a.name !== undefined ? a.name : this.evalAttrName(a.expr, env);
        if (e.default !== undefined) {
          if (!(v instanceof NixAttrs)) return this.eval(e.default, env);
          const x = v.get(name);
          if (x === undefined) return this.eval(e.default, env);
          definedAt = v.posOf(name);
          found = i + 1;
          v = this.force(x);
        } else {
          if (!(v instanceof NixAttrs)) throw this.typeError("a set", v, e.pos, "while selecting an attribute");
          const x = v.get(name);
          if (x === undefined) throw missingAttr(name, v);
          definedAt = v.posOf(name);
          found = i + 1;
          try {
            v = x instanceof Thunk ? (x.b === FORCED ? (x.a as Value) : this.forceThunk(x)) : x;
          } catch (err) {
            if (err instanceof EvalError) atSelect(err, x, definedAt ?? e.pos);
            throw err;
          }
        }
      }
    } catch (err) {
      if (err instanceof EvalError) {
        if (found > 0) addDefinitionFrame(err, this.showSelectPath(path.slice(0, found), env), definedAt);
        err.addTrace(`while evaluating the attribute '${this.showSelectPath(path, env)}'`, e.pos);
      }
      throw err;
    }
    return v;
  }

  /** Nix's showAttrSelectionPath: `a.b.c`, a dynamic name that cannot be evaluated as `"${e}"`. */
  private showSelectPath(path: readonly AttrName[], env: Env): string {
    return path
      .map((a) => {
        if (a.name !== undefined) return a.name;
        try {
          return this.evalAttrName(a.expr!, env);
        } catch {
          return `"\${${this.hooks.showExpr(a.expr!)}}"`;
        }
      })
      .join(".");
  }

  evalAttrs(e: EAttrs, env: Env): NixAttrs {
    if (e.dynamicAttrs.length === 0) {
      const lit = e.literal ?? (e.literal = { shape: new AttrShape([...e.attrs.keys()]), defs: [...e.attrs.values()], posSources: [e.attrs] });
      const defs = lit.defs;
      if (!e.rec) {
        // Values in definition order: the shape's order.
        const vals = new Array<Lazy>(defs.length);
        const sources = this.inheritSources(e, env);
        for (let i = 0; i < defs.length; i++) {
          const def = defs[i]!;
          vals[i] = sources !== undefined && def.kind === "inheritedFrom" ? this.inheritedFrom(def.expr, sources, env) : this.maybeThunk(def.expr, env);
        }
        return NixAttrs.fromShape(lit.shape, vals, lit.posSources);
      }
      if (!e.attrs.has("__overrides")) {
        // The rec env's slots are in definition order too (bind.ts): the set has the same values.
        const env2 = Env.sized(env, defs.length);
        const vals = new Array<Lazy>(defs.length);
        const sources = this.inheritSources(e, env2);
        for (let i = 0; i < defs.length; i++) {
          const def = defs[i]!;
          const en = def.kind === "inherited" ? env : env2;
          const v = sources !== undefined && def.kind === "inheritedFrom" ? this.inheritedFrom(def.expr, sources, en) : this.maybeThunk(def.expr, en);
          env2.set(def.displ!, v);
          vals[def.displ!] = v;
        }
        return NixAttrs.fromShape(lit.shape, vals, lit.posSources);
      }
    }
    const map = new Map<string, Lazy>();
    let dynEnv = env;
    if (e.rec) {
      const env2 = Env.sized(env, e.attrs.size);
      const overrides = e.attrs.get("__overrides");
      const sources = this.inheritSources(e, env2);
      for (const [name, def] of e.attrs) {
        const en = def.kind === "inherited" ? env : env2;
        // With __overrides, env slots may be replaced later: no shortcuts to current slot values.
        const v =
          sources !== undefined && def.kind === "inheritedFrom"
            ? this.inheritedFrom(def.expr, sources, en)
            : overrides === undefined
              ? this.maybeThunk(def.expr, en)
              : new Thunk(def.expr, en);
        env2.set(def.displ!, v);
        map.set(name, v);
      }
      dynEnv = env2;
      if (overrides !== undefined) {
        const ov = this.force(env2.get(overrides.displ!)!);
        if (!(ov instanceof NixAttrs)) throw this.typeError("a set", ov, determinePos(ov), "while evaluating the `__overrides` attribute");
        for (const [name, v] of ov.map) {
          map.set(name, v);
          const def = e.attrs.get(name);
          if (def !== undefined) env2.set(def.displ!, v);
        }
      }
    } else {
      const sources = this.inheritSources(e, env);
      for (const [name, def] of e.attrs) {
        map.set(name, sources !== undefined && def.kind === "inheritedFrom" ? this.inheritedFrom(def.expr, sources, env) : this.maybeThunk(def.expr, env));
      }
    }
    if (e.dynamicAttrs.length === 0) return new NixAttrs(map, [e.attrs]);
    const extraPos = new Map<string, Pos>();
    for (const d of e.dynamicAttrs) {
      const nv = this.eval(d.nameExpr, dynEnv);
      if (nv === null) continue;
      let name: string;
      if (typeof nv === "string") name = nv;
      else if (nv instanceof NixString) name = nv.s;
      else throw this.typeError("a string", nv, d.nameExpr.pos, "while evaluating the name of a dynamic attribute");
      this.symbols.intern(name);
      if (map.has(name)) {
        const prev = extraPos.get(name) ?? e.attrs.get(name)?.pos;
        throw new EvalError(`dynamic attribute '${name}' already defined at ${prev ? showPos(prev) : "\xc2\xabunknown\xc2\xbb"}`, d.pos);
      }
      map.set(name, this.maybeThunk(d.valueExpr, dynEnv));
      extraPos.set(name, d.pos);
    }
    return new NixAttrs(map, [extraPos, e.attrs]);
  }

  /** `inherit (e) a b;` evaluates `e` once per instantiation: one lazy slot per source expression. */
  private inheritSources(e: EAttrs, env: Env): Map<Expr, Lazy> | undefined {
    const srcs = e.inheritFromExprs;
    if (srcs === undefined || srcs.length === 0) return undefined;
    const m = new Map<Expr, Lazy>();
    for (const s of srcs) m.set(s, this.maybeThunk(s, env));
    return m;
  }

  /** The lazy `src.name` of an `inherit (src) name;` definition. */
  private inheritedFrom(e: Expr, sources: Map<Expr, Lazy>, env: Env): Lazy {
    if (e.kind === "select" && e.path.length === 1 && e.path[0]!.name !== undefined) {
      const src = sources.get(e.expr);
      if (src !== undefined) return new Thunk(new PrimOpApp(selectAttrOp(this, e.pos), [e.path[0]!.name]), src);
    }
    return this.maybeThunk(e, env);
  }

  // ---------- function calls ----------

  callFunction(fn: Value, args: Lazy[], pos: Pos): Value {
    let f = fn;
    let i = 0;
    const n = args.length;
    while (i < n) {
      if (f instanceof NixLambda) {
        let le = f.expr;
        let lenv = f.env;
        // `a: b: …` given several arguments: enter the inner lambda without making it a value
        // (what calling the outer one would return at once, at no call depth).
        while (i + 1 < n && le.formals === undefined && le.body.kind === "lambda") {
          lenv = new Env(lenv, args[i]!, NO_SLOTS);
          le = le.body;
          i++;
        }
        f = this.applyLambda(le, lenv, args[i]!, pos);
        i++;
      } else if (f instanceof PrimOp) {
        const arity = f.arity;
        if (arity > n - i) return new PrimOpApp(f, args.slice(i));
        const a = i === 0 && arity === n ? args : args.slice(i, i + arity);
        f = this.callPrimOp(f, a, pos);
        i += arity;
      } else if (f instanceof PrimOpApp) {
        const need = f.op.arity - f.args.length;
        if (need > n - i) return new PrimOpApp(f.op, f.args.concat(args.slice(i)));
        f = this.callPrimOp(f.op, f.args.concat(args.slice(i, i + need)), pos);
        i += need;
      } else if (f instanceof NixAttrs && f.has("__functor")) {
        const functor = this.force(f.get("__functor")!);
        f = this.callFunction(functor, [f, args[i]!], pos);
        i++;
      } else {
        throw new EvalError(`attempt to call something which is not a function but ${showType(f)}: ${printForError(f)}`, pos);
      }
    }
    return f;
  }

  callPrimOp(op: PrimOp, args: Lazy[], pos: Pos): Value {
    // A builtin's call counts towards max-call-depth as a lambda's does (Nix's callFunction).
    if (this.callDepth++ > this.maxCallDepth) throw this.callDepthError(pos);
    try {
      return op.fn(args, pos);
    } catch (err) {
      throw this.primOpError(err, op, pos);
    } finally {
      this.callDepth--;
    }
  }

  /** A strict binary builtin with a `fn2`, given its arguments' values. */
  callPrimOp2(op: PrimOp, fn2: (a: Value, b: Value, pos: Pos) => Value, a: Value, b: Value, pos: Pos): Value {
    try {
      return fn2(a, b, pos);
    } catch (err) {
      throw this.primOpError(err, op, pos);
    }
  }

  primOpError(err: unknown, op: PrimOp, pos: Pos): unknown {
    if (err instanceof EvalError) {
      // Builtins report their errors, and the contexts they add, at the call site; Nix gives
      // those no position, only this frame has it.
      if (err.pos === pos) err.pos = undefined;
      err.unposition(pos);
      if (op.callFrame) err.addTrace(`while calling the '${op.name}' builtin`, pos);
    }
    return err;
  }

  /** `f a`, without an argument array for a lambda. */
  call1(f: Value, a: Lazy, pos: Pos): Value {
    if (f instanceof NixLambda) return this.applyLambda(f.expr, f.env, a, pos);
    return this.callFunction(f, [a], pos);
  }

  /** `f a b`, without an argument array or an inner function value for a curried `x: y: …`. */
  call2(f: Value, a: Lazy, b: Lazy, pos: Pos): Value {
    if (f instanceof NixLambda) {
      const e = f.expr;
      if (e.formals === undefined && e.body.kind === "lambda") return this.applyLambda(e.body, new Env(f.env, a, NO_SLOTS), b, pos);
      return this.call1(this.applyLambda(e, f.env, a, pos), b, pos);
    }
    return this.callFunction(f, [a, b], pos);
  }

  callLambda(f: NixLambda, arg: Lazy, pos: Pos): Value {
    return this.applyLambda(f.expr, f.env, arg, pos);
  }

  /** Calls the lambda `e` closed over `closure` with `arg`. */
  applyLambda(e: ELambda, closure: Env, arg: Lazy, pos: Pos): Value {
    let env: Env;
    const formals = e.formals;
    if (formals === undefined) {
      env = new Env(closure, arg, NO_SLOTS);
    } else {
      const entries = formals.entries;
      const hasArg = e.arg !== undefined ? 1 : 0;
      env = Env.sized(closure, entries.length + hasArg);
      if (hasArg) env.v0 = arg;
      let attrs: Value;
      try {
        attrs = this.force(arg);
        if (!(attrs instanceof NixAttrs)) throw this.typeError("a set", attrs, e.pos, "while evaluating the value passed for the lambda argument");
      } catch (err) {
        throw withCallSite(err, pos);
      }
      let used = 0;
      for (let k = 0; k < entries.length; k++) {
        const fm = entries[k]!;
        const v = attrs.get(fm.name);
        if (v !== undefined) {
          env.set(k + hasArg, v);
          used++;
        } else if (fm.default !== undefined) {
          env.set(k + hasArg, this.maybeThunk(fm.default, env));
        } else {
          // Nix checks formals in symbol order: the first missing one in it is reported.
          const missing = this.symbols.first(entries.filter((x) => x.default === undefined && !attrs.has(x.name)).map((x) => x.name));
          throw withCallSite(new EvalError(`function '${lambdaName(e)}' called without required argument '${missing}'`, e.pos), pos);
        }
      }
      if (!formals.ellipsis && used < attrs.size) {
        const names = entries.map((x) => x.name);
        const bad = this.symbols.first(attrs.keys().filter((k) => !names.includes(k)))!;
        const err = new EvalError(`function '${lambdaName(e)}' called with unexpected argument '${bad}'`, e.pos);
        err.suggestions = closestNames(bad, [...names].sort());
        throw withCallSite(err, pos);
      }
    }
    if (this.callDepth++ > this.maxCallDepth) throw this.callDepthError(pos);
    try {
      return this.eval(e.body, env);
    } catch (err) {
      throw this.showTrace ? this.lambdaCallFrames(err, e, pos) : err;
    } finally {
      this.callDepth--;
    }
  }

  /** With --show-trace, Nix's frames for an error out of a lambda's body: the lambda, then the call. */
  lambdaCallFrames(err: unknown, e: ELambda, pos: Pos): unknown {
    if (err instanceof EvalError) {
      err.addTrace(`while calling ${e.name !== undefined ? `'${e.name}'` : "anonymous lambda"}`, e.pos);
      withCallSite(err, pos);
    }
    return err;
  }

  /** `f arg` for a lambda `x: …` (no formals): applyLambda's plain case, for the hottest callers. */
  applyPlain(f: NixLambda, arg: Lazy, pos: Pos): Value {
    const body = f.expr.body;
    const env = new Env(f.env, arg, NO_SLOTS);
    if (this.callDepth++ > this.maxCallDepth) throw this.callDepthError(pos);
    try {
      const c = body.code;
      return (c !== undefined ? c : codeOf(body))(this, env);
    } catch (err) {
      throw this.showTrace ? this.lambdaCallFrames(err, f.expr, pos) : err;
    } finally {
      this.callDepth--;
    }
  }

  /**
   * `f()` one call deeper, as Nix's addCallDepth: where Nix recurses without a function call
   * (comparing, printing, coercing nested values), max-call-depth still bounds it.
   */
  withCallDepth<T>(pos: Pos, f: () => T): T {
    if (this.callDepth++ > this.maxCallDepth) throw this.callDepthError(pos);
    try {
      return f();
    } finally {
      this.callDepth--;
    }
  }

  /**
   * The error for a call one too deep. Its caller counted the call before calling this, outside
   * the try whose finally would uncount it: undone here, so that once the frames above have
   * uncounted theirs the depth is back where it was (an evaluation that goes on, after an
   * error caught outside Nix code, starts from the right depth).
   */
  callDepthError(pos: Pos): RecursionError {
    this.callDepth--;
    return new RecursionError("stack overflow; max-call-depth exceeded", pos);
  }

  // ---------- operators ----------

  /** `a // b` once `a` is known (`b` is evaluated only if `a` is a set, as in Nix). */
  updateOperator(a: Value, b: Code, env: Env, e: Expr & { kind: "binary" }): Value {
    if (!(a instanceof NixAttrs)) throw this.typeError("a set", a, e.left.pos, "in the left operand of '//'");
    const bv = b(this, env);
    if (!(bv instanceof NixAttrs)) throw this.typeError("a set", bv, e.right.pos, "in the right operand of '//'");
    return updateAttrs(a, bv);
  }

  /** `a ++ b` once `a` is known. */
  concatOperator(a: Value, b: Code, env: Env, pos: Pos): Value {
    if (!Array.isArray(a)) throw this.typeError("a list", a, pos, "while evaluating one of the elements to concatenate");
    const bv = b(this, env);
    if (!Array.isArray(bv)) throw this.typeError("a list", bv, pos, "while evaluating one of the elements to concatenate");
    return a.length === 0 ? bv : bv.length === 0 ? a : a.concat(bv);
  }

  /** String interpolation and `+`: `parts` are the compiled parts, `first` the first one's value. */
  evalConcat(e: EConcatStrings, code: readonly Code[], env: Env, first: Value): Value {
    const parts = e.parts;
    if (!e.forceString) {
      if (typeof first === "number" || typeof first === "bigint" || first instanceof NixFloat) {
        if (parts.length === 2 && typeof first === "number") {
          // The common `a + b` of two small ints.
          const v = code[1]!(this, env);
          if (typeof v === "number") {
            const r = first + v;
            if (r <= SAFE && r >= -SAFE) return r;
          }
          return this.addNumbers(first, v, partPosOf(e, 1));
        }
        let i: NixInt = first instanceof NixFloat ? 0 : first;
        let f = first instanceof NixFloat ? first.value : 0;
        let isFloat = first instanceof NixFloat;
        for (let k = 1; k < parts.length; k++) {
          const v = code[k]!(this, env);
          if (typeof v === "number" || typeof v === "bigint") {
            if (isFloat) f += Number(v);
            else i = addInt(i, v, partPosOf(e, k));
          } else if (v instanceof NixFloat) {
            if (!isFloat) {
              f = Number(i);
              isFloat = true;
            }
            f += v.value;
          } else {
            throw new EvalError(`cannot add ${showType(v)} to ${isFloat ? "a float" : "an integer"}`, partPosOf(e, k));
          }
        }
        return isFloat ? new NixFloat(f) : i;
      }
      if (first instanceof NixPath) {
        let s = first.path;
        const ctx = new Set<string>();
        for (let k = 1; k < parts.length; k++) {
          s += this.coerceToString(code[k]!(this, env), ctx, false, false, partPosOf(e, k), PATH_SEGMENT);
        }
        if (ctx.size > 0) throw new EvalError("a string that refers to a store path cannot be appended to a path", e.pos);
        return new NixPath(canonPath(s));
      }
    }
    let ctx: Set<string> | null = null;
    let s = "";
    for (let k = 0; k < parts.length; k++) {
      const v = k === 0 ? first : code[k]!(this, env);
      if (typeof v === "string") {
        s += v;
        continue;
      }
      if (ctx === null) ctx = new Set();
      s += this.coerceToString(v, ctx, true, false, partPosOf(e, k), PATH_SEGMENT);
    }
    return ctx !== null && ctx.size > 0 ? new NixString(s, ctx) : s;
  }

  /** `a + b` for a number `a` and any `b` (Nix's error when `b` is not a number). */
  addNumbers(a: NixInt | NixFloat, b: Value, pos: Pos): Value {
    if (typeof b === "number" || typeof b === "bigint") {
      if (a instanceof NixFloat) return new NixFloat(a.value + Number(b));
      return addInt(a, b, pos);
    }
    if (b instanceof NixFloat) return new NixFloat((a instanceof NixFloat ? a.value : Number(a)) + b.value);
    throw new EvalError(`cannot add ${showType(b)} to ${a instanceof NixFloat ? "a float" : "an integer"}`, pos);
  }

  // ---------- coercions ----------

  /**
   * Nix's coerceToString: appends the string's context to `ctx`.
   * copyToStore: paths become store paths (with context); coerceMore: toString's extra rules.
   */
  coerceToString(v: Value, ctx: Set<string> | null, copyToStore: boolean, coerceMore: boolean, pos: Pos, errorCtx?: string): string {
    if (typeof v === "string") return v;
    if (v instanceof NixString) {
      if (ctx !== null) for (const c of v.ctx) ctx.add(c);
      return v.s;
    }
    if (v instanceof NixPath) {
      if (!copyToStore) return v.path;
      const sp = this.hooks.copyPathToStore(v.path, pos);
      if (ctx !== null) ctx.add(sp);
      return sp;
    }
    if (v instanceof NixAttrs && (v.has("__toString") || v.has("outPath"))) {
      return this.peelToString(v, pos, false, (p) => this.coerceToString(p, ctx, copyToStore, coerceMore, pos, errorCtx));
    }
    if (coerceMore) {
      if (v === null || v === false) return "";
      if (v === true) return "1";
      if (typeof v === "number" || typeof v === "bigint") return String(v);
      if (v instanceof NixFloat) return this.floatToString(v.value);
      if (Array.isArray(v)) {
        let s = "";
        for (let k = 0; k < v.length; k++) {
          let x: Value;
          try {
            x = this.force(v[k]!);
            s += this.coerceToString(x, ctx, copyToStore, coerceMore, pos, "while evaluating one element of the list");
          } catch (err) {
            throw errorCtx === undefined ? err : withFrame(err, errorCtx, pos);
          }
          // Nix adds a space between elements, except after an empty list.
          if (k < v.length - 1 && !(Array.isArray(x) && x.length === 0)) s += " ";
        }
        return s;
      }
    }
    // As in Nix the position is the context frame's, when there is one.
    const err = new EvalError(`cannot coerce ${showType(v)} to a string: ${printForError(v)}`, errorCtx === undefined ? pos : undefined);
    throw errorCtx === undefined ? err : err.addTrace(errorCtx, pos);
  }


  /**
   * Nix's peelToStringOutPath: a set with `__toString` becomes what that returns, one with
   * `outPath` that attribute, repeatedly; `done` gets the result and whether a `__toString` was
   * on the way. Errors get Nix's frames at the attribute's definition. `checkReturn` (toJSON):
   * what `__toString` gives must end in a string or a path.
   */
  peelToString<T>(v: NixAttrs, pos: Pos, checkReturn: boolean, done: (peeled: Value, throughToString: boolean) => T, throughToString = false): T {
    const next = (x: Value, at: Pos, through: boolean): T => {
      if (x instanceof NixAttrs && (x.has("__toString") || x.has("outPath"))) return this.peelToString(x, at, checkReturn, done, through);
      if (checkReturn && through) {
        if (x instanceof NixAttrs) throw new EvalError(`\`__toString\` must return a string, but got ${showType(x)}: ${printForError(x)}`, at);
        if (!(typeof x === "string" || x instanceof NixString || x instanceof NixPath)) {
          throw new EvalError(`\`__toString\` should return a string, but got ${showType(x)}: ${printForError(x)}`, at);
        }
      }
      return done(x, through);
    };
    const ts = v.get("__toString");
    if (ts !== undefined) {
      const at = v.posOf("__toString");
      let r: Value;
      try {
        r = this.callFunction(this.force(ts), [v], at ?? pos);
      } catch (err) {
        throw withFrame(err, "while calling the `__toString` attribute", at);
      }
      try {
        return this.withCallDepth(pos, () => next(r, at ?? pos, true));
      } catch (err) {
        throw withFrame(err, "while using the result of the `__toString` attribute", at);
      }
    }
    const op = v.get("outPath")!;
    const at = v.posOf("outPath");
    try {
      const x = this.force(op);
      return this.withCallDepth(pos, () => next(x, at ?? pos, throughToString));
    } catch (err) {
      const evaluated = !(op instanceof Thunk) || op.b === FORCED;
      throw withFrame(err, `while ${evaluated ? "using" : "evaluating"} the \`outPath\` attribute`, at);
    }
  }

  /** Set by the evaluator (lib/float's formatFloatToString). */
  floatToString: (f: number) => string = (f) => String(f);

  // ---------- equality and ordering ----------

  eqLazy(a: Lazy, b: Lazy, pos: Pos): boolean {
    if (a === b) return true;
    return this.eqValues(this.force(a), this.force(b), pos);
  }

  eqValues(a: Value, b: Value, pos: Pos): boolean {
    if (typeof a === "number" || typeof a === "bigint") {
      // Canonical ints: one representation per value.
      if (typeof b === "number" || typeof b === "bigint") return a === b;
      return b instanceof NixFloat && Number(a) === b.value;
    }
    if (a instanceof NixFloat) {
      if (b instanceof NixFloat) return a.value === b.value;
      return (typeof b === "number" || typeof b === "bigint") && a.value === Number(b);
    }
    if (typeof a === "string" || a instanceof NixString) {
      if (typeof b === "string") return (typeof a === "string" ? a : a.s) === b;
      if (b instanceof NixString) return (typeof a === "string" ? a : a.s) === b.s;
      return false;
    }
    if (a === null || typeof a === "boolean") return a === b;
    if (a instanceof NixPath) return b instanceof NixPath && a.path === b.path;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      return this.withCallDepth(pos, () => {
        for (let i = 0; i < a.length; i++) if (!this.eqLazy(a[i]!, b[i]!, pos)) return false;
        return true;
      });
    }
    if (a instanceof NixAttrs) {
      if (!(b instanceof NixAttrs)) return false;
      if (this.isDerivation(a) && this.isDerivation(b)) {
        const i = a.get("outPath");
        const j = b.get("outPath");
        if (i !== undefined && j !== undefined) return this.eqLazy(i, j, pos);
      }
      if (a.size !== b.size) return false;
      // Nix walks both sets in symbol order: unequal at the first name that differs, having
      // compared (and forced) the values before it. With the same names (the usual case) that
      // is a walk of `a`'s names; only otherwise is `b`'s order needed.
      const ka = this.symbols.order(a.keys());
      let sameNames = true;
      for (let i = 0; i < ka.length && sameNames; i++) sameNames = b.has(ka[i]!);
      const kb = sameNames ? ka : this.symbols.order(b.keys());
      return this.withCallDepth(pos, () => {
        for (let i = 0; i < ka.length; i++) {
          const k = ka[i]!;
          if (k !== kb[i]) return false;
          if (!this.eqLazy(a.get(k)!, b.get(k)!, pos)) return false;
        }
        return true;
      });
    }
    return false;
  }

  isDerivation(v: NixAttrs): boolean {
    const t = v.get("type");
    if (t === undefined) return false;
    const tv = this.force(t);
    return (typeof tv === "string" ? tv : tv instanceof NixString ? tv.s : null) === "derivation";
  }

  /** Nix's `<` (CompareValues). */
  lessThan(a: Value, b: Value, pos: Pos): boolean {
    if (typeof a === "number" || typeof a === "bigint") {
      // JS compares numbers and bigints exactly, also mixed.
      if (typeof b === "number" || typeof b === "bigint") return a < b;
      if (b instanceof NixFloat) return Number(a) < b.value;
    } else if (a instanceof NixFloat) {
      if (b instanceof NixFloat) return a.value < b.value;
      if (typeof b === "number" || typeof b === "bigint") return a.value < Number(b);
    } else if (typeof a === "string" || a instanceof NixString) {
      if (typeof b === "string" || b instanceof NixString) {
        return (typeof a === "string" ? a : a.s) < (typeof b === "string" ? b : b.s);
      }
    } else if (a instanceof NixPath) {
      if (b instanceof NixPath) return a.path < b.path;
    } else if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; ; i++) {
        if (i === b.length) return false;
        if (i === a.length) return true;
        if (!this.eqLazy(a[i]!, b[i]!, pos)) {
          try {
            return this.lessThan(this.force(a[i]!), this.force(b[i]!), pos);
          } catch (err) {
            throw withFrame(err, "while comparing two list elements", undefined);
          }
        }
      }
    }
    const values = `${printForError(a)} and ${printForError(b)}`;
    if (typeOf(a) === typeOf(b)) throw new EvalError(`cannot compare ${showType(a)} with ${showType(b)}; values of that type are incomparable (values are ${values})`, pos);
    throw new EvalError(`cannot compare ${showType(a)} with ${showType(b)}; values are ${values}`, pos);
  }

  /**
   * "expected a set but found …", with the context frame `ctx` at `pos`. As in Nix, a set or a
   * list that is not there has the position only in that frame; the other types in both.
   */
  typeError(expected: string, v: Value, pos: Pos | undefined, ctx?: string): EvalError {
    const posInFrameOnly = ctx !== undefined && (expected === "a set" || expected === "a list");
    const err = new EvalError(`expected ${expected} but found ${showType(v)}: ${printForError(v)}`, posInFrameOnly ? undefined : pos);
    if (ctx !== undefined) err.addTrace(ctx, pos);
    return err;
  }
}

/**
 * Nix's Value::determinePos, the position a value stands for when it has none of its own: a
 * lambda's, an application's by its function's; none for anything else or not yet evaluated.
 */
export function determinePos(l: Lazy): Pos | undefined {
  for (;;) {
    if (l instanceof NixLambda) return l.expr.pos;
    if (!(l instanceof Thunk)) return undefined;
    const b = l.b;
    if (b === FORCED) l = l.a as Value;
    else if (b instanceof Env || b === SPECULATED || b === FAILED || b === BLACKHOLE_EXPR || b === BLACKHOLE_APP) return undefined;
    else l = l.a as Lazy; // an application: its function
  }
}

/**
 * A select forces what it found at the attribute's definition (else at the select): there,
 * Nix says, `x` was found under evaluation, if this error is just that.
 */
function atSelect(err: EvalError, x: Lazy, pos: Pos): void {
  if (err instanceof RecursionError && err.blackhole === x && err.frames.length === 0) err.pos = pos;
}

/** Nix's "from call site" frame, for calls that have a site (builtins call functions from none). */
function withCallSite(err: unknown, pos: Pos): unknown {
  if (err instanceof EvalError && pos.line > 0) err.addTrace("from call site", pos);
  return err;
}

/** Where part `k` of a concatenation starts, for its errors. */
function partPosOf(e: EConcatStrings, k: number): Pos {
  return e.partPos !== undefined ? e.partPos[k]! : e.parts[k]!.pos;
}

/** Nix's context for every part of a string concatenation or interpolation (sic). */
const PATH_SEGMENT = "while evaluating a path segment";

/** "attribute 'x' missing", with Nix's suggestions of the set's names closest to it. */
function missingAttr(name: string, set: NixAttrs): EvalError {
  const err = new EvalError(`attribute '${name}' missing`);
  err.suggestions = closestNames(name, set.keys());
  return err;
}

/** Nix's "from the definition of" frame, left out for attributes of its internal derivation.nix. */
function addDefinitionFrame(err: EvalError, path: string, pos: Pos | undefined): void {
  if (pos !== undefined && pos.file !== DERIVATION_INTERNAL) err.addTrace(`from the definition of '${path}'`, pos);
}

/** The file name of Nix's internal derivation.nix (builtins/derivation.ts evaluates it). */
export const DERIVATION_INTERNAL = toBytes("«nix-internal»/derivation-internal.nix");

/** Internal primop for inherited-from attributes: `name` selected from a set, with Nix's error. */
function selectAttrOp(core: EvalCore, pos: Pos): PrimOp {
  return new PrimOp("inherit", 2, (args) => {
    const s = core.force(args[1]!);
    if (!(s instanceof NixAttrs)) throw core.typeError("a set", s, pos, "while evaluating an inherited attribute");
    const name = args[0] as string;
    const v = s.get(name);
    if (v === undefined) throw new EvalError(`attribute '${name}' missing`, pos);
    return core.force(v);
  });
}

export function updateAttrs(a: NixAttrs, b: NixAttrs): NixAttrs {
  if (b.isEmpty()) return a;
  if (a.isEmpty()) return b;
  // Positions: the right side's first; bounded so long `//` chains stay cheap.
  const sources = b.posSources.concat(a.posSources.filter((x) => !b.posSources.includes(x)));
  return NixAttrs.update(a, b, sources.length > 8 ? sources.slice(0, 8) : sources);
}

export function lambdaName(e: ELambda): string {
  return e.name ?? "anonymous lambda";
}

export function showPos(p: Pos): string {
  return p.line === 0 ? p.file : `${p.file}:${p.line}:${p.column}`;
}
