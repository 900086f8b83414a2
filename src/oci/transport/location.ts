/**
 * skopeo-style transport names for `nixoci copy SRC DST`:
 * `docker://REF`, `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME:TAG]`.
 */
import { UsageError } from "../../errors.js";
import { parseReference, type Reference } from "../registry/reference.js";

export type ImageLocation =
  | { readonly transport: "docker"; readonly reference: Reference; readonly text: string }
  | { readonly transport: "oci" | "oci-archive" | "docker-archive"; readonly path: string; readonly tag?: string; readonly text: string };

const TRANSPORTS = "docker://REF, oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]";

export function parseImageLocation(text: string): ImageLocation {
  if (text.startsWith("docker://")) return { transport: "docker", reference: parseReference(text.slice("docker://".length)), text };
  const colon = text.indexOf(":");
  const transport = colon < 0 ? "" : text.slice(0, colon);
  if (transport !== "oci" && transport !== "oci-archive" && transport !== "docker-archive") {
    throw new UsageError(`'${text}' names no known transport (${TRANSPORTS})`);
  }
  const rest = text.slice(colon + 1);
  if (rest === "") throw new UsageError(`'${text}': missing path`);
  // Like skopeo: the path ends at the first ':' (paths with ':' are not supported as destinations).
  const sep = rest.indexOf(":");
  const path = sep < 0 ? rest : rest.slice(0, sep);
  const tag = sep < 0 ? undefined : rest.slice(sep + 1);
  return tag !== undefined && tag !== "" ? { transport, path, tag, text } : { transport, path, text };
}
