/**
 * Prints an expression the way current Nix's `nix-instantiate --parse` does
 * (the Expr::show methods of nixexpr.cc): fully parenthesised, attributes
 * sorted by name, operators desugared as the parser left them.
 */
import type { AttrName, EAttrs, Expr } from "./ast.js";

const RESERVED = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit"]);

/** A string literal with Nix's escapes (`"`, `\`, newline, CR, tab, and `${`). */
export function printLiteralString(s: string): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = "\\\\";
    else if (c === 10) esc = "\\n";
    else if (c === 13) esc = "\\r";
    else if (c === 9) esc = "\\t";
    else if (c === 36 && s.charCodeAt(i + 1) === 123) esc = "\\$";
    if (esc !== undefined) {
      out += s.slice(run, i) + esc;
      run = i + 1;
    }
  }
  return out + s.slice(run) + '"';
}

/** An attribute name or variable: bare if it is a valid identifier, else quoted. */
export function printIdentifier(s: string): string {
  if (s === "") return '""';
  if (RESERVED.has(s)) return `"${s}"`;
  const c = s.charCodeAt(0);
  const isAlpha = (x: number) => (x >= 97 && x <= 122) || (x >= 65 && x <= 90);
  if (!(isAlpha(c) || c === 95)) return printLiteralString(s);
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    if (!(isAlpha(x) || (x >= 48 && x <= 57) || x === 95 || x === 39 || x === 45)) return printLiteralString(s);
  }
  return s;
}

/**
 * A float as C++'s `ostream << double` prints it (printf "%g", 6 significant
 * digits): `1.5`, `1e+10`, `1.23457e+08`, `inf`.
 */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  let [mant, expStr] = x.toExponential(5).split("e") as [string, string];
  const exp = Number(expStr);
  // JS rounds exact ties away from zero, printf to even: fix the last digit.
  const digits = Number(mant.replace("-", "").replace(".", ""));
  if (digits % 2 === 1 && isExactTie(Math.abs(x), digits, exp)) {
    const even = String(digits - 1);
    mant = `${x < 0 ? "-" : ""}${even[0]}.${even.slice(1)}`;
    x = Number(`${mant}e${exp}`);
  }
  const strip = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= 6) {
    return `${strip(mant)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return strip(x.toFixed(5 - exp));
}

/** Whether |x| is exactly halfway below `digits`×10^(exp-5), i.e. x×10^(5-exp) = digits - 0.5. */
function isExactTie(x: number, digits: number, exp: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // x = m × 2^e exactly.
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  const k = 5 - exp;
  // Compare 2·m·2^e·10^k with 2·digits − 1, all in integers.
  let lhs = 2n * m;
  let rhs = 2n * BigInt(digits) - 1n;
  if (k >= 0) lhs *= 10n ** BigInt(k);
  else rhs *= 10n ** BigInt(-k);
  if (e >= 0) lhs <<= BigInt(e);
  else rhs <<= BigInt(-e);
  return lhs === rhs;
}

/** `a.b."c d".${e}` as Nix shows an attribute path in messages. */
export function showAttrPath(path: readonly AttrName[]): string {
  const out: Piece[] = [];
  attrPathPieces(path, out);
  return render(out);
}

/** The `--parse` text of an expression (without the final newline). */
export function printAst(e: Expr): string {
  return render([e]);
}

/** Output is built from pieces: text, or an expression still to be shown. */
type Piece = string | Expr;

/** Expands expressions with an explicit stack, so deep nesting cannot overflow the JS stack. */
function render(pieces: Piece[]): string {
  const out: string[] = [];
  const stack: Piece[] = pieces.reverse();
  const tmp: Piece[] = [];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (typeof p === "string") {
      out.push(p);
      continue;
    }
    tmp.length = 0;
    show(p, tmp);
    for (let i = tmp.length - 1; i >= 0; i--) stack.push(tmp[i]!);
  }
  return out.join("");
}

function attrPathPieces(path: readonly AttrName[], out: Piece[]): void {
  path.forEach((a, i) => {
    if (i > 0) out.push(".");
    if (a.name !== undefined) out.push(printIdentifier(a.name));
    else out.push('"${', a.expr, '}"');
  });
}

function showBindings(attrs: EAttrs, out: Piece[]): void {
  const sorted = [...attrs.attrs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const inherits: string[] = [];
  // Grouped by the source expression, in the order the `inherit (…)` clauses were written.
  const from = attrs.inheritFromExprs ?? [];
  const inheritsFrom = new Map<number, string[]>();
  for (const [name, def] of sorted) {
    if (def.kind === "inherited") inherits.push(name);
    else if (def.kind === "inheritedFrom" && def.expr.kind === "select") {
      const idx = from.indexOf(def.expr.expr);
      let names = inheritsFrom.get(idx);
      if (!names) inheritsFrom.set(idx, (names = []));
      names.push(name);
    }
  }
  if (inherits.length > 0) out.push(`inherit ${inherits.map(printIdentifier).join(" ")}; `);
  for (const idx of [...inheritsFrom.keys()].sort((a, b) => a - b)) {
    out.push("inherit (");
    const src = from[idx];
    if (src) out.push(src);
    out.push(`) ${inheritsFrom.get(idx)!.map(printIdentifier).join(" ")}; `);
  }
  for (const [name, def] of sorted) {
    if (def.kind !== "plain") continue;
    out.push(`${printIdentifier(name)} = `, def.expr, "; ");
  }
  for (const d of attrs.dynamicAttrs) out.push('"${', d.nameExpr, '}" = ', d.valueExpr, "; ");
}

/** One level of Expr::show: text for this node, children left as expressions. */
function show(e: Expr, out: Piece[]): void {
  switch (e.kind) {
    case "int":
      out.push(e.value.toString());
      return;
    case "float":
      out.push(formatFloat(e.value));
      return;
    case "string":
      out.push(printLiteralString(e.value));
      return;
    case "path":
      out.push(e.value);
      return;
    case "var":
      out.push(printIdentifier(e.name));
      return;
    case "curPos":
      out.push("__curPos");
      return;
    case "select":
      out.push("(", e.expr, ").");
      attrPathPieces(e.path, out);
      if (e.default) out.push(" or (", e.default, ")");
      return;
    case "hasAttr":
      out.push("((", e.expr, ") ? ");
      attrPathPieces(e.path, out);
      out.push(")");
      return;
    case "attrs":
      out.push(e.rec ? "rec { " : "{ ");
      showBindings(e, out);
      out.push("}");
      return;
    case "list":
      out.push("[ ");
      for (const x of e.elems) out.push("(", x, ") ");
      out.push("]");
      return;
    case "lambda": {
      out.push("(");
      if (e.formals) {
        out.push("{ ");
        let first = true;
        const sorted = [...e.formals.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const f of sorted) {
          if (!first) out.push(", ");
          first = false;
          out.push(printIdentifier(f.name));
          if (f.default) out.push(" ? ", f.default);
        }
        if (e.formals.ellipsis) out.push(first ? "..." : ", ...");
        out.push(" }");
        if (e.arg !== undefined) out.push(" @ ");
      }
      if (e.arg !== undefined) out.push(printIdentifier(e.arg));
      out.push(": ", e.body, ")");
      return;
    }
    case "call":
      out.push("(", e.fn);
      for (const a of e.args) out.push(" ", a);
      out.push(")");
      return;
    case "let":
      out.push("(let ");
      showBindings(e.attrs, out);
      out.push("in ", e.body, ")");
      return;
    case "with":
      out.push("(with ", e.attrs, "; ", e.body, ")");
      return;
    case "if":
      out.push("(if ", e.cond, " then ", e.then, " else ", e.else, ")");
      return;
    case "assert":
      out.push("assert ", e.cond, "; ", e.body);
      return;
    case "not":
      out.push("(! ", e.expr, ")");
      return;
    case "binary":
      out.push("(", e.left, ` ${e.op} `, e.right, ")");
      return;
    case "concatStrings":
      out.push("(");
      e.parts.forEach((p, i) => {
        if (i > 0) out.push(" + ");
        out.push(p);
      });
      out.push(")");
      return;
  }
}
