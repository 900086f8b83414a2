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
import { UndefinedVariableError } from "./parseErrors.js";

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
  new Binder(sourceText).run(expr, base);
}

class Binder {
  /** Work list of (expression, scope) pairs; children are pushed in reverse so they are visited in Nix's order. */
  private readonly work: (Expr | StaticScope)[] = [];

  constructor(private readonly sourceText: string | undefined) {}

  /** Binds `root` without recursion, so arbitrarily deep expressions are fine. */
  run(root: Expr, env: StaticScope): void {
    const work = this.work;
    work.push(env, root);
    while (work.length > 0) {
      const e = work.pop() as Expr;
      const scope = work.pop() as StaticScope;
      this.visit(e, scope);
    }
  }

  private later(env: StaticScope, es: readonly (Expr | undefined)[]): void {
    for (let i = es.length - 1; i >= 0; i--) {
      const e = es[i];
      if (e) this.work.push(env, e);
    }
  }

  private visit(e: Expr, env: StaticScope): void {
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
        this.later(env, [e.expr, e.default, ...e.path.map((a) => a.expr)]);
        return;
      case "hasAttr":
        this.later(env, [e.expr, ...e.path.map((a) => a.expr)]);
        return;
      case "attrs":
        if (e.rec) this.defs(e, this.recScope(e, env), env);
        else this.defs(e, env, env);
        return;
      case "list":
        this.later(env, e.elems);
        return;
      case "lambda": {
        const vars = new Map<string, number>();
        let displ = 0;
        if (e.arg !== undefined) vars.set(e.arg, displ++);
        if (e.formals) for (const f of e.formals.entries) vars.set(f.name, displ++);
        const inner = new StaticScope(vars, false, env);
        this.work.push(inner, e.body);
        if (e.formals) this.later(inner, e.formals.entries.map((f) => f.default));
        return;
      }
      case "call":
        this.later(env, e.args);
        this.work.push(env, e.fn);
        return;
      case "let": {
        const inner = this.recScope(e.attrs, env);
        this.work.push(inner, e.body);
        this.defs(e.attrs, inner, env);
        return;
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
        this.work.push(new StaticScope(NO_VARS, true, env), e.body);
        this.work.push(env, e.attrs);
        return;
      }
      case "if":
        this.later(env, [e.cond, e.then, e.else]);
        return;
      case "assert":
        this.later(env, [e.cond, e.body]);
        return;
      case "not":
        this.work.push(env, e.expr);
        return;
      case "binary":
        this.later(env, [e.left, e.right]);
        return;
      case "concatStrings":
        this.later(env, e.parts);
        return;
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

  /**
   * Queues the definitions of an attrset/let (`inner` for plain ones, `outer`
   * for `inherit x`), in Nix's order: inherit sources, attributes, dynamic attributes.
   */
  private defs(attrs: EAttrs, inner: StaticScope, outer: StaticScope): void {
    const items: [StaticScope, Expr][] = [];
    for (const src of attrs.inheritFromExprs ?? []) items.push([inner, src]);
    for (const def of attrs.attrs.values()) {
      if (def.kind === "plain") items.push([inner, def.expr]);
      else if (def.kind === "inherited") items.push([outer, def.expr]);
      // inheritedFrom: its source is bound once above; the path is a static name.
    }
    for (const d of attrs.dynamicAttrs) items.push([inner, d.nameExpr], [inner, d.valueExpr]);
    for (let i = items.length - 1; i >= 0; i--) this.work.push(items[i]![0], items[i]![1]);
  }
}
