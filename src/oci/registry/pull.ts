/**
 * pullImage: a registry manifest as an Image or ImageIndex whose layers are
 * fetched lazily (streamed, verified against their digest) when read. The
 * manifest bytes are kept exactly as the registry served them, so the
 * digests stay the registry's.
 */
import { blobLayer, memo, type Image, type ImageIndex, type IndexEntry, type Layer } from "../image.js";
import {
  isIndexMediaType,
  isManifestMediaType,
  OciFormatError,
  platformString,
  sha256Digest,
  type Descriptor,
  type ImageConfig,
  type Index,
  type Manifest,
  type Platform,
} from "../spec.js";
import { readAll } from "../image.js";
import { RegistryClient, type RegistryClientOptions } from "./client.js";
import { platformMatches } from "./platform.js";
import { RegistryError } from "./errors.js";
import { formatReference, manifestReference, parseReference, type Reference } from "./reference.js";
import { Repository, type FetchedManifest } from "./repository.js";

export interface PullOptions extends RegistryClientOptions {
  /** For an index: the platform to select (default linux/amd64); ignored with `all`. */
  readonly platform?: Platform;
  /** Return the whole index instead of one platform's image. */
  readonly all?: boolean;
  readonly client?: RegistryClient;
}

export interface PulledImage {
  readonly image: Image | ImageIndex;
  readonly reference: Reference;
  readonly client: RegistryClient;
}

/**
 * Fetch `ref`'s manifest; callers read layers from the returned image. The
 * client stays open until `client.close()` (layers stream through it).
 */
export async function pullImage(target: Reference | string, opts: PullOptions = {}): Promise<PulledImage> {
  const ref = typeof target === "string" ? parseReference(target) : target;
  const client = opts.client ?? new RegistryClient(ref.registry, opts);
  const repo = new Repository(client, ref.repository, ["pull"]);
  const top = await repo.getManifest(manifestReference(ref));
  if (isIndexMediaType(top.mediaType)) {
    const index = JSON.parse(top.bytes.toString("utf8")) as Index;
    if (opts.all) return { image: remoteIndex(repo, top, index), reference: ref, client };
    const want = opts.platform ?? { os: "linux", architecture: "amd64" };
    const chosen = index.manifests.find((d) => isManifestMediaType(d.mediaType) && platformMatches(want, d.platform));
    if (!chosen) {
      const have = index.manifests.map((d) => (d.platform ? platformString(d.platform) : "?")).join(", ");
      throw new RegistryError(`${formatReference(ref)} has no image for ${platformString(want)} (it has: ${have})`, {
        registry: ref.registry,
        repository: ref.repository,
      });
    }
    const child = await repo.getManifest(chosen.digest);
    return { image: remoteImage(repo, child), reference: ref, client };
  }
  if (isManifestMediaType(top.mediaType)) return { image: remoteImage(repo, top), reference: ref, client };
  throw new RegistryError(`unsupported manifest media type '${top.mediaType}' for ${formatReference(ref)}`, {
    registry: ref.registry,
    repository: ref.repository,
  });
}

function remoteIndex(repo: Repository, fetched: FetchedManifest, index: Index): ImageIndex {
  const entries = memo(async (): Promise<IndexEntry[]> => {
    const out: IndexEntry[] = [];
    for (const d of index.manifests) {
      if (!isManifestMediaType(d.mediaType)) continue;
      out.push({ descriptor: d, image: remoteImage(repo, await repo.getManifest(d.digest)) });
    }
    return out;
  });
  return {
    mediaType: fetched.mediaType,
    rawManifest: async () => fetched.bytes,
    manifest: async () => index,
    digest: async () => fetched.digest,
    images: entries,
  };
}

/** An Image over a fetched manifest: config fetched once and verified, layers streamed on demand. */
export function remoteImage(repo: Repository, fetched: FetchedManifest): Image {
  const manifest = JSON.parse(fetched.bytes.toString("utf8")) as Manifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new OciFormatError("manifest without config or layers", `${repo.client.registry}/${repo.name}@${fetched.digest}`);
  }
  const rawConfig = memo(() => readAll(repo.fetchBlob(manifest.config.digest, manifest.config.size)));
  const config = memo(async () => JSON.parse((await rawConfig()).toString("utf8")) as ImageConfig);
  const layers = memo(async (): Promise<Layer[]> => {
    const diffIds = (await config()).rootfs?.diff_ids ?? [];
    return manifest.layers.map((d: Descriptor, i: number) =>
      blobLayer({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        ...(diffIds[i] !== undefined ? { diffId: diffIds[i] } : {}),
        open: () => repo.fetchBlob(d.digest, d.size),
      }),
    );
  });
  return {
    mediaType: fetched.mediaType,
    rawManifest: async () => fetched.bytes,
    manifest: async () => manifest,
    rawConfig,
    configFile: config,
    layers,
    digest: async () => sha256Digest(fetched.bytes),
  };
}

