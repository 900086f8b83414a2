import type { Pos, Source } from "./ast.js";

/**
 * Turns offsets into a source text into Nix positions. Lines end at "\n",
 * "\r\n" or a lone "\r" (as Nix counts them), columns count UTF-8 bytes from 1,
 * because Nix positions are byte offsets.
 */
export class PosTable {
  private lineStarts: number[] | undefined;
  private readonly ascii: boolean;

  constructor(readonly source: Source) {
    // eslint-disable-next-line no-control-regex
    this.ascii = !/[^\x00-\x7f]/.test(source.text);
  }

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
    const column = this.ascii ? offset - lineStart + 1 : utf8Length(this.source.text, lineStart, offset) + 1;
    return { file: this.source.file, line: lo + 1, column };
  }
}

function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Splits a source into lines the way Nix's error excerpts do (\n, \r\n and \r all end a line). */
export function sourceLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}
