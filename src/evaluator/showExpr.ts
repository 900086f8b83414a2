/** Expressions as Nix shows them in messages (assertions): the `--parse` printer. */
import type { Expr } from "./ast.js";
import { printAst } from "./printAst.js";

export function printExpr(e: Expr): string {
  return printAst(e);
}
