/**
 * Download one path's NAR from a cache into a temp object in the store,
 * verifying while streaming: FileSize/FileHash on the compressed bytes,
 * NarSize/NarHash on the decompressed NAR (hashed by the parser as it
 * unpacks). Memory stays bounded by the stream buffers.
 */
import { Transform } from "node:stream";
import { HashSink, hashEquals, printHash, unpackNar, type Hash, type NarInfo } from "../format/index.js";
import { NarParseError } from "../format/errors.js";
import { deletePath } from "../canonicalise.js";
import type { BinaryCache } from "./binaryCache.js";
import { CompressionError, decompress, parseCompression, type Compression } from "./compression.js";
import { contentMatchesAddress } from "./contentAddress.js";
import { BinaryCacheError, CacheIntegrityError } from "./errors.js";

function mismatch(what: string, info: NarInfo, cache: BinaryCache, specified: string, got: string): CacheIntegrityError {
  return new CacheIntegrityError(
    `${what} mismatch in path '${info.storePath}' substituted from '${cache.uri}';\n  specified: ${specified}\n  got:       ${got}`,
    cache.uri,
    info.storePath,
  );
}

/** Pipe and socket reads come in 16-64 KiB pieces; unpacking writes each one, so merge them first. */
const COALESCE_BYTES = 1 << 20;

function coalesce(min: number): Transform {
  let parts: Buffer[] = [];
  let size = 0;
  return new Transform({
    highWaterMark: min,
    transform(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      size += chunk.length;
      if (size < min) return done();
      const merged = Buffer.concat(parts, size);
      parts = [];
      size = 0;
      done(null, merged);
    },
    flush(done) {
      done(null, size > 0 ? Buffer.concat(parts, size) : undefined);
    },
  });
}

const showHash = (h: Hash) => printHash(h, "nix32", true);

/**
 * Unpack `info`'s NAR into `dest` (a temp path; removed again on any failure).
 * Returns only when every size and hash the narinfo states has been checked.
 */
export async function fetchNarInto(cache: BinaryCache, info: NarInfo, dest: string): Promise<void> {
  let compression: Compression;
  try {
    compression = parseCompression(info.compression);
  } catch (err) {
    throw new BinaryCacheError(
      `cannot substitute path '${info.storePath}' from '${cache.uri}': ${(err as Error).message}`,
      cache.uri,
      info.storePath,
      { cause: err },
    );
  }
  const compressed = await cache.fetchNar(info);
  const fileSink = new HashSink(info.fileHash?.algo ?? "sha256");
  const counting = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, done) {
      fileSink.update(chunk);
      done(null, chunk);
    },
  });
  compressed.on("error", (err) => counting.destroy(err));
  compressed.pipe(counting);
  const decompressed = decompress(compression, counting);
  const nar = coalesce(COALESCE_BYTES);
  decompressed.on("error", (err) => nar.destroy(err));
  decompressed.pipe(nar);
  try {
    let result: { hash: Hash; size: number };
    try {
      result = await unpackNar(nar, dest, { algo: info.narHash.algo });
    } catch (err) {
      if (err instanceof NarParseError || err instanceof CompressionError)
        throw new CacheIntegrityError(
          `cannot substitute path '${info.storePath}' from '${cache.uri}': corrupt NAR '${info.url}': ${err.message}`,
          cache.uri,
          info.storePath,
          { cause: err },
        );
      if (err instanceof BinaryCacheError) throw err;
      throw new BinaryCacheError(
        `cannot substitute path '${info.storePath}' from '${cache.uri}': ${(err as Error).message}`,
        cache.uri,
        info.storePath,
        { cause: err },
      );
    }
    const file = fileSink.finish();
    if (info.fileSize !== undefined && file.size !== info.fileSize)
      throw mismatch("file size", info, cache, String(info.fileSize), String(file.size));
    if (info.fileHash && !hashEquals(file.hash, info.fileHash)) throw mismatch("file hash", info, cache, showHash(info.fileHash), showHash(file.hash));
    if (result.size !== info.narSize) throw mismatch("NAR size", info, cache, String(info.narSize), String(result.size));
    if (!hashEquals(result.hash, info.narHash)) throw mismatch("NAR hash", info, cache, showHash(info.narHash), showHash(result.hash));
    if (info.ca && !contentMatchesAddress(dest, info.ca, result.hash))
      throw new CacheIntegrityError(
        `path '${info.storePath}' substituted from '${cache.uri}' does not have its content address '${info.ca}'`,
        cache.uri,
        info.storePath,
      );
  } catch (err) {
    // Stop the download and the decompressor, and leave no partial object behind.
    nar.destroy();
    decompressed.destroy();
    counting.destroy();
    compressed.destroy();
    deletePath(dest);
    throw err;
  }
}
