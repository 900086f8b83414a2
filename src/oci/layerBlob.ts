/**
 * Turns a stream of tar entries into a layer blob on disk in one pass:
 * tar → sha256 (diff_id) → compressor → sha256 (digest) → temp file, renamed
 * to `<blobDir>/sha256/<hex>` when complete. gzip runs on libuv's thread pool
 * (node:zlib async), zstd in a child process, so building several layers at
 * once uses several cores while this thread only writes headers and hashes.
 */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { compressStream } from "./compression.js";
import { layerTarStream, type TarOptions } from "./layerTar.js";
import { Digester, layerMediaType, parseDigest, type Compression, type Digest } from "./spec.js";
import type { TarEntry } from "./tarEntries.js";
import { commitTemp, discardTemp, tempPathFor } from "./tempFiles.js";

export interface LayerBlobOptions extends TarOptions {
  compression?: Compression;
  /** Compression level (gzip 1-9, zstd 1-19). */
  level?: number;
}

export interface LayerInfo {
  /** OCI media type of the blob; converted for Docker manifests by newImage. */
  mediaType: string;
  digest: Digest;
  diffId: Digest;
  size: number;
}

/** A pass-through that hashes what flows by. */
export class DigestingStream extends Transform {
  readonly digester = new Digester();
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    cb(null, chunk);
  }
}

export function blobFile(blobDir: string, digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(blobDir, algorithm, hex);
}

/** Writes the layer of `entries` into `blobDir` (a `blobs` directory) and returns its identity. */
export async function writeLayerBlob(
  entries: AsyncIterable<TarEntry>,
  blobDir: string,
  opts: LayerBlobOptions = {},
): Promise<LayerInfo> {
  const compression = opts.compression ?? "gzip";
  const dir = join(blobDir, "sha256");
  await mkdir(dir, { recursive: true });
  // Name unknown until hashed: write to a temp name in the same directory, then rename.
  const tmp = tempPathFor(join(dir, "layer"));
  try {
    const diff = new DigestingStream();
    const blob = new DigestingStream();
    await pipeline(layerTarStream(entries, opts), diff, compressStream(compression, { level: opts.level }), blob, createWriteStream(tmp));
    const digest = blob.digester.digest();
    await commitTemp(tmp, blobFile(blobDir, digest));
    return { mediaType: layerMediaType(compression), digest, diffId: diff.digester.digest(), size: blob.digester.size };
  } catch (err) {
    await discardTemp(tmp);
    throw err;
  }
}
