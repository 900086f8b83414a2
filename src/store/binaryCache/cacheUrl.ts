/**
 * Binary cache store URLs as Nix writes them: `file:///dir`, `http(s)://host/prefix`,
 * with store parameters in the query (`?compression=xz&secret-key=/path`).
 */
import { CacheConfigError } from "./errors.js";

export interface CacheUrl {
  /** The URL without the query, as Nix prints it (`file:///dir`, no trailing slash). */
  readonly uri: string;
  readonly scheme: "file" | "http" | "https";
  /** For file://: the directory. */
  readonly path: string;
  readonly params: ReadonlyMap<string, string>;
}

export function parseCacheUrl(url: string): CacheUrl {
  const q = url.indexOf("?");
  const base = (q < 0 ? url : url.slice(0, q)).replace(/\/+$/, "");
  const params = new Map<string, string>();
  if (q >= 0) for (const [k, v] of new URLSearchParams(url.slice(q + 1))) params.set(k, v);
  if (base.startsWith("file://")) {
    const path = decodeURIComponent(base.slice("file://".length));
    if (!path.startsWith("/")) throw new CacheConfigError(`binary cache URL '${url}' must name an absolute directory`);
    return { uri: base, scheme: "file", path, params };
  }
  if (base.startsWith("http://") || base.startsWith("https://")) {
    try {
      new URL(base);
    } catch {
      throw new CacheConfigError(`invalid binary cache URL '${url}'`);
    }
    return { uri: base, scheme: base.startsWith("https:") ? "https" : "http", path: "", params };
  }
  throw new CacheConfigError(`don't know how to open binary cache '${url}' (only file://, http:// and https:// are supported)`);
}
