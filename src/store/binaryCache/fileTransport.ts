/** A binary cache in a local directory (file:///dir), written as Nix's LocalBinaryCacheStore: temp file + rename. */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { BinaryCacheError } from "./errors.js";
import type { CacheTransport } from "./transport.js";

export class FileTransport implements CacheTransport {
  readonly uri: string;
  constructor(readonly dir: string) {
    this.uri = `file://${dir}`;
  }

  private full(path: string): string {
    return join(this.dir, path);
  }

  async get(path: string): Promise<Readable | undefined> {
    try {
      const fh = await open(this.full(path), "r");
      return fh.createReadStream({ highWaterMark: 1 << 20 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new BinaryCacheError(`cannot read '${path}' from binary cache '${this.uri}': ${(err as Error).message}`, this.uri, undefined, { cause: err });
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.full(path));
      return true;
    } catch {
      return false;
    }
  }

  private tempName(path: string): string {
    return `${this.full(path)}.tmp.${process.pid}.${randomBytes(4).toString("hex")}`;
  }

  async putBytes(path: string, data: Buffer): Promise<void> {
    const dest = this.full(path);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = this.tempName(path);
    try {
      await writeFile(tmp, data);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new BinaryCacheError(`cannot write '${path}' to binary cache '${this.uri}': ${(err as Error).message}`, this.uri, undefined, { cause: err });
    }
  }

  /** The directories `nix copy --to file://` creates in a cache (LocalBinaryCacheStore::init). */
  async createLayout(): Promise<void> {
    for (const d of ["nar", "realisations", "log"]) await mkdir(this.full(d), { recursive: true });
  }

  async stagingDir(): Promise<string> {
    const nar = this.full("nar");
    await mkdir(nar, { recursive: true });
    return mkdtemp(join(nar, ".nixoci-staging-"));
  }

  async putFile(path: string, localFile: string): Promise<void> {
    const dest = this.full(path);
    try {
      await mkdir(dirname(dest), { recursive: true });
      await rename(localFile, dest);
    } catch (err) {
      await rm(localFile, { force: true });
      throw new BinaryCacheError(`cannot write '${path}' to binary cache '${this.uri}': ${(err as Error).message}`, this.uri, undefined, { cause: err });
    }
  }

  close(): void {}
}
