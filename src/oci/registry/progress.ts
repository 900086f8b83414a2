/**
 * Per-blob progress: redrawn bars on a TTY, one plain line per finished blob
 * otherwise (logs and CI), nothing when silent.
 */
import type { Writable } from "node:stream";

export type BlobOutcome = "pushed" | "skipped" | "mounted" | "pulled";

export interface ProgressReporter {
  start(digest: string, size: number): void;
  update(digest: string, bytes: number): void;
  done(digest: string, outcome: BlobOutcome, detail?: string): void;
  finish(): void;
}

export const silentProgress: ProgressReporter = { start() {}, update() {}, done() {}, finish() {} };

function short(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export class LineProgress implements ProgressReporter {
  constructor(private readonly out: Writable) {}
  start(): void {}
  update(): void {}
  done(digest: string, outcome: BlobOutcome, detail?: string): void {
    this.out.write(`${outcome} ${digest}${detail ? ` (${detail})` : ""}\n`);
  }
  finish(): void {}
}

interface Bar {
  size: number;
  bytes: number;
  state: string;
}

export class TtyProgress implements ProgressReporter {
  private readonly bars = new Map<string, Bar>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: Writable & { columns?: number }) {}

  start(digest: string, size: number): void {
    this.bars.set(digest, { size, bytes: 0, state: "" });
    this.schedule();
  }
  update(digest: string, bytes: number): void {
    const bar = this.bars.get(digest);
    if (bar) bar.bytes = bytes;
    this.schedule();
  }
  done(digest: string, outcome: BlobOutcome): void {
    const bar = this.bars.get(digest);
    if (bar) {
      bar.state = outcome;
      bar.bytes = bar.size;
    }
    this.schedule();
  }
  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private schedule(): void {
    // Redraw at most 10 times a second.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  private draw(): void {
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const [digest, bar] of this.bars) {
      const frac = bar.size > 0 ? Math.min(1, bar.bytes / bar.size) : 1;
      const filled = Math.round(frac * width);
      const status = bar.state || `${humanBytes(bar.bytes)} / ${humanBytes(bar.size)}`;
      text += `\x1b[2K${short(digest)} [${"=".repeat(filled)}${" ".repeat(width - filled)}] ${status}\n`;
    }
    this.drawn = this.bars.size;
    this.out.write(text);
  }
}

/** Bars on a terminal, lines elsewhere. */
export function progressFor(out: Writable & { isTTY?: boolean }): ProgressReporter {
  return out.isTTY ? new TtyProgress(out) : new LineProgress(out);
}
