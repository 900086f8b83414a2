/**
 * docker-archive holds uncompressed layer tars; pushing them as they are
 * wastes bandwidth and yields a Docker manifest with OCI tar layers, which
 * older clients (skopeo 1.9) reject. Like skopeo, gzip them on the way to a
 * registry: the deterministic compressor runs once to learn digest and size,
 * and again, streaming, for the upload (no temp files).
 */
import { compressStream } from "../compression.js";
import { blobLayer, imageFromRawConfig, type Image, type Layer } from "../image.js";
import { MediaType } from "../spec.js";

export async function gzipUncompressedLayers(image: Image): Promise<Image> {
  const layers = await image.layers();
  if (!layers.some((l) => l.mediaType === MediaType.OciLayer)) return image;
  const docker = image.mediaType === MediaType.DockerManifest;
  const converted: Layer[] = [];
  for (const layer of layers) {
    if (layer.mediaType !== MediaType.OciLayer) {
      converted.push(layer);
      continue;
    }
    converted.push(
      blobLayer({
        mediaType: docker ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip,
        diffId: await layer.diffId(),
        open: () => {
          const gzip = compressStream("gzip");
          const tar = layer.compressed();
          tar.on("error", (e) => gzip.destroy(e));
          return tar.pipe(gzip);
        },
      }),
    );
  }
  return imageFromRawConfig({ rawConfig: await image.rawConfig(), layers: converted, format: docker ? "docker" : "oci" });
}
