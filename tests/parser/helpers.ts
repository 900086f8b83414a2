import type { Expr } from "../../src/evaluator/ast.js";
import { bind } from "../../src/evaluator/bind.js";
import { parse, type ParseOptions } from "../../src/evaluator/parser.js";
import { parseOnlyGlobalNames } from "../../src/evaluator/parseOnlyGlobals.js";
import { printAst } from "../../src/evaluator/printAst.js";

export const TEST_FILE = "/work/t.nix";

/** Parses and binds like `nix-instantiate --parse`, with a file in /work. */
export function parseBound(text: string, options: ParseOptions = {}, globals: readonly string[] = parseOnlyGlobalNames): Expr {
  const e = parse({ file: TEST_FILE, text }, { home: "/home/u", ...options });
  bind(e, globals, text);
  return e;
}

/** The `--parse` output of `text` (variables a..z are in scope). */
export function printed(text: string): string {
  return printAst(parseBound(text, {}, [...parseOnlyGlobalNames, ..."abcdefghijklmnopqrstuvwxyz"]));
}

/** The full error text (as Nix prints it) of parsing + binding `text`, or "" if it succeeds. */
export function errorOf(text: string, file = "«stdin»"): string {
  try {
    const e = parse({ file, text }, { basePath: "/work", home: "/home/u" });
    bind(e, parseOnlyGlobalNames, text);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every node of an expression, in source-ish order (iterative). */
export function allNodes(root: Expr): Expr[] {
  const out: Expr[] = [];
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    out.push(e);
    const kids: (Expr | undefined)[] = [];
    switch (e.kind) {
      case "select":
        kids.push(e.expr, e.default, ...e.path.map((a) => a.expr));
        break;
      case "hasAttr":
        kids.push(e.expr, ...e.path.map((a) => a.expr));
        break;
      case "attrs":
        kids.push(...(e.inheritFromExprs ?? []), ...[...e.attrs.values()].map((d) => d.expr));
        for (const d of e.dynamicAttrs) kids.push(d.nameExpr, d.valueExpr);
        break;
      case "list":
        kids.push(...e.elems);
        break;
      case "lambda":
        kids.push(...(e.formals?.entries.map((f) => f.default) ?? []), e.body);
        break;
      case "call":
        kids.push(e.fn, ...e.args);
        break;
      case "let":
        kids.push(e.attrs, e.body);
        break;
      case "with":
        kids.push(e.attrs, e.body);
        break;
      case "if":
        kids.push(e.cond, e.then, e.else);
        break;
      case "assert":
        kids.push(e.cond, e.body);
        break;
      case "not":
        kids.push(e.expr);
        break;
      case "binary":
        kids.push(e.left, e.right);
        break;
      case "concatStrings":
        kids.push(...e.parts);
        break;
      default:
        break;
    }
    for (let i = kids.length - 1; i >= 0; i--) if (kids[i]) stack.push(kids[i]!);
  }
  return out;
}
