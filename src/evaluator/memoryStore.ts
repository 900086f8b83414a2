/**
 * An EvalStore that only computes store paths (what `nix-instantiate --eval`
 * and `--readonly-mode` need): nothing is written; paths that were "added"
 * are remembered as valid for this process.
 */
import { lstatSync } from "node:fs";
import type { EvalStore } from "./storeApi.js";
import { narHashPathSync, hashFileSync } from "../store/format/nar.js";
import { DEFAULT_STORE_DIR, computeTextPath, makeFixedOutputPath, makeSourcePath } from "../store/format/storePath.js";
import { printHash } from "../store/format/hash.js";
import { EvalError } from "./evalError.js";

/**
 * For Nix's `dummy://` store URI (`--store dummy://?store=/foo`): a store that holds nothing, with
 * its store directory; undefined for any other store.
 */
export function dummyStore(uri: string | undefined): MemoryStore | undefined {
  if (uri === undefined || !uri.startsWith("dummy://")) return undefined;
  const query = uri.includes("?") ? new URLSearchParams(uri.slice(uri.indexOf("?") + 1)) : undefined;
  return new MemoryStore(query?.get("store") ?? DEFAULT_STORE_DIR);
}

export class MemoryStore implements EvalStore {
  private readonly valid = new Set<string>();
  /** Texts added by addTextToStore, by store path. */
  readonly texts = new Map<string, string>();
  /** Where the contents of paths added with addPathToStore are on disk (they are not copied). */
  private readonly sources = new Map<string, string>();

  constructor(readonly storeDir: string = DEFAULT_STORE_DIR) {}

  addTextToStore(name: string, text: string, references: readonly string[]): string {
    const p = computeTextPath(name, text, [...references].sort(), this.storeDir);
    this.valid.add(p);
    this.texts.set(p, text);
    return p;
  }

  addPathToStore(
    srcPath: string,
    options: {
      name: string;
      method: "recursive" | "flat";
      filter?: (path: string, type: "regular" | "directory" | "symlink" | "unknown") => boolean;
      expectedHash?: string;
    },
  ): string {
    let p: string;
    let got: string;
    if (options.method === "recursive") {
      const { hash } = narHashPathSync(srcPath, { filter: options.filter });
      got = printHash(hash, "nix32");
      p = makeSourcePath(options.name, hash, [], false, this.storeDir);
    } else {
      if (!lstatSync(srcPath).isFile()) throw new EvalError(`path '${srcPath}' is not a regular file`);
      const hash = hashFileSync(srcPath, "sha256");
      got = printHash(hash, "nix32");
      p = makeFixedOutputPath("flat", hash, options.name, {}, this.storeDir);
    }
    if (options.expectedHash !== undefined && options.expectedHash !== got) {
      throw new EvalError(`hash mismatch in file downloaded from '${srcPath}':\n  specified: sha256:${options.expectedHash}\n  got:       sha256:${got}`);
    }
    this.valid.add(p);
    if (!options.filter) this.sources.set(p, srcPath);
    return p;
  }

  isValidPath(storePath: string): boolean {
    return this.valid.has(storePath);
  }

  toRealPath(storePath: string): string {
    return this.sources.get(storePath) ?? storePath;
  }
}
