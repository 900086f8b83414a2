import type { Pos, Source } from "./ast.js";

/**
 * Turns offsets into a source text into Nix positions. Lines end at "\n",
 * "\r\n" or a lone "\r" (as Nix counts them); columns count characters from 1.
 * Nix counts bytes: pass the text as a byte string (one char per byte, e.g.
 * `buffer.toString("latin1")`), as the evaluator does, to get Nix's columns.
 */
export class PosTable {
  private lineStarts: number[] | undefined;

  constructor(readonly source: Source) {}

  private starts(): number[] {
    if (this.lineStarts) return this.lineStarts;
    const text = this.source.text;
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      } else if (c === 10) {
        starts.push(i + 1);
      }
    }
    this.lineStarts = starts;
    return starts;
  }

  /** The position of the character at `offset` (UTF-16 index into the text). */
  at(offset: number): Pos {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = starts[lo]!;
    return { file: this.source.file, line: lo + 1, column: offset - lineStart + 1 };
  }
}

/** Splits a source into lines the way Nix's error excerpts do (\n, \r\n and \r all end a line). */
export function sourceLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}
