/**
 * Source text → bound expression, ready to evaluate in a base environment.
 * The parser yields JS (UTF-16) strings; when the source is not pure ASCII,
 * every string in the tree is converted to a byte string (see values.ts).
 */
import type { AttrName, Expr } from "./ast.js";
import { bind } from "./bind.js";
import { parse } from "./parser.js";
import { toBytes } from "./values.js";

export interface ParsedSource {
  readonly expr: Expr;
}

export function parseNixSource(text: string, file: string, baseDir: string, baseNames: readonly string[]): ParsedSource {
  const expr = parse({ file, text }, { basePath: baseDir });
  if (/[^\x00-\x7f]/.test(text)) toByteStrings(expr);
  bind(expr, baseNames, text);
  return { expr };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function convertPath(path: readonly AttrName[]): void {
  for (const a of path) {
    if (a.name !== undefined) (a as Mutable<typeof a>).name = toBytes(a.name);
    else toByteStrings(a.expr);
  }
}

/** Rewrites the tree's strings, names and paths as byte strings, in place. */
function toByteStrings(e: Expr): void {
  switch (e.kind) {
    case "string":
    case "path":
      (e as Mutable<typeof e>).value = toBytes(e.value);
      return;
    case "var":
      (e as Mutable<typeof e>).name = toBytes(e.name);
      return;
    case "select":
      toByteStrings(e.expr);
      convertPath(e.path);
      if (e.default) toByteStrings(e.default);
      return;
    case "hasAttr":
      toByteStrings(e.expr);
      convertPath(e.path);
      return;
    case "attrs": {
      const entries = [...e.attrs];
      e.attrs.clear();
      for (const [k, d] of entries) {
        toByteStrings(d.expr);
        e.attrs.set(toBytes(k), d);
      }
      for (const d of e.dynamicAttrs) {
        toByteStrings(d.nameExpr);
        toByteStrings(d.valueExpr);
      }
      for (const x of e.inheritFromExprs ?? []) toByteStrings(x);
      return;
    }
    case "list":
      e.elems.forEach(toByteStrings);
      return;
    case "lambda":
      if (e.arg !== undefined) (e as Mutable<typeof e>).arg = toBytes(e.arg);
      for (const f of e.formals?.entries ?? []) {
        (f as Mutable<typeof f>).name = toBytes(f.name);
        if (f.default) toByteStrings(f.default);
      }
      toByteStrings(e.body);
      return;
    case "call":
      toByteStrings(e.fn);
      e.args.forEach(toByteStrings);
      return;
    case "let":
      toByteStrings(e.attrs);
      toByteStrings(e.body);
      return;
    case "with":
      toByteStrings(e.attrs);
      toByteStrings(e.body);
      return;
    case "if":
      toByteStrings(e.cond);
      toByteStrings(e.then);
      toByteStrings(e.else);
      return;
    case "assert":
      toByteStrings(e.cond);
      toByteStrings(e.body);
      return;
    case "not":
      toByteStrings(e.expr);
      return;
    case "binary":
      toByteStrings(e.left);
      toByteStrings(e.right);
      return;
    case "concatStrings":
      e.parts.forEach(toByteStrings);
      return;
    default:
      return;
  }
}
