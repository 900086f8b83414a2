/**
 * Per-derivation build logs, where Nix keeps them (`<log>/drvs/xx/rest`,
 * plain: Nix 2.8's `nix log` reads both plain and .bz2), streamed live with
 * `-L` as `name> line` like `nix build -L`.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from "node:fs";
import { basename, dirname, join } from "node:path";

export function buildLogPath(logDir: string, drvPath: string): string {
  const base = basename(drvPath);
  return join(logDir, "drvs", base.slice(0, 2), base.slice(2));
}

/** The stored log of a derivation, or undefined. */
export function readBuildLog(logDir: string, drvPath: string): string | undefined {
  const p = buildLogPath(logDir, drvPath);
  return existsSync(p) ? readFileSync(p, "utf8") : undefined;
}

/** Collects a builder's output: to the log file, optionally live, and keeps the last lines for errors. */
export class BuildLogSink {
  private readonly file: WriteStream;
  private partial = "";
  private readonly tail: string[] = [];
  private readonly closed: Promise<void>;

  constructor(
    logDir: string,
    drvPath: string,
    private readonly live: ((line: string) => void) | undefined,
    private readonly tailLines = 10,
  ) {
    const path = buildLogPath(logDir, drvPath);
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path);
    this.closed = new Promise((resolve) => this.file.on("close", () => resolve()));
  }

  write(chunk: Buffer | string): void {
    this.file.write(chunk);
    const text = this.partial + chunk.toString();
    const lines = text.split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > this.tailLines) this.tail.shift();
    this.live?.(line);
  }

  async close(): Promise<void> {
    if (this.partial !== "") this.line(this.partial);
    this.partial = "";
    this.file.end();
    await this.closed;
  }

  lastLines(): string[] {
    return [...this.tail];
  }
}
