/**
 * Where we have seen each blob (registry + repository), like skopeo's
 * blob-info cache: a push that finds a blob missing in its target repository
 * tries a cross-repository mount from a repository of the same registry that
 * had it, instead of uploading the bytes again. A small JSON file, loaded once
 * per command and written back atomically; a lost update only costs a mount.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Digest } from "../spec.js";

/** Per digest, most recent first. */
type Store = Record<Digest, string[]>;

const MAX_LOCATIONS_PER_BLOB = 8;
const MAX_BLOBS = 20_000;

export function defaultBlobLocationsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ?? path.join(env.HOME ?? os.homedir(), ".cache");
  return path.join(base, "nixoci", "blob-locations.json");
}

export class BlobLocations {
  private dirty = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly store: Store,
  ) {}

  /** `file` undefined: in memory only (nothing remembered across commands). */
  static async open(file: string | undefined): Promise<BlobLocations> {
    if (file === undefined) return new BlobLocations(undefined, {});
    let store: Store = {};
    try {
      const parsed = JSON.parse(await readFile(file, "utf8")) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) store = parsed as Store;
    } catch {
      // Missing or corrupt: start empty, it is only a cache.
    }
    return new BlobLocations(file, store);
  }

  record(digest: Digest, registry: string, repository: string): void {
    const key = `${registry}/${repository}`;
    const list = this.store[digest] ?? [];
    if (list[0] === key) return;
    // Re-insert so the newest key sits last in object order (eviction drops the oldest).
    delete this.store[digest];
    this.store[digest] = [key, ...list.filter((k) => k !== key)].slice(0, MAX_LOCATIONS_PER_BLOB);
    this.dirty = true;
  }

  /** Other repositories of `registry` known to hold `digest`, most recent first. */
  candidates(digest: Digest, registry: string, exceptRepository: string): string[] {
    const prefix = `${registry}/`;
    return (this.store[digest] ?? [])
      .filter((k) => k.startsWith(prefix) && k !== `${prefix}${exceptRepository}`)
      .map((k) => k.slice(prefix.length));
  }

  forget(digest: Digest, registry: string, repository: string): void {
    const list = this.store[digest];
    if (!list) return;
    this.store[digest] = list.filter((k) => k !== `${registry}/${repository}`);
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const keys = Object.keys(this.store);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_BLOBS))) delete this.store[k];
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.store));
    await rename(tmp, this.file);
    this.dirty = false;
  }
}
