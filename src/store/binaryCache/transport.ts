/**
 * How a binary cache's files are read and written: a local directory
 * (file://) or an HTTP server (GET/HEAD/PUT). Paths are relative to the
 * cache root (`nix-cache-info`, `<hash>.narinfo`, `nar/<filehash>.nar.xz`).
 */
import type { Readable } from "node:stream";

export interface CacheTransport {
  /** The cache URL without parameters, for messages. */
  readonly uri: string;
  /** The file as a stream, or undefined if the cache does not have it. */
  get(path: string): Promise<Readable | undefined>;
  exists(path: string): Promise<boolean>;
  /** Write small contents (narinfo, nix-cache-info). */
  putBytes(path: string, data: Buffer, contentType: string): Promise<void>;
  /**
   * A local directory for staging a file before {@link putFile}: in the
   * cache itself for file:// (so publishing is a rename), else a temp dir.
   */
  stagingDir(): Promise<string>;
  /** Publish a staged local file (consumed: moved or deleted). */
  putFile(path: string, localFile: string, contentType: string): Promise<void>;
  close(): void;
}

export async function readAllText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
