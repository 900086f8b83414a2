/**
 * Uploading one blob. Small blobs go monolithic (POST, then PUT with the
 * bytes and `?digest=`). Blobs larger than the chunk size go in PATCHes with
 * Content-Range (at least OCI-Chunk-Min-Length); when a PATCH fails (dropped
 * connection, 5xx) we ask the upload's status (GET → `Range: 0-N`) and resume
 * from byte N+1 instead of starting over. Everything streams from the source.
 */
import { Readable, Transform } from "node:stream";
import type { Digest } from "../spec.js";
import { RegistryError } from "./errors.js";
import { isTransientNetError } from "./http.js";
import type { Repository, UploadSession } from "./repository.js";
import { isRetryableStatus, parseRetryAfter } from "./retry.js";

export interface BlobSource {
  readonly digest: Digest;
  readonly size: number;
  /** Opens the blob from its first byte; called again to restart or resume. */
  open(): Readable;
}

export interface UploadOptions {
  /** Bytes per PATCH; blobs up to this size are uploaded in one PUT (default 64 MiB). */
  readonly chunkSize?: number;
  /** An upload already started (e.g. by a declined mount). */
  readonly session?: UploadSession;
  /** Bytes of this blob the registry has confirmed so far. */
  readonly onProgress?: (bytes: number) => void;
}

export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;

/** Reads a source strictly in order and hands out consecutive byte ranges as streams. */
class SequentialSource {
  private iterator: AsyncIterator<Buffer> | undefined;
  private stream: Readable | undefined;
  private leftover: Buffer | undefined;
  /** Bytes handed out (or skipped) so far. */
  position = 0;

  constructor(private readonly blob: BlobSource) {}

  /** Restart from the beginning of the blob and skip to `offset` (after a failure). */
  private async reopen(offset: number): Promise<void> {
    this.stream?.destroy();
    this.stream = this.blob.open();
    this.iterator = (this.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    this.leftover = undefined;
    this.position = 0;
    while (this.position < offset) {
      const next = await this.next(offset - this.position);
      if (!next) throw new Error(`blob ${this.blob.digest} ended at ${this.position} bytes, before ${offset}`);
      this.position += next.length;
    }
  }

  private async next(max: number): Promise<Buffer | undefined> {
    let chunk = this.leftover;
    this.leftover = undefined;
    if (!chunk) {
      const r = await this.iterator!.next();
      if (r.done) return undefined;
      chunk = r.value;
    }
    if (chunk.length > max) {
      this.leftover = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    }
    return chunk;
  }

  /** A stream of bytes [offset, offset+length); reopens the source if we are elsewhere. */
  range(offset: number, length: number): Readable {
    const self = this;
    async function* gen(): AsyncGenerator<Buffer> {
      if (!self.iterator || self.position !== offset) await self.reopen(offset);
      let remaining = length;
      while (remaining > 0) {
        const chunk = await self.next(remaining);
        if (!chunk) throw new Error(`blob ${self.blob.digest} is shorter than its declared ${self.blob.size} bytes`);
        remaining -= chunk.length;
        self.position += chunk.length;
        yield chunk;
      }
    }
    return Readable.from(gen(), { objectMode: false });
  }

  close(): void {
    this.stream?.destroy();
  }
}

function withDigest(location: URL, digest: Digest): URL {
  const u = new URL(location);
  u.searchParams.set("digest", digest);
  return u;
}

export async function uploadBlob(repo: Repository, blob: BlobSource, opts: UploadOptions = {}): Promise<void> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let session = opts.session;
  const policy = repo.client.retry;
  for (let attempt = 1; ; attempt++) {
    session ??= await repo.startUpload();
    const chunk = Math.max(chunkSize, session.minChunk ?? 0);
    try {
      if (blob.size <= chunk) await putMonolithic(repo, session, blob, opts.onProgress);
      else await patchChunks(repo, session, blob, chunk, opts.onProgress);
      opts.onProgress?.(blob.size);
      return;
    } catch (err) {
      if (!isRetryable(err) || !policy.canRetry(attempt)) throw asRegistryError(err, repo, blob);
      await policy.backoff(attempt, (err as RetryableUploadError).retryAfterMs);
      // The connection may have dropped after the registry committed the blob.
      if ((await repo.blobSize(blob.digest)) !== undefined) return;
      // A failed session is abandoned (the registry garbage-collects it); start a new one.
      session = undefined;
    }
  }
}

/** The stream with a byte counter, for progress bars. */
function counted(stream: Readable, onBytes: ((n: number) => void) | undefined, start = 0): Readable {
  if (!onBytes) return stream;
  let n = start;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
  stream.on("error", (e) => counter.destroy(e));
  counter.on("close", () => stream.destroy());
  return stream.pipe(counter);
}

async function putMonolithic(
  repo: Repository,
  session: UploadSession,
  blob: BlobSource,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<void> {
  const res = await repo.client.request({
    method: "PUT",
    url: withDigest(session.location, blob.digest),
    headers: { "Content-Type": "application/octet-stream" },
    body: () => counted(blob.open(), onProgress),
    contentLength: blob.size,
    scopes: repo.scopes,
    ok: [201, 204],
    what: `uploading blob ${blob.digest}`,
    repository: repo.name,
    retry: false,
  }).catch(rethrowResponse);
  await res.discard();
}

async function patchChunks(
  repo: Repository,
  session: UploadSession,
  blob: BlobSource,
  chunkSize: number,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<void> {
  const source = new SequentialSource(blob);
  const policy = repo.client.retry;
  let offset = 0;
  let location = session.location;
  let failures = 0;
  try {
    while (offset < blob.size) {
      const length = Math.min(chunkSize, blob.size - offset);
      try {
        const res = await repo.client.request({
          method: "PATCH",
          url: location,
          headers: {
            "Content-Type": "application/octet-stream",
            "Content-Range": `${offset}-${offset + length - 1}`,
          },
          body: () => counted(source.range(offset, length), onProgress, offset),
          contentLength: length,
          scopes: repo.scopes,
          ok: [202],
          what: `uploading blob ${blob.digest} (bytes ${offset}-${offset + length - 1})`,
          repository: repo.name,
          retry: false,
        }).catch(rethrowResponse);
        await res.discard();
        location = new URL(res.header("location") ?? location.toString(), location);
        const end = rangeEnd(res.header("range"));
        offset = end !== undefined ? end + 1 : offset + length;
      } catch (err) {
        failures++;
        if (!isRetryable(err) || !policy.canRetry(failures)) throw err;
        await policy.backoff(failures, (err as RetryableUploadError).retryAfterMs);
        // Resume where the registry says it is; a lost session restarts the whole upload.
        const status = await uploadStatus(repo, location, blob);
        location = status.location;
        offset = status.offset;
      }
    }
  } finally {
    source.close();
  }
  const res = await repo.client.request({
    method: "PUT",
    url: withDigest(location, blob.digest),
    scopes: repo.scopes,
    ok: [201, 204],
    what: `completing upload of blob ${blob.digest}`,
    repository: repo.name,
  });
  await res.discard();
}

/** `Range: 0-1023` → 1023 (the last byte the registry holds). */
function rangeEnd(range: string | undefined): number | undefined {
  const m = range?.match(/^(?:bytes=)?0-(\d+)$/);
  return m ? Number(m[1]) : undefined;
}

async function uploadStatus(repo: Repository, location: URL, blob: BlobSource): Promise<{ location: URL; offset: number }> {
  const res = await repo.client.request({
    method: "GET",
    url: location,
    scopes: repo.scopes,
    ok: [204, 404],
    what: `checking upload status of blob ${blob.digest}`,
    repository: repo.name,
  });
  await res.discard();
  if (res.status === 404) throw new RetryableUploadError("upload session lost");
  const end = rangeEnd(res.header("range"));
  // distribution reports "0-0" both for nothing and for one byte; resending byte 0 is harmless only
  // if nothing was written, so treat 0-0 as nothing (PATCH then fails with 416 and we restart).
  return { location: new URL(res.header("location") ?? location.toString(), location), offset: end && end > 0 ? end + 1 : 0 };
}

/** A failure an upload may recover from by resuming or restarting. */
class RetryableUploadError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly response?: RegistryError,
  ) {
    super(message);
  }
}

/** Turns a retryable HTTP status (thrown as RegistryError by request) into a RetryableUploadError. */
function rethrowResponse(err: unknown): never {
  // 416: the registry holds a different number of bytes than we assumed; ask and resume.
  if (err instanceof RegistryError && err.status !== undefined && (isRetryableStatus(err.status) || err.status === 416)) {
    throw new RetryableUploadError(err.message, err.retryAfterMs, err);
  }
  throw err;
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableUploadError) return true;
  if (err instanceof RegistryError) return isTransientNetError(err.cause);
  return isTransientNetError(err);
}

function asRegistryError(err: unknown, repo: Repository, blob: BlobSource): Error {
  if (err instanceof RetryableUploadError) {
    return (
      err.response ??
      new RegistryError(`uploading blob ${blob.digest}: ${err.message}`, { registry: repo.client.registry, repository: repo.name })
    );
  }
  if (err instanceof RegistryError) return err;
  return new RegistryError(`uploading blob ${blob.digest}: ${(err as Error).message}`, {
    registry: repo.client.registry,
    repository: repo.name,
    cause: err,
  });
}

