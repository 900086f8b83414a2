/**
 * The binder: resolves every variable of a parsed expression to an
 * environment slot or a `with` lookup (Nix's bindVars), assigns the slots of
 * `let`/`rec` attributes, and reports "undefined variable" — which Nix does as
 * part of parsing, before anything is evaluated.
 *
 * Environment layout (what the evaluator must build at run time):
 *   - let / rec { }: one env, attribute `def.displ` in slot displ (plain,
 *     inherited and inherited-from attributes alike);
 *   - lambda: slot 0 = the `@`/plain argument if any, then the formals in the
 *     (sorted) order of `formals.entries`;
 *   - with: one env holding no variables, only the attribute set;
 *   - the base env: `globals[i]` in slot i.
 * Where each part is evaluated:
 *   - rec/let: plain defs, dynamic attrs and the `inherit (e)` sources in the
 *     new env; `inherit x` (kind "inherited") in the enclosing env;
 *   - non-rec attrs: everything in the enclosing env;
 *   - a kind "inheritedFrom" def is `ESelect(src, [name])` whose `src` is the
 *     same object as one of `inheritFromExprs`: evaluate it in the same env as
 *     plain defs (memoising `src` per instantiation by identity if wanted).
 */
import type { EAttrs, Expr } from "./ast.js";
import { ParseError, UndefinedVariableError } from "./parseErrors.js";

/** A static environment: the names of one runtime env, or a `with` marker. */
export class StaticScope {
  constructor(
    /** Slot of each variable; empty for a `with` scope. */
    readonly vars: ReadonlyMap<string, number>,
    readonly isWith: boolean,
    readonly up: StaticScope | undefined,
  ) {}

  /** The base scope: `names[i]` lives in slot i (builtins, true, false, null, import, …). */
  static base(names: readonly string[]): StaticScope {
    return new StaticScope(new Map(names.map((n, i) => [n, i])), false, undefined);
  }
}

const NO_VARS: ReadonlyMap<string, number> = new Map();

/**
 * Resolves the variables of `expr` in place. `scope` is the base scope (or a
 * list of the global names, slot = index). Throws UndefinedVariableError like
 * Nix; `sourceText` is only used for the error's code excerpt.
 */
export function bind(expr: Expr, scope: StaticScope | readonly string[], sourceText?: string): void {
  const base = scope instanceof StaticScope ? scope : StaticScope.base(scope);
  try {
    new Binder(sourceText).expr(expr, base);
  } catch (e) {
    if (e instanceof RangeError) throw new ParseError("expression is nested too deeply", undefined);
    throw e;
  }
}

class Binder {
  constructor(private readonly sourceText: string | undefined) {}

  expr(e: Expr, env: StaticScope): void {
    // Loop on the last child instead of recursing, so long chains (bodies, else-branches) stay flat.
    for (;;) {
      switch (e.kind) {
        case "int":
        case "float":
        case "string":
        case "path":
        case "curPos":
          return;
        case "var":
          this.variable(e, env);
          return;
        case "select":
          // Same order as Nix (it decides which undefined variable is reported).
          this.expr(e.expr, env);
          if (e.default) this.expr(e.default, env);
          for (const a of e.path) if (a.expr) this.expr(a.expr, env);
          return;
        case "hasAttr":
          this.expr(e.expr, env);
          for (const a of e.path) if (a.expr) this.expr(a.expr, env);
          return;
        case "attrs":
          this.attrs(e, env);
          return;
        case "list":
          for (const x of e.elems) this.expr(x, env);
          return;
        case "lambda": {
          const vars = new Map<string, number>();
          let displ = 0;
          if (e.arg !== undefined) vars.set(e.arg, displ++);
          if (e.formals) for (const f of e.formals.entries) vars.set(f.name, displ++);
          const inner = new StaticScope(vars, false, env);
          if (e.formals) for (const f of e.formals.entries) if (f.default) this.expr(f.default, inner);
          e = e.body;
          env = inner;
          continue;
        }
        case "call":
          this.expr(e.fn, env);
          for (const a of e.args) this.expr(a, env);
          return;
        case "let": {
          const inner = this.recScope(e.attrs, env);
          this.defs(e.attrs, inner, env);
          e = e.body;
          env = inner;
          continue;
        }
        case "with": {
          let level = 1;
          e.prevWith = undefined;
          for (let s: StaticScope | undefined = env; s; s = s.up, level++) {
            if (s.isWith) {
              e.prevWith = level;
              break;
            }
          }
          this.expr(e.attrs, env);
          env = new StaticScope(NO_VARS, true, env);
          e = e.body;
          continue;
        }
        case "if":
          this.expr(e.cond, env);
          this.expr(e.then, env);
          e = e.else;
          continue;
        case "assert":
          this.expr(e.cond, env);
          e = e.body;
          continue;
        case "not":
          e = e.expr;
          continue;
        case "binary":
          this.expr(e.left, env);
          e = e.right;
          continue;
        case "concatStrings":
          for (const p of e.parts) this.expr(p, env);
          return;
      }
    }
  }

  private variable(e: Expr & { kind: "var" }, env: StaticScope): void {
    let withLevel = -1;
    let level = 0;
    for (let s: StaticScope | undefined = env; s; s = s.up, level++) {
      if (s.isWith) {
        if (withLevel < 0) withLevel = level;
      } else {
        const displ = s.vars.get(e.name);
        if (displ !== undefined) {
          e.resolution = { kind: "static", level, displ };
          return;
        }
      }
    }
    if (withLevel < 0) throw new UndefinedVariableError(e.name, e.pos, this.sourceText);
    e.resolution = { kind: "with", level: withLevel };
  }

  /** The env of a let or rec attrset: every attribute, in definition order. */
  private recScope(attrs: EAttrs, env: StaticScope): StaticScope {
    const vars = new Map<string, number>();
    let displ = 0;
    for (const [name, def] of attrs.attrs) {
      def.displ = displ;
      vars.set(name, displ++);
    }
    return new StaticScope(vars, false, env);
  }

  private attrs(e: EAttrs, env: StaticScope): void {
    if (e.rec) this.defs(e, this.recScope(e, env), env);
    else this.defs(e, env, env);
  }

  /** Binds the definitions of an attrset/let: `inner` for plain ones, `outer` for `inherit x`. */
  private defs(attrs: EAttrs, inner: StaticScope, outer: StaticScope): void {
    for (const src of attrs.inheritFromExprs ?? []) this.expr(src, inner);
    for (const def of attrs.attrs.values()) {
      if (def.kind === "plain") this.expr(def.expr, inner);
      else if (def.kind === "inherited") this.expr(def.expr, outer);
      // inheritedFrom: its source was bound above; the path is a static name.
    }
    for (const d of attrs.dynamicAttrs) {
      this.expr(d.nameExpr, inner);
      this.expr(d.valueExpr, inner);
    }
  }
}
