/**
 * Small composable image interfaces in the style of go-containerregistry's
 * v1.Layer / v1.Image / v1.ImageIndex, and the basic implementations that
 * compose them: a layer from any blob opener (file, HTTP body), an image from
 * a config plus layers, an index from images.
 *
 * Metadata accessors are async because a reader may have to fetch or hash
 * first; streams are returned synchronously and report failures as stream
 * errors. Every method may be called many times; implementations memoise.
 */
import { createReadStream } from "node:fs";
import { pipeline as streamPipeline, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decompressStream } from "./compression.js";
import {
  configMediaType,
  convertLayerMediaType,
  Digester,
  encodeConfig,
  encodeIndex,
  encodeManifest,
  indexMediaType,
  isIndexMediaType,
  layerCompression,
  manifestMediaType,
  sha256Digest,
  type Descriptor,
  type Digest,
  type ImageConfig,
  type Index,
  type Manifest,
  type ManifestFormat,
  type Platform,
} from "./spec.js";

export interface Layer {
  /** Media type of the compressed blob, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`. */
  readonly mediaType: string;
  /** sha256 of the compressed blob (what the manifest and registry name it by). */
  digest(): Promise<Digest>;
  /** sha256 of the uncompressed tar (what the config's rootfs.diff_ids list). */
  diffId(): Promise<Digest>;
  /** Byte size of the compressed blob. */
  size(): Promise<number>;
  /** The blob as stored/pushed. */
  compressed(): Readable;
  /** The layer tar. */
  uncompressed(): Readable;
  /** Set when the compressed blob is a whole local file (lets writers copy or link it cheaply). */
  readonly path?: string;
}

export interface Image {
  /** Media type of the manifest (OCI or Docker v2 schema 2). */
  readonly mediaType: string;
  /** The exact manifest bytes; `digest()` is their sha256. */
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Manifest>;
  rawConfig(): Promise<Buffer>;
  configFile(): Promise<ImageConfig>;
  /** Layers in manifest order (base first). */
  layers(): Promise<Layer[]>;
  digest(): Promise<Digest>;
}

export interface IndexEntry {
  /** The descriptor of the image's manifest in the index (with platform). */
  descriptor: Descriptor;
  image: Image;
}

export interface ImageIndex {
  readonly mediaType: string;
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Index>;
  digest(): Promise<Digest>;
  /** The images the index points to (nested indexes are not followed). */
  images(): Promise<IndexEntry[]>;
}

export function isImageIndex(x: Image | ImageIndex): x is ImageIndex {
  return isIndexMediaType(x.mediaType);
}

export async function layerDescriptor(layer: Layer): Promise<Descriptor> {
  return { mediaType: layer.mediaType, digest: await layer.digest(), size: await layer.size() };
}

/** Calls `fn` once and shares its promise (also a rejected one: inputs are immutable). */
export function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/** Hashes a stream to the end: digest and byte count. Memory stays flat. */
export async function digestStream(stream: Readable): Promise<{ digest: Digest; size: number }> {
  const d = new Digester();
  await pipeline(stream, async function (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) d.update(chunk);
  });
  return { digest: d.digest(), size: d.size };
}

// ---------------------------------------------------------------- layers

export interface BlobLayerOptions {
  mediaType: string;
  /** Opens the compressed blob from its start; may be called several times. */
  open: () => Readable;
  /** Known values are trusted (callers verify what they fetch); unknown ones are computed by reading the blob. */
  digest?: Digest;
  size?: number;
  diffId?: Digest;
}

/** A layer whose compressed blob can be (re)opened: a file, a cache entry, a registry blob. */
export function blobLayer(opts: BlobLayerOptions): Layer {
  const compression = layerCompression(opts.mediaType);
  const blobInfo = memo(async () =>
    opts.digest !== undefined && opts.size !== undefined
      ? { digest: opts.digest, size: opts.size }
      : digestStream(opts.open()),
  );
  const uncompressed = (): Readable => {
    // pipeline() destroys both ends together: an abandoned read does not leak the source.
    return streamPipeline(opts.open(), decompressStream(compression), () => {}) as unknown as Readable;
  };
  const diffId = memo(async () => {
    if (opts.diffId !== undefined) return opts.diffId;
    if (compression === "none") return (await blobInfo()).digest;
    return (await digestStream(uncompressed())).digest;
  });
  return {
    mediaType: opts.mediaType,
    digest: async () => (await blobInfo()).digest,
    size: async () => (await blobInfo()).size,
    diffId,
    compressed: opts.open,
    uncompressed,
  };
}

/** A compressed layer blob on disk. */
export function fileLayer(path: string, mediaType: string, known: Omit<BlobLayerOptions, "mediaType" | "open"> = {}): Layer {
  return { ...blobLayer({ ...known, mediaType, open: () => createReadStream(path) }), path };
}

/** The same layer bytes under another media type (e.g. OCI gzip ↔ Docker gzip). */
export function withLayerMediaType(layer: Layer, mediaType: string): Layer {
  if (mediaType === layer.mediaType) return layer;
  return {
    mediaType,
    ...(layer.path === undefined ? {} : { path: layer.path }),
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    compressed: () => layer.compressed(),
    uncompressed: () => layer.uncompressed(),
  };
}

// ---------------------------------------------------------------- images

export interface NewImageOptions {
  /** `rootfs.diff_ids` is replaced by the layers' diff ids; everything else is kept as given. */
  config: ImageConfig;
  layers: Layer[];
  /** Media type family of the manifest, config and gzip layers (default oci). */
  format?: ManifestFormat;
  /** Manifest annotations (org.opencontainers.image.*). Ignored for Docker manifests, which have none. */
  annotations?: Record<string, string>;
}

/** An image assembled from a config and layers; the manifest is computed on first use. */
export function newImage(opts: NewImageOptions): Image {
  const format = opts.format ?? "oci";
  const layers = opts.layers.map((l) => withLayerMediaType(l, convertLayerMediaType(l.mediaType, format)));
  const parts = memo(async () => {
    const diffIds: Digest[] = [];
    const descriptors: Descriptor[] = [];
    for (const l of layers) {
      diffIds.push(await l.diffId());
      descriptors.push(await layerDescriptor(l));
    }
    const config: ImageConfig = { ...opts.config, rootfs: { type: "layers", diff_ids: diffIds } };
    const rawConfig = encodeConfig(config);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: manifestMediaType(format),
      config: { mediaType: configMediaType(format), digest: sha256Digest(rawConfig), size: rawConfig.length },
      layers: descriptors,
    };
    if (format === "oci" && opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) {
      manifest.annotations = opts.annotations;
    }
    const rawManifest = encodeManifest(manifest);
    return { config, rawConfig, manifest, rawManifest, digest: sha256Digest(rawManifest) };
  });
  return {
    mediaType: manifestMediaType(format),
    rawManifest: async () => (await parts()).rawManifest,
    manifest: async () => (await parts()).manifest,
    rawConfig: async () => (await parts()).rawConfig,
    configFile: async () => (await parts()).config,
    layers: async () => layers,
    digest: async () => (await parts()).digest,
  };
}

export interface RawImageOptions {
  /** Config bytes kept exactly (a read image's config digest must not change). */
  rawConfig: Buffer;
  layers: Layer[];
  format?: ManifestFormat;
  annotations?: Record<string, string>;
}

/** An image over existing config bytes (e.g. read from a docker-archive); the manifest is made here. */
export function imageFromRawConfig(opts: RawImageOptions): Image {
  const format = opts.format ?? "oci";
  const layers = opts.layers.map((l) => withLayerMediaType(l, convertLayerMediaType(l.mediaType, format)));
  const parts = memo(async () => {
    const descriptors: Descriptor[] = [];
    for (const l of layers) descriptors.push(await layerDescriptor(l));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: manifestMediaType(format),
      config: { mediaType: configMediaType(format), digest: sha256Digest(opts.rawConfig), size: opts.rawConfig.length },
      layers: descriptors,
    };
    if (format === "oci" && opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) {
      manifest.annotations = opts.annotations;
    }
    const rawManifest = encodeManifest(manifest);
    return { manifest, rawManifest, digest: sha256Digest(rawManifest) };
  });
  const config = memo(async () => JSON.parse(opts.rawConfig.toString("utf8")) as ImageConfig);
  return {
    mediaType: manifestMediaType(format),
    rawManifest: async () => (await parts()).rawManifest,
    manifest: async () => (await parts()).manifest,
    rawConfig: async () => opts.rawConfig,
    configFile: config,
    layers: async () => layers,
    digest: async () => (await parts()).digest,
  };
}

/** The same image with manifest, config and layer media types of the other family (bytes of blobs unchanged). */
export async function convertImageFormat(image: Image, format: ManifestFormat, annotations?: Record<string, string>): Promise<Image> {
  if (image.mediaType === manifestMediaType(format)) return image;
  const m = await image.manifest();
  return imageFromRawConfig({ rawConfig: await image.rawConfig(), layers: await image.layers(), format, annotations: annotations ?? m.annotations });
}

/** The platform an image's config declares. */
export async function imagePlatform(image: Image): Promise<Platform> {
  const c = await image.configFile();
  const p: Platform = { architecture: c.architecture, os: c.os };
  if (c.variant !== undefined) p.variant = c.variant;
  if (c["os.version"] !== undefined) p["os.version"] = c["os.version"];
  return p;
}

export interface NewIndexOptions {
  images: Image[];
  format?: ManifestFormat;
  annotations?: Record<string, string>;
}

/** A multi-platform index over images; each entry's platform comes from the image's config. */
export function newIndex(opts: NewIndexOptions): ImageIndex {
  const format = opts.format ?? "oci";
  const parts = memo(async () => {
    const entries: IndexEntry[] = [];
    for (const image of opts.images) {
      const raw = await image.rawManifest();
      entries.push({
        descriptor: { mediaType: image.mediaType, digest: sha256Digest(raw), size: raw.length, platform: await imagePlatform(image) },
        image,
      });
    }
    const index: Index = { schemaVersion: 2, mediaType: indexMediaType(format), manifests: entries.map((e) => e.descriptor) };
    if (format === "oci" && opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) {
      index.annotations = opts.annotations;
    }
    const raw = encodeIndex(index);
    return { entries, index, raw, digest: sha256Digest(raw) };
  });
  return {
    mediaType: indexMediaType(format),
    rawManifest: async () => (await parts()).raw,
    manifest: async () => (await parts()).index,
    digest: async () => (await parts()).digest,
    images: async () => (await parts()).entries,
  };
}

/** Reads a whole stream into memory: only for small things (configs, manifests, test checks). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

