/**
 * pushImage: an Image or ImageIndex to `registry/repository[:tag]`. Blobs go
 * first (several at once), each skipped if the repository has it, mounted if
 * another repository of the registry is known to have it, uploaded otherwise;
 * manifests go last, children before their index, so a registry never holds
 * a manifest whose blobs are missing.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { isImageIndex, type Image, type ImageIndex } from "../image.js";
import type { Digest } from "../spec.js";
import { BlobLocations, defaultBlobLocationsPath } from "./blobLocations.js";
import { RegistryClient, type RegistryClientOptions } from "./client.js";
import { RegistryError } from "./errors.js";
import { runPool } from "./pool.js";
import { silentProgress, type ProgressReporter } from "./progress.js";
import { formatReference, parseReference, type Reference } from "./reference.js";
import { Repository } from "./repository.js";
import type { BlobSource } from "./upload.js";

export interface PushOptions extends RegistryClientOptions {
  /** Blobs uploaded at once (default 4). */
  readonly jobs?: number;
  /** PATCH size for chunked uploads; smaller blobs go in one PUT. */
  readonly chunkSize?: number;
  /** More tags to point at the pushed manifest. */
  readonly extraTags?: readonly string[];
  /** Blob-location cache file; false disables it (default ~/.cache/nixoci/blob-locations.json). */
  readonly blobLocations?: string | false | BlobLocations;
  readonly progress?: ProgressReporter;
  /** Reuse a client (and its tokens/connections) for this registry. */
  readonly client?: RegistryClient;
}

export interface PushResult {
  /** `registry/repository@digest`. */
  readonly reference: string;
  readonly digest: Digest;
  readonly mediaType: string;
  /** Size of the top manifest in bytes. */
  readonly size: number;
  readonly tags: string[];
  readonly blobs: { pushed: Digest[]; skipped: Digest[]; mounted: Digest[] };
  /** HTTP requests sent (every attempt, token requests included). */
  readonly requests: number;
  readonly retries: number;
}

const READ_CHUNK_BYTES = 1024 * 1024;

interface BlobJob extends BlobSource {
  readonly label: string;
}

export async function pushImage(
  image: Image | ImageIndex,
  target: Reference | string,
  opts: PushOptions = {},
): Promise<PushResult> {
  const ref = typeof target === "string" ? parseReference(target) : target;
  const client = opts.client ?? new RegistryClient(ref.registry, opts);
  const repo = new Repository(client, ref.repository, ["pull", "push"]);
  // The cache is read only when a blob has to be pushed: a push that finds its tag in place skips it.
  let locations: BlobLocations | undefined;
  const openLocations = async (): Promise<BlobLocations> =>
    (locations ??=
      opts.blobLocations instanceof BlobLocations
        ? opts.blobLocations
        : await BlobLocations.open(opts.blobLocations === false ? undefined : (opts.blobLocations ?? defaultBlobLocationsPath())));
  const progress = opts.progress ?? silentProgress;
  const requestsBefore = client.transport.requestCount;
  const retriesBefore = client.retry.retries;
  const result = { pushed: [] as Digest[], skipped: [] as Digest[], mounted: [] as Digest[] };

  try {
    const images = isImageIndex(image) ? (await image.images()).map((e) => e.image) : [image];
    const jobs = new Map<Digest, BlobJob>();
    for (const img of images) for (const job of await blobJobs(img)) if (!jobs.has(job.digest)) jobs.set(job.digest, job);

    const raw = await image.rawManifest();
    const digest = await image.digest();
    const tags = [...new Set([...(ref.tag !== undefined ? [ref.tag] : []), ...(opts.extraTags ?? [])])];
    if (ref.digest !== undefined && ref.digest !== digest) {
      throw new RegistryError(`image digest ${digest} differs from the requested ${ref.digest}`, {
        registry: ref.registry,
        repository: ref.repository,
      });
    }
    const targets = tags.length > 0 ? tags : [digest];

    // The registry only accepts a manifest whose blobs it has, so a tag already pointing at
    // this digest means everything is there: nothing to upload (like crane).
    const first = targets[0]!;
    const present = (await existingDigest(repo, first)) === digest;
    if (present) {
      for (const job of jobs.values()) {
        result.skipped.push(job.digest);
        progress.done(job.digest, "skipped", "manifest already in the repository");
      }
    } else {
      // Largest first: the longest upload starts at once instead of last.
      const ordered = [...jobs.values()].sort((a, b) => b.size - a.size);
      const known = await openLocations();
      await runPool(ordered, opts.jobs ?? 4, async (job) => {
        const outcome = await pushBlob(repo, job, known, progress, opts.chunkSize);
        result[outcome].push(job.digest);
        known.record(job.digest, ref.registry, ref.repository);
      });
      if (isImageIndex(image)) {
        for (const img of images) await repo.putManifest(await img.digest(), await img.rawManifest(), img.mediaType);
      }
    }
    for (const target of targets) {
      if (present && target === first) continue;
      await repo.putManifest(target, raw, image.mediaType);
    }
    return {
      reference: formatReference({ registry: ref.registry, repository: ref.repository, digest }),
      digest,
      mediaType: image.mediaType,
      size: raw.length,
      tags,
      blobs: result,
      requests: client.transport.requestCount - requestsBefore,
      retries: client.retry.retries - retriesBefore,
    };
  } finally {
    progress.finish();
    await locations?.save().catch(() => undefined);
    if (!opts.client) client.close();
  }
}

/** The digest a tag names now; a registry that will not say (push-only rights) just gets the full push. */
async function existingDigest(repo: Repository, reference: string): Promise<Digest | undefined> {
  try {
    return await repo.manifestDigest(reference);
  } catch (err) {
    if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) return undefined;
    throw err;
  }
}

async function blobJobs(image: Image): Promise<BlobJob[]> {
  const manifest = await image.manifest();
  const rawConfig = await image.rawConfig();
  const jobs: BlobJob[] = [
    { digest: manifest.config.digest, size: rawConfig.length, open: () => Readable.from([rawConfig]), label: "config" },
  ];
  const layers = await image.layers();
  for (const layer of layers) {
    // A blob that is a whole local file is read in 1 MiB pieces rather than the default 64 KiB:
    // 16× fewer reads, socket writes and stream callbacks for the same bytes.
    const path = layer.path;
    const open = path !== undefined ? () => createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) : () => layer.compressed();
    jobs.push({ digest: await layer.digest(), size: await layer.size(), open, label: "layer" });
  }
  return jobs;
}

async function pushBlob(
  repo: Repository,
  job: BlobJob,
  locations: BlobLocations,
  progress: ProgressReporter,
  chunkSize: number | undefined,
): Promise<"pushed" | "skipped" | "mounted"> {
  const registry = repo.client.registry;
  progress.start(job.digest, job.size);
  if ((await repo.blobSize(job.digest)) !== undefined) {
    progress.done(job.digest, "skipped", "already in the repository");
    return "skipped";
  }
  let session;
  for (const from of locations.candidates(job.digest, registry, repo.name).slice(0, 3)) {
    let mounted;
    try {
      mounted = await repo.mountBlob(job.digest, from);
    } catch (err) {
      // A mount we may not do (no pull right on `from`, auth quirks) is only a missed shortcut.
      if (err instanceof RegistryError && (err.status === 401 || err.status === 403 || err.status === 404)) continue;
      throw err;
    }
    if (mounted === "mounted") {
      progress.done(job.digest, "mounted", `from ${from}`);
      return "mounted";
    }
    locations.forget(job.digest, registry, from);
    session = mounted;
    break;
  }
  // Loaded on the first upload: a push that finds everything in place never needs it.
  const { uploadBlob } = await import("./upload.js");
  await uploadBlob(repo, job, {
    ...(chunkSize !== undefined ? { chunkSize } : {}),
    ...(session ? { session } : {}),
    onProgress: (bytes) => progress.update(job.digest, bytes),
  });
  progress.done(job.digest, "pushed");
  return "pushed";
}
