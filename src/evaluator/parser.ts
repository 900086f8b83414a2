/**
 * The Nix parser: an LALR(1) driver over the tables that bison computes from
 * Nix's grammar (see scripts/gen-parser-tables.mjs), with the semantic actions
 * of Nix's parser.y written here. Being table-driven it uses no recursion, and
 * its syntax errors are bison's, as Nix prints them.
 */
import { dirname, isAbsolute } from "node:path";
import type {
  AttrDef,
  AttrName,
  DynamicAttrDef,
  EAttrs,
  ECall,
  ELambda,
  EString,
  Expr,
  Formal,
  Pos,
  Source,
} from "./ast.js";
import { Lexer, type StringToken } from "./lexer.js";
import { ParseError, formatError, showPos } from "./parseErrors.js";
import { parserTables as P, ruleActions, symbolNames, T } from "./parserTables.js";
import { PosTable } from "./positions.js";
import { mkInt } from "./values.js";
import { printIdentifier, showAttrPath } from "./printAst.js";

export interface ParseOptions {
  /** Directory that relative path literals are resolved against. Default: the file's directory, or the cwd. */
  readonly basePath?: string;
  /** $HOME for `~/…` paths. Default: process.env.HOME. */
  readonly home?: string;
  /** `~/…` paths are an error in pure evaluation mode. */
  readonly pureEval?: boolean;
  /** Enables the experimental `|>` and `<|` operators. */
  readonly pipeOperators?: boolean;
  /** Nix's lint settings (--lint-url-literals etc.); default "ignore". */
  readonly lintUrlLiterals?: LintLevel;
  readonly lintAbsolutePathLiterals?: LintLevel;
  readonly lintShortPathLiterals?: LintLevel;
  /**
   * Receives each parse-time warning as Nix prints it ("warning: …", lint
   * warnings and the "cursed or" deprecation). Default: written to stderr.
   */
  readonly onWarning?: (text: string) => void;
  /**
   * Receives each name where Nix's grammar actions intern one (symbols.ts), in the same order.
   * Gathered rather than called back: a call per identifier is costly while V8 still interprets.
   */
  readonly symbols?: string[];
}

export type LintLevel = "ignore" | "warn" | "fatal";

/**
 * Parses a Nix expression. Throws ParseError (with Nix's message and position)
 * on any syntax error. The result is unbound: run `bind` on it before evaluating.
 * Give the text as a byte string (one char per byte) for Nix's byte columns
 * and byte-string literals.
 */
export function parse(source: Source, options: ParseOptions = {}): Expr {
  const parser = new Parser(source, options);
  try {
    return parser.run() as Expr;
  } catch (e) {
    if (e instanceof RangeError) {
      throw new ParseError("expression is nested too deeply", undefined);
    }
    throw e;
  }
}

/** Like `parse`, but for the REPL's bindings form (`a = 1; b = 2;`). */
export function parseReplBindings(source: Source, options: ParseOptions = {}): EAttrs {
  return new Parser(source, options).run(true) as EAttrs;
}

// Mutable views of AST nodes while the parser builds them.
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MAttrs = Mutable<EAttrs> & { inheritFromExprs?: Expr[] };

interface IndPart {
  readonly pos: Pos;
  readonly token?: StringToken;
  readonly expr?: Expr;
}
interface InheritName {
  readonly name: string;
  readonly pos: Pos;
}
interface FormalBuilder {
  readonly name: string;
  readonly default?: Expr;
  readonly pos: Pos;
  readonly offset: number;
}
interface FormalSet {
  readonly formals: FormalBuilder[];
  readonly ellipsis: boolean;
}

/** One grammar action: reads the right-hand side at values[b..], returns the left-hand side's value. */
type Action = (p: Parser, b: number, lhsStart: number, lhsEnd: number) => unknown;

class Parser {
  private readonly lexer: Lexer;
  private readonly posTable: PosTable;
  private readonly basePath: string;
  // Parser stacks (state, semantic value, start and end offsets), top at index `sp`.
  // They only grow: popping moves `sp`, which is much cheaper than resizing arrays.
  private states: number[] = [0];
  values: unknown[] = [undefined];
  starts: number[] = [0];
  private ends: number[] = [0];
  private sp = 0;
  result: unknown;
  /** The `${` of each interpolated expression. */
  readonly dollarPos = new WeakMap<Expr, Pos>();
  /** ParseOptions.symbols, or a list nobody reads. */
  readonly symbols: string[];

  /** The positions of interpolation parts: a string's own, an expression's `${`. */
  interpPos(parts: readonly Expr[]): Pos[] {
    return parts.map((e) => this.dollarPos.get(e) ?? e.pos);
  }

  constructor(
    readonly source: Source,
    readonly options: ParseOptions,
  ) {
    this.posTable = new PosTable(source);
    this.lexer = new Lexer(source.text, (o) => this.posTable.at(o), options);
    this.basePath =
      options.basePath ?? (isAbsolute(source.file) ? dirname(source.file) : process.cwd());
    this.symbols = options.symbols ?? [];
  }

  pos(offset: number): Pos {
    return this.posTable.at(offset);
  }

  error(message: string, pos: Pos | undefined): never {
    throw new ParseError(message, pos, this.source.text);
  }

  private warn(text: string): void {
    if (this.options.onWarning) this.options.onWarning(text);
    else process.stderr.write(Buffer.from(`${text}\n`, "latin1"));
  }

  /** Nix's `diagnose`: a lint that is ignored, warned about, or fatal, with the setting name appended. */
  lint(setting: "lint-url-literals" | "lint-absolute-path-literals" | "lint-short-path-literals", pos: Pos, message: (fatal: boolean) => string): void {
    const level =
      setting === "lint-url-literals"
        ? this.options.lintUrlLiterals
        : setting === "lint-absolute-path-literals"
          ? this.options.lintAbsolutePathLiterals
          : this.options.lintShortPathLiterals;
    if (!level || level === "ignore") return;
    const text = `${message(level === "fatal")} (${setting})`;
    if (level === "fatal") this.error(text, pos);
    this.warn(formatError(text, pos, this.source.text, "warning: "));
  }

  /** `f or` calls made by the `expr_simple OR_KW` rule, with the offsets of their text. */
  private readonly cursedOr = new Map<Expr, { start: number; end: number }>();

  markCursedOr(call: Expr, start: number, end: number): void {
    this.cursedOr.set(call, { start, end });
  }

  resetCursedOr(e: Expr): void {
    this.cursedOr.delete(e);
  }

  /** Warns about an `or` used as an identifier whose meaning will change (Nix PR 11121). */
  warnIfCursedOr(e: Expr): void {
    const span = this.cursedOr.get(e);
    if (!span) return;
    const snippet = this.source.text.slice(span.start, span.end).replace(/\r\n|\r/g, "\n");
    this.warn(
      `warning: at ${showPos(e.pos)}: This expression uses \`or\` as an identifier in a way that will change in a future Nix release.\n` +
        `Wrap this entire expression in parentheses to preserve its current meaning:\n    (${snippet})\n` +
        "Give feedback at https://github.com/NixOS/nix/pull/11121",
    );
  }

  private push(state: number, value: unknown, start: number, end: number): void {
    const sp = ++this.sp;
    this.states[sp] = state;
    this.values[sp] = value;
    this.starts[sp] = start;
    this.ends[sp] = end;
  }

  run(replBindings = false): unknown {
    const lexer = this.lexer;
    const { pact, check, table, defact } = P;
    let token = replBindings ? T.REPL_BINDINGS : -1;
    let tokValue: unknown;
    let tokStart = 0;
    let tokEnd = 0;
    for (;;) {
      const state = this.states[this.sp]!;
      if (state === P.final) return this.result;
      let n = pact[state]!;
      if (n !== P.pactNinf) {
        if (token < 0) {
          token = lexer.next();
          tokValue = lexer.value;
          tokStart = lexer.tokStart;
          tokEnd = lexer.tokEnd;
        }
        n += token;
        if (n >= 0 && n <= P.last && check[n] === token) {
          n = table[n]!;
          if (n > 0) {
            this.push(n, tokValue, tokStart, tokEnd);
            token = -1;
            continue;
          }
          if (n === P.tableNinf) this.syntaxError(state, token, tokStart, tokEnd);
          this.reduce(-n);
          continue;
        }
      }
      const rule = defact[state]!;
      if (rule === 0) {
        if (token < 0) {
          token = lexer.next();
          tokStart = lexer.tokStart;
          tokEnd = lexer.tokEnd;
        }
        this.syntaxError(state, token, tokStart, tokEnd);
      }
      this.reduce(rule);
    }
  }

  private reduce(rule: number): void {
    const len = P.r2[rule]!;
    const top = this.sp;
    const b = top - len + 1;
    const lhsStart = len > 0 ? this.starts[b]! : this.ends[top]!;
    const lhsEnd = this.ends[top]!;
    const value = actions[rule]!(this, b, lhsStart, lhsEnd);
    this.sp = b - 1;
    const lhs = P.r1[rule]! - P.ntokens;
    const prev = this.states[b - 1]!;
    const i = P.pgoto[lhs]! + prev;
    const next = i >= 0 && i <= P.last && P.check[i] === prev ? P.table[i]! : P.defgoto[lhs]!;
    this.push(next, value, lhsStart, lhsEnd);
  }

  /** bison's "detailed" syntax error: the unexpected token and up to four expected ones. */
  private syntaxError(state: number, token: number, start: number, end: number): never {
    const expected: string[] = [];
    const n = P.pact[state]!;
    if (n !== P.pactNinf) {
      const begin = n < 0 ? -n : 0;
      const end2 = Math.min(P.last - n + 1, P.ntokens);
      for (let x = begin; x < end2; x++) {
        if (P.check[x + n] === x && x !== 1 && P.table[x + n] !== P.tableNinf) {
          // More than four expected tokens: bison lists none.
          if (expected.length === 4) {
            expected.length = 0;
            break;
          }
          expected.push(symbolNames[x]!);
        }
      }
    }
    let message = `syntax error, unexpected ${symbolNames[token]}`;
    if (expected.length > 0) message += `, expecting ${expected.join(" or ")}`;
    const offset = token === T.EOF ? end : start;
    this.error(message, this.pos(offset));
  }

  // ---- helpers used by the actions ----

  makeCall(pos: Pos, fn: Expr, arg: Expr): Expr {
    if (fn.kind === "call") {
      fn.args.push(arg);
      return fn;
    }
    return { kind: "call", pos, fn, args: [arg] };
  }

  builtinCall(pos: Pos, name: string, args: Expr[]): ECall {
    return { kind: "call", pos, fn: { kind: "var", pos, name }, args };
  }

  newAttrs(pos: Pos): MAttrs {
    return { kind: "attrs", pos, rec: false, attrs: new Map(), dynamicAttrs: [] };
  }

  dupAttr(path: readonly AttrName[], pos: Pos, prevPos: Pos): never {
    this.error(`attribute '${showAttrPath(path)}' already defined at ${showPos(prevPos)}`, pos);
  }

  /** Nix's ParserState::addAttr: `a.b.c = e;`, creating or extending nested attribute sets. */
  addAttr(attrs: MAttrs, attrPath: AttrName[], pos: Pos, e: Expr): void {
    let i = 0;
    for (; i + 1 < attrPath.length; i++) {
      const name = attrPath[i]!;
      let nested: MAttrs;
      if (name.name !== undefined) {
        const j = attrs.attrs.get(name.name);
        if (j) {
          if (j.expr.kind !== "attrs") this.dupAttr(attrPath.slice(0, i + 1), pos, j.pos);
          nested = j.expr as MAttrs;
        } else {
          nested = this.newAttrs(pos);
          attrs.attrs.set(name.name, { expr: nested, pos, kind: "plain" });
        }
      } else {
        nested = this.newAttrs(pos);
        attrs.dynamicAttrs.push({ nameExpr: name.expr, valueExpr: nested, pos });
      }
      attrs = nested;
    }
    const last = attrPath[i]!;
    if (last.name !== undefined) this.addAttrDef(attrs, attrPath, last.name, { expr: e, pos, kind: "plain" });
    else attrs.dynamicAttrs.push({ nameExpr: last.expr, valueExpr: e, pos });
  }

  /** Adds one definition; two attribute-set literals for the same name are merged (as Nix does). */
  addAttrDef(attrs: MAttrs, attrPath: AttrName[], name: string, def: AttrDef): void {
    const j = attrs.attrs.get(name);
    if (!j) {
      attrs.attrs.set(name, def);
      setLambdaName(def.expr, name);
      return;
    }
    if (def.expr.kind === "attrs" && j.expr.kind === "attrs") {
      const ae = def.expr as MAttrs;
      const jAttrs = j.expr as MAttrs;
      if (ae.inheritFromExprs && !jAttrs.inheritFromExprs) jAttrs.inheritFromExprs = [];
      for (const [n, ad] of ae.attrs) {
        attrPath.push({ name: n });
        this.addAttrDef(jAttrs, attrPath, n, ad);
        attrPath.pop();
      }
      ae.attrs.clear();
      jAttrs.dynamicAttrs.push(...ae.dynamicAttrs);
      ae.dynamicAttrs.length = 0;
      if (ae.inheritFromExprs) {
        jAttrs.inheritFromExprs!.push(...ae.inheritFromExprs);
        ae.inheritFromExprs = undefined;
      }
      return;
    }
    this.dupAttr(attrPath, def.pos, j.pos);
  }

  /** Sorts formals by name and rejects duplicates (also the `@` name among them), like Nix's validateFormals. */
  validateFormals(fs: FormalSet, pos?: Pos, arg?: string): { entries: Formal[]; ellipsis: boolean } {
    const sorted = [...fs.formals].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.offset - b.offset,
    );
    for (let i = 0; i + 1 < sorted.length; i++) {
      if (sorted[i]!.name === sorted[i + 1]!.name)
        this.error(`duplicate formal function argument '${printIdentifier(sorted[i]!.name)}'`, sorted[i + 1]!.pos);
    }
    if (arg !== undefined && sorted.some((f) => f.name === arg))
      this.error(`duplicate formal function argument '${printIdentifier(arg)}'`, pos);
    const entries: Formal[] = sorted.map((f) =>
      f.default === undefined ? { name: f.name, pos: f.pos } : { name: f.name, default: f.default, pos: f.pos },
    );
    return { entries, ellipsis: fs.ellipsis };
  }

  /** Path literal: absolute, canonicalised; a trailing slash (before `${`) is kept. */
  pathLiteral(pos: Pos, literal: string): Expr {
    if (literal.startsWith("/")) {
      this.lint("lint-absolute-path-literals", pos, () =>
        `absolute path literals are not portable. Consider replacing path literal '${literal}' by a string, relative path, or parameter`,
      );
    } else if (!literal.startsWith(".")) {
      this.lint("lint-short-path-literals", pos, () =>
        `relative path literal '${literal}' should be prefixed with '.' for clarity: './${literal}'`,
      );
    }
    const base = literal.startsWith("/") ? literal : `${this.basePath}/${literal}`;
    let path = canonPath(base);
    if (literal.length > 1 && literal.endsWith("/")) path += "/";
    return { kind: "path", pos, value: path };
  }

  homePath(pos: Pos, literal: string): Expr {
    if (this.options.pureEval) throw new ParseError(`the path '${literal}' can not be resolved in pure mode`, undefined);
    this.lint("lint-absolute-path-literals", pos, () =>
      `home path literals are not portable. Consider replacing path literal '${literal}' by a string, relative path, or parameter`,
    );
    const home = this.options.home ?? process.env.HOME ?? "";
    return { kind: "path", pos, value: home + literal.slice(1) };
  }

  /** Nix's stripIndentation for `''…''` strings: removes the common indentation of the literal lines. */
  stripIndentation(pos: Pos, es: IndPart[]): Expr {
    if (es.length === 0) return { kind: "string", pos, value: "" };
    let atStartOfLine = true;
    let minIndent = 1000000;
    let curIndent = 0;
    for (const part of es) {
      const tok = part.token;
      if (!tok || !tok.hasIndentation) {
        if (atStartOfLine) {
          atStartOfLine = false;
          if (curIndent < minIndent) minIndent = curIndent;
        }
        continue;
      }
      const s = tok.value;
      for (let j = 0; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (atStartOfLine) {
          if (c === 32) curIndent++;
          else if (c === 10) curIndent = 0;
          else {
            atStartOfLine = false;
            if (curIndent < minIndent) minIndent = curIndent;
          }
        } else if (c === 10) {
          atStartOfLine = true;
          curIndent = 0;
        }
      }
    }

    const es2: Expr[] = [];
    const partPos: Pos[] = [];
    atStartOfLine = true;
    let curDropped = 0;
    for (let k = 0; k < es.length; k++) {
      const part = es[k]!;
      if (part.expr) {
        atStartOfLine = false;
        curDropped = 0;
        es2.push(part.expr);
        partPos.push(part.pos);
        continue;
      }
      const s = part.token!.value;
      let s2 = "";
      let runStart = 0;
      for (let j = 0; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (atStartOfLine) {
          if (c === 32) {
            if (curDropped++ < minIndent) {
              s2 += s.slice(runStart, j);
              runStart = j + 1;
            }
          } else if (c === 10) {
            curDropped = 0;
          } else {
            atStartOfLine = false;
            curDropped = 0;
          }
        } else if (c === 10) {
          atStartOfLine = true;
        }
      }
      s2 += s.slice(runStart);
      if (k === es.length - 1) {
        // Drop the last line if it is only spaces.
        const p = s2.lastIndexOf("\n");
        if (p >= 0 && /^ *$/.test(s2.slice(p + 1))) s2 = s2.slice(0, p + 1);
      }
      if (s2 !== "") {
        es2.push({ kind: "string", pos: part.pos, value: s2 });
        partPos.push(part.pos);
      }
    }
    if (es2.length === 0) return { kind: "string", pos, value: "" };
    if (es2.length === 1 && es2[0]!.kind === "string") return es2[0]!;
    return { kind: "concatStrings", pos, forceString: true, parts: es2, partPos };
  }
}

/** Gives a lambda bound to a name (`f = x: …`) that name, and the curried lambdas in its body too. */
function setLambdaName(e: Expr, name: string): void {
  while (e.kind === "lambda") {
    e.name = name;
    e = e.body;
  }
}

/** CanonPath: absolute, no ".", "..", empty segments or trailing slash. */
export function canonPath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

// ---- semantic actions, by name; indices come from ruleActions ----

type V = unknown[];
const str = (v: V, i: number) => v[i] as string;
const expr = (v: V, i: number) => v[i] as Expr;

const byName: Record<(typeof ruleActions)[number], Action> = {
  $unused: () => undefined,
  $accept: () => undefined,
  start: (p, b) => (p.result = p.values[b]),
  startRepl: (p, b) => (p.result = p.values[b + 1]),
  pass1: (p, b) => p.values[b],
  pass2: (p, b) => p.values[b + 1],
  lambdaArg: (p, b, s) => {
    // Nix interns the argument's name only now, after the body's names.
    p.symbols.push(str(p.values, b));
    return { kind: "lambda", pos: p.pos(s), arg: str(p.values, b), body: expr(p.values, b + 2) } satisfies ELambda;
  },
  lambdaFormals: (p, b, s) => {
    const formals = p.validateFormals(p.values[b] as FormalSet);
    return { kind: "lambda", pos: p.pos(s), formals, body: expr(p.values, b + 2) } satisfies ELambda;
  },
  lambdaFormalsAt: (p, b, s) => {
    const pos = p.pos(s);
    const arg = str(p.values, b + 2);
    p.symbols.push(arg);
    const formals = p.validateFormals(p.values[b] as FormalSet, pos, arg);
    return { kind: "lambda", pos, arg, formals, body: expr(p.values, b + 4) } satisfies ELambda;
  },
  lambdaAtFormals: (p, b, s) => {
    const pos = p.pos(s);
    const arg = str(p.values, b);
    p.symbols.push(arg);
    const formals = p.validateFormals(p.values[b + 2] as FormalSet, pos, arg);
    return { kind: "lambda", pos, arg, formals, body: expr(p.values, b + 4) } satisfies ELambda;
  },
  assert: (p, b, s) => ({ kind: "assert", pos: p.pos(s), cond: expr(p.values, b + 1), body: expr(p.values, b + 3) }),
  with: (p, b, s) => ({ kind: "with", pos: p.pos(s), attrs: expr(p.values, b + 1), body: expr(p.values, b + 3) }),
  let: (p, b, s) => {
    const attrs = p.values[b + 1] as MAttrs;
    if (attrs.dynamicAttrs.length > 0) p.error("dynamic attributes not allowed in let", p.pos(s));
    return { kind: "let", pos: p.pos(s), attrs, body: expr(p.values, b + 3) };
  },
  if: (p, b, s) => ({
    kind: "if",
    pos: p.pos(s),
    cond: expr(p.values, b + 1),
    then: expr(p.values, b + 3),
    else: expr(p.values, b + 5),
  }),
  pipeFrom: (p, b) => p.makeCall(p.pos(p.starts[b + 1]!), expr(p.values, b), expr(p.values, b + 2)),
  pipeInto: (p, b) => p.makeCall(p.pos(p.starts[b + 1]!), expr(p.values, b + 2), expr(p.values, b)),
  not: (p, b) => {
    const e = expr(p.values, b + 1);
    return { kind: "not", pos: e.pos, expr: e };
  },
  negate: (p, b, s) => {
    const pos = p.pos(s);
    return p.builtinCall(pos, "__sub", [{ kind: "int", pos, value: 0 }, expr(p.values, b + 1)]);
  },
  eq: (p, b) => binary(p, b, "=="),
  neq: (p, b) => binary(p, b, "!="),
  and: (p, b) => binary(p, b, "&&"),
  or: (p, b) => binary(p, b, "||"),
  impl: (p, b) => binary(p, b, "->"),
  update: (p, b) => binary(p, b, "//"),
  concat: (p, b) => binary(p, b, "++"),
  lt: (p, b) => p.builtinCall(opPos(p, b), "__lessThan", [expr(p.values, b), expr(p.values, b + 2)]),
  gt: (p, b) => p.builtinCall(opPos(p, b), "__lessThan", [expr(p.values, b + 2), expr(p.values, b)]),
  leq: (p, b) => {
    const call = p.builtinCall(opPos(p, b), "__lessThan", [expr(p.values, b + 2), expr(p.values, b)]);
    return { kind: "not", pos: call.pos, expr: call };
  },
  geq: (p, b) => {
    const call = p.builtinCall(opPos(p, b), "__lessThan", [expr(p.values, b), expr(p.values, b + 2)]);
    return { kind: "not", pos: call.pos, expr: call };
  },
  hasAttr: (p, b) => {
    const e = expr(p.values, b);
    return { kind: "hasAttr", pos: e.pos, expr: e, path: p.values[b + 2] as AttrName[] };
  },
  plus: (p, b) => ({
    kind: "concatStrings",
    pos: opPos(p, b),
    forceString: false,
    parts: [expr(p.values, b), expr(p.values, b + 2)],
    partPos: [p.pos(p.starts[b]!), p.pos(p.starts[b + 2]!)],
  }),
  minus: (p, b) => p.builtinCall(opPos(p, b), "__sub", [expr(p.values, b), expr(p.values, b + 2)]),
  mul: (p, b) => p.builtinCall(opPos(p, b), "__mul", [expr(p.values, b), expr(p.values, b + 2)]),
  div: (p, b) => p.builtinCall(opPos(p, b), "__div", [expr(p.values, b), expr(p.values, b + 2)]),
  app: (p, b, s) => {
    p.warnIfCursedOr(expr(p.values, b + 1));
    return p.makeCall(p.pos(s), expr(p.values, b), expr(p.values, b + 1));
  },
  appSingle: (p, b) => {
    // Once an application, a cursed `or` means the same under the future grammar.
    p.resetCursedOr(expr(p.values, b));
    return p.values[b];
  },
  select: (p, b, s) => ({
    kind: "select",
    pos: p.pos(s),
    expr: expr(p.values, b),
    path: p.values[b + 2] as AttrName[],
  }),
  selectOr: (p, b, s) => {
    p.warnIfCursedOr(expr(p.values, b + 4));
    return selectOrNode(p, b, s);
  },
  cursedOr: (p, b, s, end) => {
    const pos = p.pos(s);
    const call: Expr = { kind: "call", pos, fn: expr(p.values, b), args: [{ kind: "var", pos, name: "or" }] };
    p.markCursedOr(call, s, end);
    return call;
  },
  var: (p, b, s) => {
    const name = str(p.values, b);
    const pos = p.pos(s);
    if (name === "__curPos") return { kind: "curPos", pos };
    p.symbols.push(name);
    return { kind: "var", pos, name };
  },
  int: (p, b, s) => ({ kind: "int", pos: p.pos(s), value: mkInt(p.values[b] as bigint) }),
  float: (p, b, s) => ({ kind: "float", pos: p.pos(s), value: p.values[b] as number }),
  string: (p, b, s) => {
    const e = expr(p.values, b + 1);
    return e.kind === "string" ? { kind: "string", pos: p.pos(s), value: e.value } : e;
  },
  indString: (p, b, s) => p.stripIndentation(p.pos(s), p.values[b + 1] as IndPart[]),
  pathInterpolated: (p, b, s) => ({
    kind: "concatStrings",
    pos: p.pos(s),
    forceString: false,
    parts: [expr(p.values, b), ...(p.values[b + 1] as Expr[])],
    partPos: [p.pos(s), ...p.interpPos(p.values[b + 1] as Expr[])],
  }),
  spath: (p, b, s) => {
    const pos = p.pos(s);
    const lit = str(p.values, b);
    return p.builtinCall(pos, "__findFile", [
      { kind: "var", pos, name: "__nixPath" },
      { kind: "string", pos, value: lit.slice(1, -1) },
    ]);
  },
  uri: (p, b, s) => {
    const pos = p.pos(s);
    const lit = str(p.values, b);
    p.lint("lint-url-literals", pos, (fatal) =>
      `URL literals are ${fatal ? "disallowed" : "discouraged"}. Consider using a string literal "${lit}" instead`,
    );
    return { kind: "string", pos, value: lit };
  },
  letLegacy: (p, b, s) => {
    const pos = p.pos(s);
    const attrs = p.values[b + 2] as MAttrs;
    attrs.rec = true;
    attrs.pos = pos;
    return { kind: "select", pos, expr: attrs, path: [{ name: "body" }] };
  },
  recAttrs: (p, b, s) => {
    const attrs = p.values[b + 2] as MAttrs;
    attrs.rec = true;
    attrs.pos = p.pos(s);
    return attrs;
  },
  attrs: (p, b, s) => {
    const attrs = p.values[b + 1] as MAttrs;
    attrs.pos = p.pos(s);
    return attrs;
  },
  emptyAttrs: (p, _b, s) => p.newAttrs(p.pos(s)),
  list: (p, b, s) => ({ kind: "list", pos: p.pos(s), elems: p.values[b + 1] as Expr[] }),
  strPartsStr: (p, b, s) => ({ kind: "string", pos: p.pos(s), value: (p.values[b] as StringToken).value }),
  strPartsInterpolated: (p, b, s) => ({
    kind: "concatStrings",
    pos: p.pos(s),
    forceString: true,
    parts: p.values[b] as Expr[],
    partPos: p.interpPos(p.values[b] as Expr[]),
  }),
  strPartsEmpty: (p, _b, s) => ({ kind: "string", pos: p.pos(s), value: "" }),
  // An interpolation's position is its `${` (p.interpPos).
  interpAppendStr: (p, b) => {
    const parts = p.values[b] as Expr[];
    parts.push(strToken(p, b + 1));
    return parts;
  },
  interpAppendExpr: (p, b) => {
    const parts = p.values[b] as Expr[];
    const e = expr(p.values, b + 2);
    p.dollarPos.set(e, p.pos(p.starts[b + 1]!));
    parts.push(e);
    return parts;
  },
  interpFirstExpr: (p, b) => {
    const e = expr(p.values, b + 1);
    p.dollarPos.set(e, p.pos(p.starts[b]!));
    return [e];
  },
  interpFirstStrExpr: (p, b) => {
    const e = expr(p.values, b + 2);
    p.dollarPos.set(e, p.pos(p.starts[b + 1]!));
    return [strToken(p, b), e];
  },
  path: (p, b, s) => p.pathLiteral(p.pos(s), str(p.values, b)),
  hpath: (p, b, s) => p.homePath(p.pos(s), str(p.values, b)),
  indAppendStr: (p, b) => {
    const parts = p.values[b] as IndPart[];
    parts.push({ pos: p.pos(p.starts[b + 1]!), token: p.values[b + 1] as StringToken });
    return parts;
  },
  indAppendExpr: (p, b) => {
    const parts = p.values[b] as IndPart[];
    parts.push({ pos: p.pos(p.starts[b + 1]!), expr: expr(p.values, b + 2) });
    return parts;
  },
  indEmpty: () => [],
  bindsEmpty: (p, _b, s) => p.newAttrs(p.pos(s)),
  bindAttr: (p, b) => {
    const attrs = p.values[b] as MAttrs;
    p.addAttr(attrs, p.values[b + 1] as AttrName[], p.pos(p.starts[b + 1]!), expr(p.values, b + 3));
    return attrs;
  },
  bindFirstAttr: (p, b, s) => {
    const attrs = p.newAttrs(p.pos(s));
    p.addAttr(attrs, p.values[b] as AttrName[], p.pos(p.starts[b]!), expr(p.values, b + 2));
    return attrs;
  },
  bindInherit: (p, b) => {
    const attrs = p.values[b] as MAttrs;
    for (const { name, pos } of p.values[b + 2] as InheritName[]) {
      const prev = attrs.attrs.get(name);
      if (prev) p.dupAttr([{ name }], pos, prev.pos);
      attrs.attrs.set(name, { expr: { kind: "var", pos, name }, pos, kind: "inherited" });
    }
    return attrs;
  },
  bindInheritFrom: (p, b) => {
    const attrs = p.values[b] as MAttrs;
    const from = expr(p.values, b + 3);
    (attrs.inheritFromExprs ??= []).push(from);
    for (const { name, pos } of p.values[b + 5] as InheritName[]) {
      const prev = attrs.attrs.get(name);
      if (prev) p.dupAttr([{ name }], pos, prev.pos);
      // The select shares `from` (also in inheritFromExprs) so it can be evaluated once.
      attrs.attrs.set(name, { expr: { kind: "select", pos, expr: from, path: [{ name }] }, pos, kind: "inheritedFrom" });
    }
    return attrs;
  },
  attrsAppendAttr: (p, b) => {
    const list = p.values[b] as InheritName[];
    p.symbols.push(str(p.values, b + 1));
    list.push({ name: str(p.values, b + 1), pos: p.pos(p.starts[b + 1]!) });
    return list;
  },
  attrsAppendStringAttr: (p, b) => {
    const list = p.values[b] as InheritName[];
    const e = expr(p.values, b + 1);
    const pos = p.pos(p.starts[b + 1]!);
    if (e.kind === "string") {
      p.symbols.push(e.value);
      list.push({ name: e.value, pos });
    } else p.error("dynamic attributes not allowed in inherit", pos);
    return list;
  },
  attrsEmpty: () => [],
  attrpathAppendAttr: (p, b) => {
    const path = p.values[b] as AttrName[];
    p.symbols.push(str(p.values, b + 2));
    path.push({ name: str(p.values, b + 2) });
    return path;
  },
  attrpathAppendStringAttr: (p, b) => {
    const path = p.values[b] as AttrName[];
    path.push(attrNameOf(p, expr(p.values, b + 2)));
    return path;
  },
  attrpathAttr: (p, b) => {
    p.symbols.push(str(p.values, b));
    return [{ name: str(p.values, b) }];
  },
  attrpathStringAttr: (p, b) => [attrNameOf(p, expr(p.values, b))],
  orKwAttr: () => "or",
  stringAttrExpr: (p, b) => p.values[b + 1],
  listAppend: (p, b) => {
    p.warnIfCursedOr(expr(p.values, b + 1));
    const list = p.values[b] as Expr[];
    list.push(expr(p.values, b + 1));
    return list;
  },
  listEmpty: () => [],
  formalSetEllipsis: (p, b) => ({ formals: p.values[b + 1] as FormalBuilder[], ellipsis: true }),
  formalSetOnlyEllipsis: () => ({ formals: [], ellipsis: true }),
  formalSetTrailingComma: (p, b) => ({ formals: p.values[b + 1] as FormalBuilder[], ellipsis: false }),
  formalSet: (p, b) => ({ formals: p.values[b + 1] as FormalBuilder[], ellipsis: false }),
  formalSetEmpty: () => ({ formals: [], ellipsis: false }),
  formalsAppend: (p, b) => {
    const list = p.values[b] as FormalBuilder[];
    list.push(p.values[b + 2] as FormalBuilder);
    return list;
  },
  formalsFirst: (p, b) => [p.values[b] as FormalBuilder],
  formal: (p, b, s) => {
    p.symbols.push(str(p.values, b));
    return { name: str(p.values, b), pos: p.pos(s), offset: s } satisfies FormalBuilder;
  },
  formalDefault: (p, b, s) => {
    p.symbols.push(str(p.values, b));
    return { name: str(p.values, b), default: expr(p.values, b + 2), pos: p.pos(s), offset: s } satisfies FormalBuilder;
  },
};

function selectOrNode(p: Parser, b: number, s: number): Expr {
  return {
    kind: "select",
    pos: p.pos(s),
    expr: expr(p.values, b),
    path: p.values[b + 2] as AttrName[],
    default: expr(p.values, b + 4),
  };
}

function opPos(p: Parser, b: number): Pos {
  return p.pos(p.starts[b + 1]!);
}

function binary(p: Parser, b: number, op: "==" | "!=" | "&&" | "||" | "->" | "//" | "++"): Expr {
  return { kind: "binary", pos: opPos(p, b), op, left: expr(p.values, b), right: expr(p.values, b + 2) };
}

function strToken(p: Parser, i: number): EString {
  return { kind: "string", pos: p.pos(p.starts[i]!), value: (p.values[i] as StringToken).value };
}

/** `"name"` and `${"name"}` are static attribute names (interned now); anything else is dynamic. */
function attrNameOf(p: Parser, e: Expr): AttrName {
  if (e.kind !== "string") return { expr: e };
  p.symbols.push(e.value);
  return { name: e.value };
}

const actions: Action[] = ruleActions.map((name) => byName[name]);

export type { DynamicAttrDef };
