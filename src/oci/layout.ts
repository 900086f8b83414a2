/**
 * OCI image layout: writing one as a directory or as the file list that an
 * oci-archive tars, and reading one (directory or archive) back as an Image
 * or ImageIndex. Blobs read back are verified against their digests when
 * they are small (manifests, configs); layers are trusted as named, exactly
 * as skopeo does for local layouts.
 */
import { copyFile, mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { blobLayer, isImageIndex, imagePlatform, memo, type Image, type ImageIndex, type IndexEntry, type Layer } from "./image.js";
import {
  blobPath,
  DigestMismatchError,
  encodeIndex,
  isIndexMediaType,
  isManifestMediaType,
  MediaType,
  OciFormatError,
  sha256Digest,
  type Descriptor,
  type ImageConfig,
  type Index,
  type Manifest,
  type Platform,
} from "./spec.js";
import type { FileSource, TarFileEntry } from "./tarFile.js";
import { commitTemp, discardTemp, tempPathFor } from "./tempFiles.js";
import { NixociError } from "../errors.js";

export const REF_NAME = "org.opencontainers.image.ref.name";

export type ImageOrIndex = Image | ImageIndex;

type BlobEntry = { name: string; data: Buffer } | { name: string; size: number; open: () => Readable; path?: string };

/** Every file of a layout holding `target`, in a stable order: oci-layout, index.json, then blobs. */
export async function layoutFiles(target: ImageOrIndex, opts: { tag?: string } = {}): Promise<BlobEntry[]> {
  const blobs = new Map<string, BlobEntry>();
  const addData = (bytes: Buffer): string => {
    const d = sha256Digest(bytes);
    blobs.set(d, { name: blobPath(d), data: bytes });
    return d;
  };
  const addImage = async (image: Image): Promise<void> => {
    addData(await image.rawManifest());
    addData(await image.rawConfig());
    for (const l of await image.layers()) {
      const d = await l.digest();
      if (!blobs.has(d)) blobs.set(d, { name: blobPath(d), size: await l.size(), open: () => l.compressed(), ...(l.path === undefined ? {} : { path: l.path }) });
    }
  };
  const raw = await target.rawManifest();
  const top: Descriptor = { mediaType: target.mediaType, digest: sha256Digest(raw), size: raw.length };
  if (isImageIndex(target)) {
    addData(raw);
    for (const e of await target.images()) await addImage(e.image);
  } else {
    await addImage(target);
    top.platform = await imagePlatform(target);
  }
  if (opts.tag !== undefined) top.annotations = { [REF_NAME]: opts.tag };
  const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [top] };
  const files: BlobEntry[] = [
    { name: "oci-layout", data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: "index.json", data: encodeIndex(index) },
  ];
  return [...files, ...[...blobs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
}

/** The same files as tar entries (with the directories an archive lists). */
export async function layoutTarEntries(target: ImageOrIndex, opts: { tag?: string } = {}): Promise<TarFileEntry[]> {
  const files = await layoutFiles(target, opts);
  return [files[0]!, files[1]!, { name: "blobs", directory: true }, { name: "blobs/sha256", directory: true }, ...files.slice(2)];
}

/** Blobs written at once by writeLayout unless told (the registry commands' --jobs default too). */
const BLOB_WRITE_JOBS = 4;

const entrySize = (f: BlobEntry): number => ("data" in f ? f.data.length : f.size);

/** Bytes gathered before one write: a network stream arrives in ~64 KiB pieces, one syscall each otherwise. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Streams `src` into a new file in batches of about 1 MiB (one writev each, the next batch read while
 * the previous one is written). Memory stays at two batches whatever the size.
 */
async function writeStreamToFile(src: Readable, dest: string): Promise<void> {
  const file = await open(dest, "w");
  let writing: Promise<void> = Promise.resolve();
  const write = async (chunks: Buffer[], size: number): Promise<void> => {
    const { bytesWritten } = await file.writev(chunks);
    // writev may stop short (a signal, a full disk): write the rest, or fail with the reason.
    if (bytesWritten < size) await file.writeFile(Buffer.concat(chunks).subarray(bytesWritten));
  };
  try {
    let batch: Buffer[] = [];
    let size = 0;
    for await (const chunk of src as AsyncIterable<Buffer>) {
      batch.push(chunk);
      size += chunk.length;
      if (size >= WRITE_BATCH_BYTES) {
        await writing;
        writing = write(batch, size);
        // Handled here so a failed write cannot be an unhandled rejection while we wait for data.
        writing.catch(() => undefined);
        batch = [];
        size = 0;
      }
    }
    await writing;
    if (size > 0) await write(batch, size);
  } catch (err) {
    src.destroy();
    await writing.catch(() => undefined);
    throw err;
  } finally {
    await file.close();
  }
}

/** Runs `fn` over items, at most `limit` at once; waits for all started work, then throws the first failure. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      await fn(item).catch((error: unknown) => {
        failure ??= { error };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * Writes an OCI layout directory at `dir`, replacing what is there only once everything is written;
 * `jobs` blobs at once (default 4).
 */
export async function writeLayout(dir: string, target: ImageOrIndex, opts: { tag?: string; jobs?: number } = {}): Promise<void> {
  const files = await layoutFiles(target, opts.tag !== undefined ? { tag: opts.tag } : {});
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempPathFor(dir);
  try {
    await mkdir(join(tmp, "blobs", "sha256"), { recursive: true });
    // Several blobs at once, largest first: for a pulled image each one is a download (verified
    // while it streams), and one stream at a time leaves the network and the other core idle.
    const bySize = [...files].sort((a, b) => entrySize(b) - entrySize(a));
    await forEachLimited(bySize, Math.max(1, opts.jobs ?? BLOB_WRITE_JOBS), async (f) => {
      const dest = join(tmp, f.name);
      if ("data" in f) await writeFile(dest, f.data);
      else if (f.path !== undefined) await copyFile(f.path, dest);
      else await writeStreamToFile(f.open(), dest);
    });
    const existing = await stat(dir).catch(() => undefined);
    if (existing !== undefined) {
      if (!existing.isDirectory()) throw new NixociError(`'${dir}' exists and is not a directory`);
      const old = tempPathFor(dir);
      await rename(dir, old);
      await commitTemp(tmp, dir);
      await discardTemp(old);
    } else {
      await commitTemp(tmp, dir);
    }
  } catch (err) {
    await discardTemp(tmp);
    throw err;
  }
}

// ---------------------------------------------------------------- reading

async function readVerified(src: FileSource, d: Descriptor): Promise<Buffer> {
  const name = blobPath(d.digest);
  if (!(await src.has(name))) throw new OciFormatError(`missing blob ${d.digest}`, src.description);
  const bytes = await src.read(name);
  const actual = sha256Digest(bytes);
  if (actual !== d.digest) throw new DigestMismatchError(d.digest, actual, src.description);
  return bytes;
}

function parseJson<T>(bytes: Buffer, what: string, source: string): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (err) {
    throw new OciFormatError(`${what} is not valid JSON: ${(err as Error).message}`, source);
  }
}

/** An image whose manifest is described by `desc` inside a layout. */
export function layoutImage(src: FileSource, desc: Descriptor): Image {
  const raw = memo(() => readVerified(src, desc));
  const manifest = memo(async () => {
    const m = parseJson<Manifest>(await raw(), `manifest ${desc.digest}`, src.description);
    if (m.schemaVersion !== 2 || m.config === undefined || !Array.isArray(m.layers)) {
      throw new OciFormatError(`manifest ${desc.digest} is not an image manifest (schema 2)`, src.description);
    }
    return m;
  });
  const rawConfig = memo(async () => readVerified(src, (await manifest()).config));
  const configFile = memo(async () => parseJson<ImageConfig>(await rawConfig(), "image config", src.description));
  const layers = memo(async (): Promise<Layer[]> => {
    const m = await manifest();
    const diffIds = (await configFile()).rootfs?.diff_ids ?? [];
    return m.layers.map((d, i) => {
      const name = blobPath(d.digest);
      const local = src.localPath?.(name);
      const layer = blobLayer({ mediaType: d.mediaType, digest: d.digest, size: d.size, diffId: diffIds[i], open: () => src.open(name) });
      return local === undefined ? layer : { ...layer, path: local };
    });
  });
  return {
    mediaType: desc.mediaType,
    rawManifest: raw,
    manifest,
    rawConfig,
    configFile,
    layers,
    digest: async () => desc.digest,
  };
}

export function layoutIndex(src: FileSource, desc: Descriptor): ImageIndex {
  const raw = memo(() => readVerified(src, desc));
  const manifest = memo(async () => parseJson<Index>(await raw(), `index ${desc.digest}`, src.description));
  return {
    mediaType: desc.mediaType,
    rawManifest: raw,
    manifest,
    digest: async () => desc.digest,
    images: async (): Promise<IndexEntry[]> =>
      (await manifest()).manifests.filter((d) => isManifestMediaType(d.mediaType)).map((d) => ({ descriptor: d, image: layoutImage(src, d) })),
  };
}

/**
 * Opens the image or index of a layout: the entry whose ref.name is `ref`,
 * or the only entry when no ref is given.
 */
export async function readLayout(src: FileSource, ref?: string): Promise<ImageOrIndex> {
  if (!(await src.has("index.json"))) throw new OciFormatError("not an OCI layout (no index.json)", src.description);
  const index = parseJson<Index>(await src.read("index.json"), "index.json", src.description);
  const all = index.manifests ?? [];
  const chosen = ref === undefined ? all : all.filter((d) => d.annotations?.[REF_NAME] === ref);
  if (chosen.length !== 1) {
    const names = all.map((d) => d.annotations?.[REF_NAME]).filter((n) => n !== undefined);
    throw new OciFormatError(
      chosen.length === 0
        ? ref === undefined
          ? "the layout holds no image"
          : `no image tagged '${ref}' (tags: ${names.length > 0 ? names.join(", ") : "none"})`
        : `the layout holds ${chosen.length} images${ref === undefined ? "; name one with :<tag>" : ` tagged '${ref}'`}`,
      src.description,
    );
  }
  const d = chosen[0]!;
  if (isIndexMediaType(d.mediaType)) return layoutIndex(src, d);
  if (isManifestMediaType(d.mediaType)) return layoutImage(src, d);
  throw new OciFormatError(`unsupported manifest media type '${d.mediaType}'`, src.description);
}

/** The image for a platform: an Image is returned as is; an index must have exactly one match. */
export async function selectImage(target: ImageOrIndex, platform?: Platform): Promise<Image> {
  if (!isImageIndex(target)) return target;
  const entries = await target.images();
  const match = entries.filter(
    (e) =>
      platform === undefined ||
      (e.descriptor.platform?.architecture === platform.architecture &&
        e.descriptor.platform?.os === platform.os &&
        (platform.variant === undefined || e.descriptor.platform?.variant === undefined || e.descriptor.platform.variant === platform.variant)),
  );
  if (match.length === 1) return match[0]!.image;
  const have = entries.map((e) => (e.descriptor.platform ? `${e.descriptor.platform.os}/${e.descriptor.platform.architecture}` : "?")).join(", ");
  throw new OciFormatError(
    match.length === 0 ? `no image for ${platform?.os}/${platform?.architecture} (have: ${have})` : `several images match; choose a platform (have: ${have})`,
  );
}
