/**
 * NAR (de)compression as streams, through the xz / zstd / bzip2 command-line
 * tools (fast native code, constant memory) or node:zlib for gzip.
 * Compressing with the same presets as Nix 2.8's libraries gives the same
 * bytes: liblzma preset 6 with CRC64 = `xz -6 -T1`, BZ2 block size 9 =
 * `bzip2 -9`. libarchive's zstd level 3 without checksum is `zstd -3 --no-check`
 * for small NARs; for multi-MB ones libarchive's block feeding gives frames a
 * few bytes different (equally valid, same NAR when decompressed).
 */
import { spawn } from "node:child_process";
import { PassThrough, type Readable } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import { CacheConfigError } from "./errors.js";

export type Compression = "none" | "xz" | "bzip2" | "zstd" | "gzip";
export const COMPRESSIONS: readonly Compression[] = ["none", "xz", "bzip2", "zstd", "gzip"];

/** The NAR file suffix Nix uses for a compression method (BinaryCacheStore::addToStoreCommon). */
export function narFileSuffix(method: Compression): string {
  return { none: "", xz: ".xz", bzip2: ".bz2", zstd: ".zst", gzip: "" }[method];
}

export function parseCompression(s: string): Compression {
  // Nix reads an empty Compression field as no compression.
  if (s === "") return "none";
  if ((COMPRESSIONS as readonly string[]).includes(s)) return s as Compression;
  throw new CacheConfigError(`unknown compression method '${s}'`);
}

/** Raised on the output stream when the (de)compressor fails. */
export class CompressionError extends Error {}

function throughProcess(cmd: string, args: string[], source: Readable, what: string): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  let finished = false;
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString("utf8");
  });
  const fail = (err: Error) => {
    if (finished) return;
    finished = true;
    if (child.exitCode === null) child.kill("SIGKILL");
    source.unpipe(child.stdin);
    source.destroy();
    out.destroy(err);
  };
  child.on("error", (err) => fail(new CompressionError(`cannot run '${cmd}' to ${what}: ${err.message}`)));
  // The child may exit early on bad input: its exit status is the error that matters.
  child.stdin.on("error", () => {});
  source.on("error", (err) => fail(err));
  source.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on("close", (code, signal) => {
    if (finished) return;
    if (code === 0) {
      finished = true;
      out.end();
    } else fail(new CompressionError(`${what} failed (${cmd} ${signal ? `killed by ${signal}` : `exit ${code}`}): ${stderr.trim()}`));
  });
  // The consumer went away (e.g. a verification error): stop the child.
  out.on("close", () => {
    if (!finished) fail(new CompressionError(`${what} aborted`));
  });
  return out;
}

function pipeZlib(source: Readable, t: PassThrough): Readable {
  source.on("error", (err) => t.destroy(err));
  return source.pipe(t);
}

export function decompress(method: Compression, source: Readable): Readable {
  switch (method) {
    case "none":
      return source;
    case "xz":
      return throughProcess("xz", ["-dc", "-T1"], source, "xz decompression");
    case "bzip2":
      return throughProcess("bzip2", ["-dc"], source, "bzip2 decompression");
    case "zstd":
      return throughProcess("zstd", ["-dcq", "--long=31"], source, "zstd decompression");
    case "gzip":
      return pipeZlib(source, createGunzip());
  }
}

export interface CompressOptions {
  /** Nix's compression-level (-1 = the method's default). */
  level?: number;
  /** Nix's parallel-compression (xz and zstd). */
  parallel?: boolean;
}

export function compress(method: Compression, source: Readable, options: CompressOptions = {}): Readable {
  const level = options.level !== undefined && options.level >= 0 ? options.level : undefined;
  switch (method) {
    case "none":
      return source;
    case "xz":
      return throughProcess("xz", ["-c", `-${level ?? 6}`, "--check=crc64", options.parallel ? "-T0" : "-T1"], source, "xz compression");
    case "bzip2":
      return throughProcess("bzip2", ["-c", `-${level ?? 9}`], source, "bzip2 compression");
    case "zstd":
      return throughProcess(
        "zstd",
        ["-cq", "--no-check", `-${level ?? 3}`, ...(options.parallel ? ["-T0"] : [])],
        source,
        "zstd compression",
      );
    case "gzip":
      return pipeZlib(source, createGzip());
  }
}
