/**
 * Source text → bound expression, ready to evaluate in a base environment.
 * The text is a byte string (values.ts): the parser then yields byte strings
 * for literals, names and paths, and columns count bytes, as in Nix.
 */
import type { Expr } from "./ast.js";
import { bind } from "./bind.js";
import { type ParseOptions, parse } from "./parser.js";

export interface ParsedSource {
  readonly expr: Expr;
}

export function parseNixSource(
  text: string,
  file: string,
  baseDir: string,
  baseNames: readonly string[],
  options: Omit<ParseOptions, "basePath"> = {},
): ParsedSource {
  const expr = parse({ file, text }, { ...options, basePath: baseDir });
  bind(expr, baseNames, text);
  return { expr };
}
