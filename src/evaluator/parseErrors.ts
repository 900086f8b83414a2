import { NixociError } from "../errors.js";
import type { Pos } from "./ast.js";
import { sourceLines } from "./positions.js";

/**
 * A syntax or static error in a Nix expression, reported like Nix does:
 * `message` is the bare text (e.g. "syntax error, unexpected '}'"), `pos`
 * where it happened, and `format()` the full "error: … at «file»:l:c:" block.
 */
export class ParseError extends NixociError {
  constructor(
    readonly bareMessage: string,
    readonly pos: Pos | undefined,
    /** Source text of the file `pos` points into, for the code excerpt. */
    readonly sourceText?: string,
  ) {
    super(formatError(bareMessage, pos, sourceText));
  }
}

/** `undefined variable 'x'`: found by the binder, which Nix runs as part of parsing. */
export class UndefinedVariableError extends ParseError {
  constructor(
    readonly variable: string,
    pos: Pos,
    sourceText?: string,
  ) {
    super(`undefined variable '${variable}'`, pos, sourceText);
  }
}

/** "«stdin»:3:5" as Nix prints a position. */
export function showPos(pos: Pos): string {
  return pos.column > 0 ? `${pos.file}:${pos.line}:${pos.column}` : `${pos.file}:${pos.line}`;
}

/**
 * The lines Nix prints under "at file:line:col:": the previous line, the line
 * with a caret under the column, and the next line, numbered in a 5-wide
 * column. Returns "" when the line is not in the text.
 */
export function formatCodeExcerpt(pos: Pos, sourceText: string): string {
  if (pos.line <= 0) return "";
  const lines = sourceLines(sourceText);
  // A text ending in a newline has no further line in Nix's view... except
  // that Nix's line iterator does yield one empty line after a final newline.
  const idx = pos.line - 1;
  if (idx >= lines.length) return "";
  const num = (n: number) => String(n).padStart(5, " ");
  const out: string[] = [];
  if (idx > 0) out.push(` ${num(pos.line - 1)}| ${lines[idx - 1]}`);
  out.push(` ${num(pos.line)}| ${lines[idx]}`);
  if (pos.column > 0) out.push(`      |${" ".repeat(pos.column)}^`);
  if (idx + 1 < lines.length) out.push(` ${num(pos.line + 1)}| ${lines[idx + 1]}`);
  return out.join("\n");
}

/**
 * "error: <message>" followed by the position and code excerpt, every line
 * after the first indented by 7 spaces and right-trimmed, as Nix prints errors.
 */
export function formatError(
  message: string,
  pos: Pos | undefined,
  sourceText?: string,
  prefix: "error: " | "warning: " = "error: ",
): string {
  let body = message;
  if (pos && pos.line > 0) {
    body += `\nat ${showPos(pos)}:`;
    if (sourceText !== undefined) {
      const excerpt = formatCodeExcerpt(pos, sourceText);
      if (excerpt) body += `\n${excerpt}\n`;
    }
  }
  return indentError(prefix, body);
}

/** Indents every line after the first by the width of `prefix` and trims trailing whitespace, like Nix. */
export function indentError(prefix: string, body: string): string {
  const pad = " ".repeat(prefix.length);
  const trimmed = body.replace(/\s+$/, "");
  return trimmed
    .split("\n")
    .map((line, i) => ((i === 0 ? prefix : pad) + line).replace(/\s+$/, ""))
    .join("\n");
}
