/**
 * Copy an image between any two locations: a registry (pull/push through
 * src/oci/registry) or a local layout / archive (the OCI engineer's readers
 * and writers). Blobs stream from source to destination; nothing is staged
 * in temp files for registry ↔ registry or layout → registry copies.
 */
import { stat } from "node:fs/promises";
import { dirSource } from "../dirSource.js";
import { isImageIndex, type Image, type ImageIndex } from "../image.js";
import { layoutTarEntries, readLayout, selectImage, writeLayout } from "../layout.js";
import type { Digest, Platform } from "../spec.js";
import type { PushOptions, PushResult } from "../registry/push.js";
import type { RegistryClientOptions } from "../registry/client.js";
import type { ImageLocation } from "./location.js";
import { silentProgress, type ProgressReporter } from "../registry/progress.js";
import { BlobLocations, defaultBlobLocationsPath } from "../registry/blobLocations.js";
import type { Reference } from "../registry/reference.js";

// Readers and writers are loaded for the transports in use only: a CLI process does one copy, and
// start-up time is most of a no-op push (archives, tar and the pull code are not needed for it).

export interface CopyOptions {
  /** Client options for a registry source. */
  readonly source?: RegistryClientOptions;
  /** Push options for a registry destination. */
  readonly destination?: PushOptions;
  /** Copy the whole index (default: the image for `platform`, like skopeo without --all). */
  readonly all?: boolean;
  readonly platform?: Platform;
  /** Reports blobs read from a registry into a local destination (pushes report through `destination.progress`). */
  readonly progress?: ProgressReporter;
}

export interface CopyResult {
  readonly digest: Digest;
  readonly mediaType: string;
  /** Present when the destination is a registry. */
  readonly push?: PushResult;
}

export async function openSource(
  loc: ImageLocation,
  opts: { client?: RegistryClientOptions; all?: boolean; platform?: Platform },
): Promise<{ image: Image | ImageIndex; close(): void }> {
  if (loc.transport === "docker") {
    const { pullImage } = await import("../registry/pull.js");
    const pulled = await pullImage(loc.reference, {
      ...opts.client,
      ...(opts.all ? { all: true } : {}),
      ...(opts.platform ? { platform: opts.platform } : {}),
    });
    return { image: pulled.image, close: () => pulled.client.close() };
  }
  const image = await openLocal(loc);
  if (isImageIndex(image) && !opts.all) {
    return { image: await selectImage(image, opts.platform ?? { os: "linux", architecture: "amd64" }), close() {} };
  }
  return { image, close() {} };
}

/**
 * A local image. A layout directory named before the first ':' is read directly; anything else goes
 * through openLocalImage (archives, and paths containing ':'), whose tar code a push from a layout
 * directory does not need to load.
 */
async function openLocal(loc: Exclude<ImageLocation, { transport: "docker" }>): Promise<Image | ImageIndex> {
  const rest = loc.text.slice(loc.transport.length + 1);
  const plain = rest === loc.path || (loc.tag !== undefined && rest === `${loc.path}:${loc.tag}`);
  if (loc.transport === "oci" && plain && (await stat(loc.path).catch(() => undefined))?.isDirectory()) {
    // openLocalImage takes the shortest existing path before a ':' as the directory: this one.
    return readLayout(dirSource(loc.path), loc.tag);
  }
  const { openLocalImage } = await import("../output.js");
  return openLocalImage(loc.text);
}

export async function writeDestination(
  loc: ImageLocation,
  image: Image | ImageIndex,
  opts: { push?: PushOptions; platform?: Platform },
): Promise<CopyResult> {
  const digest = await image.digest();
  const base = { digest, mediaType: image.mediaType };
  switch (loc.transport) {
    case "docker": {
      const [{ pushImage }, { gzipUncompressedLayers }] = await Promise.all([import("../registry/push.js"), import("./compressLayers.js")]);
      const toPush = isImageIndex(image) ? image : await gzipUncompressedLayers(image);
      const push = await pushImage(toPush, loc.reference, opts.push);
      return { digest: push.digest, mediaType: push.mediaType, push };
    }
    case "oci":
      // A pull: --jobs blobs downloaded at once, as for a push.
      await writeLayout(loc.path, image, { ...(loc.tag !== undefined ? { tag: loc.tag } : {}), ...(opts.push?.jobs !== undefined ? { jobs: opts.push.jobs } : {}) });
      return base;
    case "oci-archive": {
      const { writeTarFile } = await import("../tarFile.js");
      await writeTarFile(loc.path, await layoutTarEntries(image, loc.tag !== undefined ? { tag: loc.tag } : {}));
      return base;
    }
    case "docker-archive": {
      const { writeDockerArchive } = await import("../dockerArchive.js");
      // docker-archive holds single-platform images only.
      const single = await selectImage(image, opts.platform);
      await writeDockerArchive(loc.path, [{ image: single, tags: loc.tag !== undefined ? [loc.tag] : [] }]);
      return { digest: await single.digest(), mediaType: single.mediaType };
    }
  }
}

export async function copyImage(src: ImageLocation, dst: ImageLocation, opts: CopyOptions = {}): Promise<CopyResult> {
  const source = await openSource(src, {
    ...(opts.source ? { client: opts.source } : {}),
    ...(opts.all ? { all: true } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
  try {
    let push = opts.destination;
    if (src.transport === "docker" && dst.transport === "docker" && src.reference.registry === dst.reference.registry) {
      // Same registry: every blob can be mounted from the source repository.
      push = { ...push, blobLocations: await sourceBlobLocations(source.image, src.reference, push?.blobLocations) };
    }
    // Counting bytes for a reporter that shows nothing (-q) would only cost a stream stage per blob.
    const pulling = src.transport === "docker" && dst.transport !== "docker" && opts.progress !== undefined && opts.progress !== silentProgress;
    const image = pulling ? (await import("./pullProgress.js")).withPullProgress(source.image, opts.progress!) : source.image;
    return await writeDestination(dst, image, {
      ...(push ? { push } : {}),
      ...(opts.platform ? { platform: opts.platform } : {}),
    });
  } finally {
    opts.progress?.finish();
    source.close();
  }
}

async function sourceBlobLocations(
  image: Image | ImageIndex,
  ref: Reference,
  configured: PushOptions["blobLocations"],
): Promise<BlobLocations> {
  const locations =
    configured instanceof BlobLocations
      ? configured
      : await BlobLocations.open(configured === false ? undefined : (configured ?? defaultBlobLocationsPath()));
  const images = isImageIndex(image) ? (await image.images()).map((e) => e.image) : [image];
  for (const img of images) {
    locations.record((await img.manifest()).config.digest, ref.registry, ref.repository);
    for (const layer of await img.layers()) locations.record(await layer.digest(), ref.registry, ref.repository);
  }
  return locations;
}
