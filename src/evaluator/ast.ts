/**
 * The Nix expression tree, shared by the parser (which builds it), the binder
 * (which resolves variables to environment slots) and the evaluator.
 *
 * Shapes follow Nix's own nixexpr.hh closely, because several observable
 * behaviours depend on them: `--parse` output, desugaring of operators into
 * calls of `__sub`/`__lessThan`/..., where "undefined variable" is reported,
 * and what `unsafeGetAttrPos` returns.
 *
 * Scoping model (as in Nix): every scope-introducing node (`let`, `rec {}`,
 * a lambda, `with`) creates one runtime environment. A variable reference is
 * resolved by the binder to either
 *   - a static slot: `level` environments up, slot `displ` in that env, or
 *   - a `with` lookup: `level` is the distance to the innermost enclosing
 *     `with` env; the evaluator walks outward through enclosing `with`s
 *     (each with-env records the level of its parent with) until the name is found.
 */

import type { AttrShape, PosSource } from "./values.js";
import type { Code, Speculation } from "./compile.js";

/** A source position. `file` is an absolute path, or "«string»" / "«stdin»" / "«none»". */
export interface Pos {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Origin of a source text; positions refer to it. */
export interface Source {
  /** Absolute path of the file, or a pseudo-name such as "«string»" or "«stdin»". */
  readonly file: string;
  readonly text: string;
}

/** One element of an attribute path: a static name, or `${expr}` / `"string with ${interpolation}"`. */
export type AttrName = { readonly name: string; readonly expr?: undefined } | { readonly name?: undefined; readonly expr: Expr };

/** How a variable was resolved by the binder. */
export type VarResolution =
  | { readonly kind: "static"; readonly level: number; readonly displ: number }
  | { readonly kind: "with"; readonly level: number };

export type Expr =
  | EInt
  | EFloat
  | EString
  | EPath
  | EVar
  | ESelect
  | EOpHasAttr
  | EAttrs
  | EList
  | ELambda
  | ECall
  | ELet
  | EWith
  | EIf
  | EAssert
  | EOpNot
  | EBinary
  | EConcatStrings
  | EPos;

interface Node {
  readonly pos: Pos;
  /** Its compiled closure, set on first evaluation (compile.ts). */
  code?: Code;
}

export interface EInt extends Node {
  readonly kind: "int";
  /** Canonical NixInt (see values.ts). */
  readonly value: number | bigint;
}

export interface EFloat extends Node {
  readonly kind: "float";
  readonly value: number;
}

/** A string without interpolation (interpolated strings are EConcatStrings). */
export interface EString extends Node {
  readonly kind: "string";
  readonly value: string;
}

/**
 * A path literal without interpolation, already made absolute by the parser
 * (relative to the directory of the file; `~/` expanded from $HOME).
 * Search paths `<nixpkgs>` are desugared by the parser to
 * `__findFile __nixPath "nixpkgs"` exactly as Nix does (ECall of EVar).
 */
export interface EPath extends Node {
  readonly kind: "path";
  readonly value: string;
}

export interface EVar extends Node {
  readonly kind: "var";
  readonly name: string;
  /** Filled in by the binder. */
  resolution?: VarResolution;
}

/** `e.a.b.c` or `e.a.b or default`. */
export interface ESelect extends Node {
  readonly kind: "select";
  readonly expr: Expr;
  readonly path: readonly AttrName[];
  readonly default?: Expr;
}

/** `e ? a.b.c` */
export interface EOpHasAttr extends Node {
  readonly kind: "hasAttr";
  readonly expr: Expr;
  readonly path: readonly AttrName[];
}

/** How an attribute's value is obtained. */
export interface AttrDef {
  readonly expr: Expr;
  readonly pos: Pos;
  /**
   * "plain": `a = e;`
   * "inherited": `inherit a;` (expr is an EVar resolved in the *enclosing* scope, even in `rec`)
   * "inheritedFrom": `inherit (src) a;` (expr is ESelect of the source expression)
   */
  readonly kind: "plain" | "inherited" | "inheritedFrom";
  /** Slot index in the rec/let environment (filled in by the binder for rec attrs and let). */
  displ?: number;
}

export interface DynamicAttrDef {
  readonly nameExpr: Expr;
  readonly valueExpr: Expr;
  readonly pos: Pos;
}

/**
 * `{ ... }` or `rec { ... }`. Nested paths `a.b.c = 1;` are merged by the parser
 * into nested EAttrs the way Nix merges them (and "attribute already defined"
 * is a parse error with both positions).
 * `attrs` keeps insertion order of first definition; evaluation sorts by name.
 */
export interface EAttrs extends Node {
  readonly kind: "attrs";
  readonly rec: boolean;
  readonly attrs: Map<string, AttrDef>;
  readonly dynamicAttrs: DynamicAttrDef[];
  /**
   * Expressions of `inherit (e) ...` clauses, evaluated once per attrset
   * instantiation, in Nix ≥ 2.20 style. `inheritedFrom` defs select from
   * `EInheritFrom` variables referring to these. May stay empty if the
   * parser desugars `inherit (e) a` to `a = e.a` semantics directly.
   */
  readonly inheritFromExprs?: Expr[];
  /** Set by the evaluator on first use: what every set made by this literal shares. */
  literal?: { readonly shape: AttrShape; readonly defs: readonly AttrDef[]; readonly posSources: readonly PosSource[] };
}

export interface EList extends Node {
  readonly kind: "list";
  readonly elems: Expr[];
}

export interface Formal {
  readonly name: string;
  readonly default?: Expr;
  readonly pos: Pos;
}

/**
 * `x: body`, `{ a, b ? 1, ... }: body`, `args@{ a }: body`, `{ a }@args: body`.
 * Environment layout for the body (set by the binder, as in Nix):
 * slot 0 = `arg` when present, then the formals in sorted-by-name order.
 */
export interface ELambda extends Node {
  readonly kind: "lambda";
  /** Name bound to the whole argument (`x:` or the `@` name); undefined if none. */
  readonly arg?: string;
  /** Present for the `{ ... }:` form. Sorted by name by the parser. */
  readonly formals?: { readonly entries: Formal[]; readonly ellipsis: boolean };
  readonly body: Expr;
  /** Set when the lambda is bound to a name, for error messages and traces: `let f = x: ...`. */
  name?: string;
}

/** Function application, with consecutive applications flattened: `f a b` → call(f, [a, b]). */
export interface ECall extends Node {
  readonly kind: "call";
  readonly fn: Expr;
  readonly args: Expr[];
  /** Set on first use by EvalCore.maybeThunk: how to compute it ahead (compile.ts speculationOf), null if never. */
  spec?: Speculation | null;
}

/** `let ... in body`. Bindings are in `attrs` (never rec-flagged, always recursive). */
export interface ELet extends Node {
  readonly kind: "let";
  readonly attrs: EAttrs;
  readonly body: Expr;
}

export interface EWith extends Node {
  readonly kind: "with";
  readonly attrs: Expr;
  readonly body: Expr;
  /** Distance (in envs) to the next enclosing `with` env, or undefined; set by the binder. */
  prevWith?: number;
}

export interface EIf extends Node {
  readonly kind: "if";
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
}

export interface EAssert extends Node {
  readonly kind: "assert";
  readonly cond: Expr;
  readonly body: Expr;
}

export interface EOpNot extends Node {
  readonly kind: "not";
  readonly expr: Expr;
}

/**
 * Binary operators that Nix keeps as their own nodes. Arithmetic and
 * comparison operators (`+` aside) are desugared by the parser, as Nix does:
 * `a - b` → `__sub a b`, `a * b` → `__mul a b`, `a / b` → `__div a b`,
 * `a < b` → `__lessThan a b`, `a > b` → `__lessThan b a`,
 * `a <= b` → `!(__lessThan b a)`, `a >= b` → `!(__lessThan a b)`,
 * `-a` → `__sub 0 a`. `a + b` is EConcatStrings with forceString=false.
 */
export interface EBinary extends Node {
  readonly kind: "binary";
  readonly op: "==" | "!=" | "&&" | "||" | "->" | "//" | "++";
  readonly left: Expr;
  readonly right: Expr;
}

/**
 * String interpolation `"a${b}c"`, indented strings with interpolation,
 * interpolated paths, and `a + b` (forceString=false: the first operand decides
 * whether the result is a path, string, int or float).
 */
export interface EConcatStrings extends Node {
  readonly kind: "concatStrings";
  readonly forceString: boolean;
  readonly parts: Expr[];
  /** Where each part starts, as Nix reports it in errors: an operand's first token, an interpolation's `${`. */
  readonly partPos?: Pos[];
}

/** `__curPos` */
export interface EPos extends Node {
  readonly kind: "curPos";
}
