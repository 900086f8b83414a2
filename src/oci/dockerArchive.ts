/**
 * docker-archive (`docker save` / `docker load` format): manifest.json
 * [{Config, RepoTags, Layers}] plus the config and the layers as
 * UNCOMPRESSED tars, named like Docker ≥ 25 does (blobs/sha256/<hex>).
 * Uncompressed because that is the one form `docker load`, `podman load` and
 * `skopeo copy docker-archive:` all take; the tar size must be in the header
 * before the bytes, so each layer is decompressed twice (count, then copy)
 * rather than buffered.
 */
import { Readable } from "node:stream";
import { digestStream, imageFromRawConfig, blobLayer, type Image, type Layer } from "./image.js";
import { parseDigest, encodeDockerArchiveManifest, MediaType, OciFormatError, sha256Digest, DigestMismatchError, type DockerArchiveEntry, type ImageConfig } from "./spec.js";
import { tarSource, writeTarFile, type FileSource, type TarFileEntry } from "./tarFile.js";

export interface DockerArchiveImage {
  image: Image;
  /** `name:tag` references; a name without a tag gets `:latest`. */
  tags: string[];
}

export function normaliseRepoTag(ref: string): string {
  const slash = ref.lastIndexOf("/");
  return ref.slice(slash + 1).includes(":") ? ref : `${ref}:latest`;
}

async function* dockerArchiveEntries(images: DockerArchiveImage[]): AsyncGenerator<TarFileEntry> {
  const manifest: DockerArchiveEntry[] = [];
  const written = new Set<string>();
  yield { name: "blobs", directory: true };
  yield { name: "blobs/sha256", directory: true };
  for (const { image, tags } of images) {
    const rawConfig = await image.rawConfig();
    const configName = `blobs/sha256/${parseDigest(sha256Digest(rawConfig)).hex}`;
    if (!written.has(configName)) {
      written.add(configName);
      yield { name: configName, data: rawConfig };
    }
    const layerNames: string[] = [];
    for (const layer of await image.layers()) {
      const name = `blobs/sha256/${parseDigest(await layer.diffId()).hex}`;
      layerNames.push(name);
      if (written.has(name)) continue;
      written.add(name);
      const { size } = await digestStream(layer.uncompressed());
      yield { name, size, open: () => layer.uncompressed() };
    }
    manifest.push({ Config: configName, RepoTags: tags.length > 0 ? tags.map(normaliseRepoTag) : null, Layers: layerNames });
  }
  yield { name: "manifest.json", data: encodeDockerArchiveManifest(manifest) };
}

export async function writeDockerArchive(dest: string, images: DockerArchiveImage[], mtime = 1): Promise<void> {
  await writeTarFile(dest, dockerArchiveEntries(images), mtime);
}

async function firstBytes(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const c of stream) {
    chunks.push(c as Buffer);
    have += (c as Buffer).length;
    if (have >= n) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, n);
}

function mediaTypeOf(magic: Buffer): string {
  if (magic[0] === 0x1f && magic[1] === 0x8b) return MediaType.OciLayerGzip;
  if (magic.readUInt32LE(0) === 0xfd2fb528) return MediaType.OciLayerZstd;
  return MediaType.OciLayer;
}

/** Opens one image of a docker-archive (the one tagged `tag`, or the only one) as an Image. */
export async function readDockerArchive(file: string, tag?: string): Promise<Image> {
  return imageFromDockerArchiveSource(await tarSource(file), tag);
}

export async function imageFromDockerArchiveSource(src: FileSource, tag?: string): Promise<Image> {
  if (!(await src.has("manifest.json"))) throw new OciFormatError("not a docker archive (no manifest.json)", src.description);
  let entries: DockerArchiveEntry[];
  try {
    entries = JSON.parse((await src.read("manifest.json")).toString("utf8")) as DockerArchiveEntry[];
  } catch (err) {
    throw new OciFormatError(`manifest.json is not valid JSON: ${(err as Error).message}`, src.description);
  }
  const want = tag === undefined ? undefined : normaliseRepoTag(tag);
  const chosen = want === undefined ? entries : entries.filter((e) => (e.RepoTags ?? []).includes(want));
  if (chosen.length !== 1) {
    const tags = entries.flatMap((e) => e.RepoTags ?? []).join(", ") || "none";
    throw new OciFormatError(
      chosen.length === 0 ? `no image tagged '${want}' (tags: ${tags})` : `the archive holds ${chosen.length} images; name one (tags: ${tags})`,
      src.description,
    );
  }
  const entry = chosen[0]!;
  const rawConfig = await src.read(entry.Config);
  const config = JSON.parse(rawConfig.toString("utf8")) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) {
    throw new OciFormatError(`config lists ${diffIds.length} diff_ids but manifest.json ${entry.Layers.length} layers`, src.description);
  }
  const layers: Layer[] = [];
  for (const [i, name] of entry.Layers.entries()) {
    const mediaType = mediaTypeOf(await firstBytes(src.open(name), 4));
    const layer = blobLayer({ mediaType, diffId: diffIds[i], open: () => src.open(name) });
    if (mediaType === MediaType.OciLayer) {
      // Uncompressed: the blob digest must be the diff_id the config promises.
      const digest = await layer.digest();
      if (digest !== diffIds[i]) throw new DigestMismatchError(diffIds[i]!, digest, `${src.description}: ${name}`);
    }
    layers.push(layer);
  }
  return imageFromRawConfig({ rawConfig, layers, format: "docker" });
}
