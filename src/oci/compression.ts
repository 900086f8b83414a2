/**
 * Streaming (de)compression of layer blobs. gzip uses node:zlib; zstd uses
 * the `zstd` command (Node 20's zlib has no zstd; the CLI streams, is in
 * Debian, and its output for a level is stable). Our gzip output is deterministic: node:zlib writes a
 * fixed 10-byte header (no name, mtime 0, OS byte 0x03), so equal input and
 * level give equal bytes.
 */
import { Duplex, PassThrough, type Transform } from "node:stream";
import { NixociError } from "../errors.js";
import type { Compression } from "./spec.js";

export class CompressionError extends NixociError {}

// Loaded on first use: a no-op push reads images but never (de)compresses.
const zlib = () => process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
const childProcess = () => process.getBuiltinModule("node:child_process") as typeof import("node:child_process");

export interface CompressOptions {
  /** gzip 1-9 (default 6, like go-containerregistry), zstd 1-19 (default 3). */
  level?: number;
}

export function compressStream(compression: Compression, opts: CompressOptions = {}): Duplex | Transform {
  switch (compression) {
    case "none":
      return new PassThrough();
    case "gzip":
      return zlib().createGzip({ level: opts.level ?? 6, memLevel: 9, chunkSize: 64 * 1024 });
    case "zstd":
      // -T1: single-threaded, so the output does not depend on the machine's core count.
      return zstdProcess(["-c", "-q", `-${opts.level ?? 3}`, "-T1"]);
  }
}

export function decompressStream(compression: Compression): Duplex | Transform {
  switch (compression) {
    case "none":
      return new PassThrough();
    case "gzip":
      // Layers may be concatenated gzip members; zlib handles that by default.
      return zlib().createGunzip({ finishFlush: zlib().constants.Z_SYNC_FLUSH });
    case "zstd":
      return zstdProcess(["-d", "-c", "-q"]);
  }
}

function zstdProcess(args: string[]): Duplex {
  const child = childProcess().spawn("zstd", args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on("error", (err) => duplex.destroy(new CompressionError(`cannot run zstd: ${err.message}`, { cause: err })));
  child.on("close", (code) => {
    if (code !== 0 && code !== null) duplex.destroy(new CompressionError(`zstd exited with ${code}: ${stderr.trim()}`));
  });
  // If the consumer gives up early, do not leave the process behind.
  duplex.on("close", () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}
