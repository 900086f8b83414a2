/**
 * Source text → bound expression, ready to evaluate in a base environment.
 * The text is a byte string (values.ts): the parser then yields byte strings
 * for literals, names and paths, and columns count bytes, as in Nix.
 */
import type { Expr } from "./ast.js";
import { bind } from "./bind.js";
import { parse } from "./parser.js";

export interface ParsedSource {
  readonly expr: Expr;
}

export function parseNixSource(
  text: string,
  file: string,
  baseDir: string,
  baseNames: readonly string[],
  options: { home?: string } = {},
): ParsedSource {
  const expr = parse({ file, text }, { basePath: baseDir, home: options.home });
  bind(expr, baseNames, text);
  return { expr };
}
