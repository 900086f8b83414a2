/**
 * The distribution API of one repository: blob existence, cross-repository
 * mount, upload sessions, manifests, and verified blob downloads.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { MediaType, sha256Digest, DigestMismatchError, type Digest } from "../spec.js";
import { repositoryScope } from "./auth.js";
import type { RegistryClient } from "./client.js";
import { RegistryError } from "./errors.js";
import { isTransientNetError } from "./http.js";

/** Accept header for manifest GET/HEAD: every manifest kind we can read. */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(", ");

/** The distribution spec lets registries refuse bigger manifests; we refuse to read them. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

export interface UploadSession {
  /** Absolute URL of the upload (changes with every response). */
  location: URL;
  /** OCI-Chunk-Min-Length, when the registry requires a minimum PATCH size. */
  readonly minChunk?: number;
}

export class Repository {
  constructor(
    readonly client: RegistryClient,
    readonly name: string,
    /** Actions the token must allow: ["pull"] for reads, ["pull","push"] for writes. */
    readonly actions: readonly string[] = ["pull", "push"],
  ) {}

  get scopes(): string[] {
    return [repositoryScope(this.name, this.actions)];
  }

  private path(suffix: string): string {
    return `/v2/${this.name}/${suffix}`;
  }

  /** Size of the blob if the repository has it. */
  async blobSize(digest: Digest): Promise<number | undefined> {
    const res = await this.client.request({
      method: "HEAD",
      path: this.path(`blobs/${digest}`),
      scopes: this.scopes,
      ok: [200, 404],
      what: `checking blob ${digest}`,
      repository: this.name,
      followRedirects: true,
    });
    await res.discard();
    if (res.status === 404) return undefined;
    return Number(res.header("content-length") ?? NaN);
  }

  /**
   * Ask the registry to link a blob from another repository. Returns "mounted",
   * or an upload session when the registry declined (it then starts an upload).
   */
  async mountBlob(digest: Digest, from: string): Promise<"mounted" | UploadSession> {
    const res = await this.client.request({
      method: "POST",
      path: this.path("blobs/uploads/"),
      query: { mount: digest, from },
      scopes: [...this.scopes, repositoryScope(from, ["pull"])],
      ok: [201, 202],
      what: `mounting blob ${digest} from ${from}`,
      repository: this.name,
    });
    await res.discard();
    if (res.status === 201) return "mounted";
    return this.sessionFrom(res.header("location"), res.header("oci-chunk-min-length"), res.url);
  }

  async startUpload(): Promise<UploadSession> {
    const res = await this.client.request({
      method: "POST",
      path: this.path("blobs/uploads/"),
      scopes: this.scopes,
      ok: [202],
      what: "starting a blob upload",
      repository: this.name,
    });
    await res.discard();
    return this.sessionFrom(res.header("location"), res.header("oci-chunk-min-length"), res.url);
  }

  sessionFrom(location: string | undefined, minChunk: string | undefined, base: URL): UploadSession {
    if (!location) {
      throw new RegistryError("upload started without a Location header", { registry: this.client.registry, repository: this.name });
    }
    const min = minChunk !== undefined ? Number(minChunk) : NaN;
    return { location: new URL(location, base), ...(Number.isFinite(min) && min > 0 ? { minChunk: min } : {}) };
  }

  /** PUT a manifest or index under a tag or digest; returns the digest the registry reports. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const res = await this.client.request({
      method: "PUT",
      path: this.path(`manifests/${reference}`),
      headers: { "Content-Type": mediaType },
      body: bytes,
      scopes: this.scopes,
      ok: [200, 201, 202],
      what: `putting manifest ${reference}`,
      repository: this.name,
    });
    await res.discard();
    const digest = sha256Digest(bytes);
    const reported = res.header("docker-content-digest");
    if (reported && reported !== digest) {
      throw new RegistryError(`registry stored manifest ${reference} as ${reported}, expected ${digest}`, {
        registry: this.client.registry,
        repository: this.name,
      });
    }
    return digest;
  }

  /** HEAD a manifest: its digest, or undefined when absent. */
  async manifestDigest(reference: string): Promise<Digest | undefined> {
    const res = await this.client.request({
      method: "HEAD",
      path: this.path(`manifests/${reference}`),
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: this.scopes,
      ok: [200, 404],
      what: `checking manifest ${reference}`,
      repository: this.name,
    });
    await res.discard();
    return res.status === 200 ? res.header("docker-content-digest") : undefined;
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.client.request({
      method: "GET",
      path: this.path(`manifests/${reference}`),
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: this.scopes,
      ok: [200],
      what: `fetching manifest ${reference}`,
      repository: this.name,
      followRedirects: true,
    });
    const declared = Number(res.header("content-length") ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw new RegistryError(`manifest ${reference} is ${declared} bytes, over the 4 MiB limit`, {
        registry: this.client.registry,
        repository: this.name,
      });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const c of res.body) {
      total += (c as Buffer).length;
      if (total > MAX_MANIFEST_BYTES) {
        res.body.destroy();
        throw new RegistryError(`manifest ${reference} is over the 4 MiB limit`, { registry: this.client.registry, repository: this.name });
      }
      chunks.push(c as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const digest = sha256Digest(bytes);
    const where = `${this.client.registry}/${this.name}`;
    if (reference.includes(":") && reference !== digest) throw new DigestMismatchError(reference, digest, where);
    const announced = res.header("docker-content-digest");
    if (announced !== undefined && announced.startsWith("sha256:") && announced !== digest) {
      throw new DigestMismatchError(announced, digest, `${where}:${reference}`);
    }
    let mediaType = (res.header("content-type") ?? "").split(";")[0]!.trim();
    try {
      const parsed = JSON.parse(bytes.toString("utf8")) as { mediaType?: string; manifests?: unknown };
      // The document's own mediaType is authoritative; registries sometimes send application/json.
      if (typeof parsed.mediaType === "string") mediaType = parsed.mediaType;
      else if (!mediaType.startsWith("application/vnd.")) mediaType = Array.isArray(parsed.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
    } catch {
      throw new RegistryError(`manifest ${reference} is not JSON`, { registry: this.client.registry, repository: this.name });
    }
    return { bytes, mediaType, digest };
  }

  /**
   * Stream a blob, verified: the stream fails with DigestMismatchError if the
   * bytes do not hash to `digest` (or differ from `size`). A connection cut
   * mid-blob resumes with a Range request (within the retry budget).
   */
  fetchBlob(digest: Digest, size?: number): Readable {
    const source = `${this.client.registry}/${this.name}`;
    const algorithm = digest.split(":")[0]!;
    const policy = this.client.retry;
    const registry = this.client.registry;
    const open = (offset: number) =>
      this.client.request({
        method: "GET",
        path: this.path(`blobs/${digest}`),
        ...(offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {}),
        scopes: this.scopes,
        ok: offset > 0 ? [200, 206] : [200],
        what: `fetching blob ${digest}`,
        repository: this.name,
        followRedirects: true,
      });
    async function* bytes(): AsyncGenerator<Buffer> {
      const hash = createHash(algorithm);
      let offset = 0;
      for (let attempt = 1; ; attempt++) {
        const res = await open(offset);
        // A server that ignores Range sends everything again: skip what we have.
        let skip = offset > 0 && res.status === 200 ? offset : 0;
        try {
          for await (const c of res.body as AsyncIterable<Buffer>) {
            let chunk = c;
            if (skip > 0) {
              const n = Math.min(skip, chunk.length);
              skip -= n;
              chunk = chunk.subarray(n);
              if (chunk.length === 0) continue;
            }
            hash.update(chunk);
            offset += chunk.length;
            yield chunk;
          }
          if (!res.body.complete) throw Object.assign(new Error("connection closed mid-blob"), { code: "ECONNRESET" });
          break;
        } catch (err) {
          if (!isTransientNetError(err) || !policy.canRetry(attempt)) {
            throw new RegistryError(`fetching blob ${digest} failed after ${offset} bytes: ${(err as Error).message}`, {
              registry,
              repository: source.slice(registry.length + 1),
              cause: err,
            });
          }
          res.body.destroy();
          await policy.backoff(attempt);
        }
      }
      const actual = `${algorithm}:${hash.digest("hex")}`;
      if (actual !== digest) throw new DigestMismatchError(digest, actual, source);
      if (size !== undefined && offset !== size) {
        throw new DigestMismatchError(digest, `${actual} (${offset} bytes, expected ${size})`, source);
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }
}
