/**
 * Small test images built with the OCI engineer's `newImage`/`blobLayer`:
 * gzip layers of random bytes (incompressible, so sizes are what we ask for)
 * held in memory, plus a config.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { blobLayer, newImage, type Image } from "../../../src/oci/image.js";
import { MediaType, sha256Digest } from "../../../src/oci/spec.js";

export function testImage(layerSizes: number[], opts: { seedLabel?: string; chunk?: number } = {}): { image: Image; blobs: Map<string, Buffer> } {
  const blobs = new Map<string, Buffer>();
  const layers = layerSizes.map((size) => {
    const raw = randomBytes(size);
    const gz = gzipSync(raw, { level: 1 });
    blobs.set(sha256Digest(gz), gz);
    const chunk = opts.chunk ?? 64 * 1024;
    return blobLayer({
      mediaType: MediaType.OciLayerGzip,
      digest: sha256Digest(gz),
      size: gz.length,
      diffId: sha256Digest(raw),
      // Several chunks per stream, like a file read, so uploads really stream.
      open: () => Readable.from((function* () {
        for (let i = 0; i < gz.length; i += chunk) yield gz.subarray(i, i + chunk);
      })()),
    });
  });
  const image = newImage({
    config: {
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/sh"], Labels: { "nixoci.test": opts.seedLabel ?? randomBytes(4).toString("hex") } },
      rootfs: { type: "layers", diff_ids: [] },
    },
    layers,
  });
  return { image, blobs };
}
