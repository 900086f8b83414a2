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
import { EvalError, type TraceFrame } from "../evalError.js";
import { formatCodeExcerpt, indentError, showPos } from "../parseErrors.js";
import { showSuggestions } from "../suggestions.js";
import { toBytes } from "../values.js";

const ELLIPSIS = toBytes("…");
const PAD = " ".repeat(7);

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
function messageLines(err: EvalError, sources: ReadonlyMap<string, string>): string[] {
  const lines = [...err.message.split("\n"), ...location(err.pos, sources)];
  if (err.suggestions !== undefined && err.suggestions.length > 0) lines.push(`Did you mean ${showSuggestions(err.suggestions)}?`);
  return lines;
}

export function formatEvalError(err: EvalError, sources: ReadonlyMap<string, string>, showTrace: boolean): string {
  const frames = [...err.frames].reverse().filter((f) => f.message !== "");
  if (frames.length === 0) return indentError("error: ", messageLines(err, sources).join("\n"));

  const blocks: string[] = [];
  let count = 0;
  const print = (f: TraceFrame): void => {
    // The frame's "at" line sits under its message, two further in; the excerpt does not.
    const at = location(f.pos, sources).map((l, i) => (i === 0 ? `${PAD}  ${l}` : PAD + l));
    const [first, ...more] = f.message.split("\n");
    blocks.push([`${PAD}${ELLIPSIS} ${first}`, ...more.map((l) => PAD + l), ...at].map((l) => l.replace(/\s+$/, "")).join("\n"));
    if (hasPos(f)) count++;
  };
  // Never emptied: Nix means to forget the frames seen after each fold, but empties a copy.
  const seen = new Set<string>();
  let skipped: TraceFrame[] = [];
  const flushSkipped = (): void => {
    if (skipped.length > 5) blocks.push(`${PAD}(${skipped.length} duplicate frames omitted)`);
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
  if (truncated) blocks.push(`${PAD}(stack trace truncated; use '--show-trace' to show the full, detailed trace)`);
  const last = messageLines(err, sources);
  blocks.push(last.map((l, i) => (i === 0 ? `${PAD}error: ${l}` : PAD + l).replace(/\s+$/, "")).join("\n"));
  return `error:\n${blocks.join("\n\n")}`;
}
