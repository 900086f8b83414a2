/**
 * Evaluation errors printed like current Nix (libutil error.cc showErrorInfo): the trace frames
 * ("… while evaluating the attribute 'x'") first, outermost first, then "error: <message>" with
 * its position and a code excerpt. Without --show-trace Nix still prints the first frames, since
 * most messages carry no position of their own: it stops once four have been printed (a frame
 * with a position counts twice) and says the trace was truncated. A frame seen before is held
 * back; a run of more than five such is printed as "(N duplicate frames omitted)", and a frame
 * stays seen for the rest of the trace.
 */
import type { Pos } from "../ast.js";
import type { ErrorInfo, TraceFrame } from "../evalError.js";
import { formatCodeExcerpt, indentError, showPos } from "../parseErrors.js";
import { showSuggestions } from "../suggestions.js";
import { toBytes } from "../values.js";

const ELLIPSIS = toBytes("…");

/** "at «pos»:" and the code excerpt, as lines; none without a position. */
function location(pos: Pos | undefined, sources: ReadonlyMap<string, string>): string[] {
  if (!pos || pos.line <= 0) return [];
  const lines = [`at ${showPos(pos)}:`];
  const text = sources.get(pos.file);
  if (text !== undefined) {
    const ex = formatCodeExcerpt(pos, text);
    if (ex) lines.push(...ex.split("\n"));
  }
  return lines;
}

const hasPos = (f: TraceFrame) => f.pos !== undefined && f.pos.line > 0;
const frameKey = (f: TraceFrame) => `${hasPos(f) ? showPos(f.pos!) : ""}\0${f.message}`;

/** The message, its position, and Nix's "Did you mean …?" line. */
function messageLines(err: ErrorInfo, sources: ReadonlyMap<string, string>): string[] {
  const lines = [...err.message.split("\n"), ...location(err.pos, sources)];
  if (err.suggestions !== undefined && err.suggestions.length > 0) lines.push(`Did you mean ${showSuggestions(err.suggestions)}?`);
  return lines;
}

/** `level`: "error", or "warning" for a warning with a position and frames; the text is indented under it. */
export function formatEvalError(err: ErrorInfo, sources: ReadonlyMap<string, string>, showTrace: boolean, level = "error"): string {
  const frames = [...err.frames].reverse().filter((f) => f.message !== "");
  if (frames.length === 0) return indentError(`${level}: `, messageLines(err, sources).join("\n"));
  const pad = " ".repeat(level.length + 2);

  const blocks: string[] = [];
  let count = 0;
  const print = (f: TraceFrame): void => {
    // The frame's "at" line sits under its message, two further in; the excerpt does not.
    const at = location(f.pos, sources).map((l, i) => (i === 0 ? `${pad}  ${l}` : pad + l));
    const [first, ...more] = f.message.split("\n");
    blocks.push([`${pad}${ELLIPSIS} ${first}`, ...more.map((l) => pad + l), ...at].map((l) => l.replace(/\s+$/, "")).join("\n"));
    if (hasPos(f)) count++;
  };
  // Never emptied: Nix means to forget the frames seen after each fold, but empties a copy.
  const seen = new Set<string>();
  let skipped: TraceFrame[] = [];
  const flushSkipped = (): void => {
    if (skipped.length > 5) blocks.push(`${pad}(${skipped.length} duplicate frames omitted)`);
    else skipped.forEach(print);
    skipped = [];
  };
  let truncated = false;
  for (const f of frames) {
    if (!showTrace && count > 3) truncated = true;
    if (truncated && f.always !== true) continue;
    const key = frameKey(f);
    if (seen.has(key)) {
      skipped.push(f);
      continue;
    }
    seen.add(key);
    flushSkipped();
    // A frame printed in its turn counts once more than a held-back one printed late.
    count++;
    print(f);
  }
  flushSkipped();
  if (truncated) blocks.push(`${pad}(stack trace truncated; use '--show-trace' to show the full, detailed trace)`);
  const last = messageLines(err, sources);
  blocks.push(last.map((l, i) => (i === 0 ? `${pad}${level}: ${l}` : pad + l).replace(/\s+$/, "")).join("\n"));
  return `${level}:\n${blocks.join("\n\n")}`;
}
