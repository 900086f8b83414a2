/**
 * Progress for blobs read from a source (a pull into a local layout or
 * archive): the image as it is, with each layer's stream reporting its bytes.
 */
import { Transform } from "node:stream";
import { isImageIndex, memo, type Image, type ImageIndex, type Layer } from "../image.js";
import type { ProgressReporter } from "../registry/progress.js";

function layerWithProgress(layer: Layer, progress: ProgressReporter): Layer {
  return {
    mediaType: layer.mediaType,
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    uncompressed: () => layer.uncompressed(),
    compressed: () => {
      const source = layer.compressed();
      let n = 0;
      let started = false;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          void (async () => {
            if (!started) {
              started = true;
              progress.start(await layer.digest(), await layer.size());
            }
            n += chunk.length;
            progress.update(await layer.digest(), n);
            cb(null, chunk);
          })().catch(cb);
        },
        flush(cb) {
          layer.digest().then((d) => {
            progress.done(d, "pulled");
            cb();
          }, cb);
        },
      });
      source.on("error", (e) => counter.destroy(e));
      counter.on("close", () => source.destroy());
      return source.pipe(counter);
    },
  };
}

function imageWithProgress(image: Image, progress: ProgressReporter): Image {
  const layers = memo(async () => (await image.layers()).map((l) => layerWithProgress(l, progress)));
  return {
    mediaType: image.mediaType,
    rawManifest: () => image.rawManifest(),
    manifest: () => image.manifest(),
    rawConfig: () => image.rawConfig(),
    configFile: () => image.configFile(),
    digest: () => image.digest(),
    layers,
  };
}

export function withPullProgress(target: Image | ImageIndex, progress: ProgressReporter): Image | ImageIndex {
  if (!isImageIndex(target)) return imageWithProgress(target, progress);
  const images = memo(async () => (await target.images()).map((e) => ({ descriptor: e.descriptor, image: imageWithProgress(e.image, progress) })));
  return {
    mediaType: target.mediaType,
    rawManifest: () => target.rawManifest(),
    manifest: () => target.manifest(),
    digest: () => target.digest(),
    images,
  };
}
