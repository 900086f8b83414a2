/**
 * Assembles an Image from layer groups of store paths (chosen by
 * src/layering), the customisation layer and the config, building layers
 * through the cache several at a time.
 */
import { cpus } from "node:os";
import { NixociError } from "../errors.js";
import { customisationTree, type CustomisationSpec } from "./customisation.js";
import { newImage, type Image, type Layer } from "./image.js";
import { buildImageConfig, createdSeconds, historyText, manifestAnnotations } from "./imageConfig.js";
import { LayerCache } from "./layerCache.js";
import { sourceDateEpoch, type TarOptions } from "./layerTar.js";
import type { ImageSettings } from "./settings.js";
import type { Compression, ManifestFormat } from "./spec.js";
import { storePathEntries, type RootMap } from "./tarEntries.js";

export class TooManyLayersError extends NixociError {}

export interface BuildImageInput {
  /** Store path groups, one layer each, in image order (lowest first). */
  layers: string[][];
  /** Where the store paths are on this machine (default: at their own paths). */
  roots?: RootMap;
  settings: ImageSettings;
  /** Nix system string of the image (default x86_64-linux). */
  system?: string;
  /** Base image (`--from`): its layers come first and count against maxLayers. */
  base?: Image;
  cache?: LayerCache;
  compression?: Compression;
  level?: number;
  format?: ManifestFormat;
  /** Layers built at once (default: the number of cores). */
  concurrency?: number;
  /** Environment for SOURCE_DATE_EPOCH (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export function customisationOf(s: ImageSettings): CustomisationSpec {
  return { copyToRoot: s.copyToRoot, linkDirs: s.linkDirs, addUser: s.addUser, tmp: s.tmp, caCertificates: s.caCertificates };
}

export async function buildImage(input: BuildImageInput): Promise<Image> {
  const s = input.settings;
  const cache = input.cache ?? new LayerCache();
  const epoch = sourceDateEpoch(input.env ?? process.env);
  const created = createdSeconds(s, epoch);
  const tarOpts: TarOptions & { compression?: Compression; level?: number } = {
    mtime: epoch,
    perms: s.perms,
    compression: input.compression ?? "gzip",
    level: input.level,
  };

  const tree = await customisationTree(customisationOf(s), input.roots);
  const groups = input.layers.filter((g) => g.length > 0);
  const baseLayers = input.base === undefined ? [] : await input.base.layers();
  const total = baseLayers.length + groups.length + (tree.isEmpty ? 0 : 1);
  const max = s.maxLayers ?? 127;
  if (total > max) {
    throw new TooManyLayersError(
      `the image would have ${total} layers (${baseLayers.length} from the base image, ${groups.length} of store paths${tree.isEmpty ? "" : ", 1 customisation"}) but maxLayers is ${max}`,
    );
  }

  const storeLayers = await mapLimit(groups, input.concurrency ?? cpus().length, (paths) => {
    const sorted = [...paths].sort();
    return cache.layer({ kind: "store-paths", paths: sorted }, () => storePathEntries(sorted, input.roots), tarOpts);
  });
  const layers: Layer[] = [...baseLayers, ...storeLayers];
  const history = groups.map((g) => historyText([...g].sort()));
  if (!tree.isEmpty) {
    const entries = [...tree.entries()];
    // The key is the full description of the tree (small): same tree → same layer.
    const key = {
      kind: "customisation",
      entries: entries.map((e) => ({ ...e, source: "source" in e && Buffer.isBuffer(e.source) ? e.source.toString("base64") : undefined })),
    };
    layers.push(
      await cache.layer(
        key,
        async function* () {
          yield* entries;
        },
        tarOpts,
      ),
    );
    history.push("nixoci: customisation layer");
  }

  const config = buildImageConfig({
    settings: s,
    system: input.system ?? "x86_64-linux",
    created,
    layerHistory: history,
    base: input.base === undefined ? undefined : await input.base.configFile(),
  });
  return newImage({ config, layers, format: input.format, annotations: manifestAnnotations(s, created) });
}
