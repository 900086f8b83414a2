/**
 * Evaluation errors printed like current Nix: "error:" block with the
 * position and a code excerpt; with --show-trace the trace frames
 * ("… while evaluating the attribute 'x'") come first, outermost first.
 */
import type { Pos } from "../ast.js";
import { EvalError } from "../evalError.js";
import { formatCodeExcerpt, indentError, showPos } from "../parseErrors.js";
import { toBytes } from "../values.js";

function located(message: string, pos: Pos | undefined, sources: ReadonlyMap<string, string>): string {
  let body = message;
  if (pos && pos.line > 0) {
    body += `\nat ${showPos(pos)}:`;
    const text = sources.get(pos.file);
    if (text !== undefined) {
      const ex = formatCodeExcerpt(pos, text);
      if (ex) body += `\n${ex}`;
    }
  }
  return body;
}

const ELLIPSIS = toBytes("…");

export function formatEvalError(err: EvalError, sources: ReadonlyMap<string, string>, showTrace: boolean): string {
  if (!showTrace || err.frames.length === 0) return indentError("error: ", located(err.message, err.pos, sources));
  const pad = " ".repeat(7);
  const blocks: string[] = [];
  for (const f of [...err.frames].reverse()) {
    const lines = located(`${ELLIPSIS} ${f.message}`, f.pos, sources).split("\n");
    // Nix indents a frame's "at" line two more than the error's; the code excerpt lines alike.
    blocks.push(lines.map((l, i) => (i === 1 ? pad + "  " + l : pad + l).replace(/\s+$/, "")).join("\n"));
  }
  const last = located(err.message, err.pos, sources).split("\n");
  blocks.push(last.map((l, i) => (i === 0 ? `${pad}error: ${l}` : pad + l).replace(/\s+$/, "")).join("\n"));
  return `error:\n${blocks.join("\n\n")}`;
}
