/**
 * The three local outputs (`--format layout|oci|docker -o PATH`) and the
 * matching inputs (`oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
 * `docker-archive:FILE[:TAG]`, the same transport names skopeo uses).
 * Several images become one multi-platform index (layout, oci) or several
 * manifest.json entries with the same tag (docker).
 */
import { stat } from "node:fs/promises";
import { NixociError, UsageError } from "../errors.js";
import { readDockerArchive, writeDockerArchive } from "./dockerArchive.js";
import { dirSource } from "./dirSource.js";
import { newIndex, type Image } from "./image.js";
import { layoutTarEntries, readLayout, writeLayout, type ImageOrIndex } from "./layout.js";
import type { ManifestFormat } from "./spec.js";
import { tarSource, writeTarFile } from "./tarFile.js";

export type OutputFormat = "layout" | "oci" | "docker";

export interface WriteOutputOptions {
  format: OutputFormat;
  output: string;
  images: Image[];
  /** Reference name, e.g. `hello:1.0` (layout/oci-archive: the tag part names it in index.json). */
  ref?: string;
  /** Media type family of the index when there are several images. */
  manifestFormat?: ManifestFormat;
  /** mtime of archive members (SOURCE_DATE_EPOCH). */
  mtime?: number;
}

/** `name:tag` → tag (the ref.name of an OCI layout entry); a bare name gives `latest`. */
export function tagOf(ref: string): string {
  const last = ref.slice(ref.lastIndexOf("/") + 1);
  const colon = last.lastIndexOf(":");
  return colon >= 0 ? last.slice(colon + 1) : "latest";
}

export async function writeOutput(o: WriteOutputOptions): Promise<void> {
  if (o.images.length === 0) throw new NixociError("no image to write");
  const target: ImageOrIndex = o.images.length === 1 ? o.images[0]! : newIndex({ images: o.images, format: o.manifestFormat });
  const tag = o.ref === undefined ? undefined : tagOf(o.ref);
  switch (o.format) {
    case "layout":
      return writeLayout(o.output, target, { tag });
    case "oci":
      return writeTarFile(o.output, await layoutTarEntries(target, { tag }), o.mtime);
    case "docker":
      return writeDockerArchive(
        o.output,
        o.images.map((image) => ({ image, tags: o.ref === undefined ? [] : [o.ref] })),
        o.mtime,
      );
    default:
      throw new UsageError(`unknown output format '${String(o.format)}' (layout, oci, docker)`);
  }
}

/** Splits `path[:tag]`: the path is the shortest prefix before a ':' that exists (tags may hold ':', as in name:tag). */
async function splitPathTag(rest: string): Promise<{ path: string; tag?: string }> {
  const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
  for (let i = rest.indexOf(":"); i > 0; i = rest.indexOf(":", i + 1)) {
    if (await exists(rest.slice(0, i))) return { path: rest.slice(0, i), tag: rest.slice(i + 1) };
  }
  return { path: rest };
}

/** Opens `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]` or `docker-archive:FILE[:TAG]`. */
export async function openLocalImage(reference: string): Promise<ImageOrIndex> {
  const colon = reference.indexOf(":");
  const transport = colon < 0 ? "" : reference.slice(0, colon);
  const rest = reference.slice(colon + 1);
  switch (transport) {
    case "oci": {
      const { path, tag } = await splitPathTag(rest);
      return readLayout(dirSource(path), tag);
    }
    case "oci-archive": {
      const { path, tag } = await splitPathTag(rest);
      return readLayout(await tarSource(path), tag);
    }
    case "docker-archive": {
      const { path, tag } = await splitPathTag(rest);
      return readDockerArchive(path, tag);
    }
    default:
      throw new UsageError(`'${reference}' is not a local image reference (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG])`);
  }
}
