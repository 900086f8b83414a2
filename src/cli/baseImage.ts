/**
 * The base image of `build --from` / `push --base`: a local layout or archive, or an image in a
 * registry (`docker://REF`). A registry image is pulled lazily: its manifest and config now, its
 * layers stream from the registry when the output is written or pushed. From an index, the image
 * for the build's system is taken, as `FROM` does.
 */
import { UsageError } from "../errors.js";
import { isImageIndex, type Image } from "../oci/image.js";
import { openLocalImage } from "../oci/output.js";
import { platformFromSystem } from "../oci/spec.js";

export async function openBaseImage(text: string, system: string): Promise<Image> {
  if (text.startsWith("docker://")) {
    const [{ openSource }, { parseImageLocation }] = await Promise.all([import("../oci/transport/copy.js"), import("../oci/transport/location.js")]);
    // The client's keep-alive sockets are unreferenced when idle: nothing to close for the process to end.
    const { image } = await openSource(parseImageLocation(text), { platform: platformFromSystem(system) });
    if (isImageIndex(image)) throw new UsageError(`--from ${text}: the registry returned an index for linux; name one image`);
    return image;
  }
  const image = await openLocalImage(text);
  if (isImageIndex(image)) throw new UsageError(`--from ${text} is an image index; name one image`);
  return image;
}
