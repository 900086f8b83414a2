/**
 * Evaluation errors printed like current Nix: "error:" block with the
 * position and a code excerpt; with --show-trace the trace frames
 * ("… while evaluating the attribute 'x'") come first, outermost first.
 */
import type { Pos } from "../ast.js";
import { EvalError } from "../evalError.js";
import { formatCodeExcerpt, indentError, showPos } from "../parseErrors.js";

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

export function formatEvalError(err: EvalError, sources: ReadonlyMap<string, string>, showTrace: boolean): string {
  if (!showTrace || err.frames.length === 0) return indentError("error: ", located(err.message, err.pos, sources));
  const parts: string[] = [];
  for (const f of [...err.frames].reverse()) {
    parts.push(
      located(`… ${f.message}`, f.pos, sources)
        .split("\n")
        .map((l, i) => (i === 0 ? l : `  ${l}`))
        .join("\n"),
    );
  }
  parts.push(`error: ${located(err.message, err.pos, sources)}`);
  return indentError("error:", "\n" + parts.join("\n\n")).replace(/^error:\n/, "error:\n");
}
