/**
 * Nix's canonicalisePathMetaData: every object in a store path gets
 * mtime 1 and mode 0444 (0555 when executable by the owner, and for
 * directories), so its NAR and the on-disk tree agree and no one can write.
 */
import { chmodSync, closeSync, fsyncSync, lstatSync, lutimesSync, openSync, readdirSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { StoreError } from "./errors.js";

/** Canonicalise metadata of `path` and everything below it. */
export function canonicalisePathMetaData(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) {
    lutimesSync(path, st.atime, 1);
    return;
  }
  if (!st.isFile() && !st.isDirectory())
    throw new StoreError(`file '${path}' has an unsupported type`, path);
  const perm = st.mode & 0o7777;
  const wanted = 0o444 | (st.mode & 0o100 ? 0o111 : 0);
  if (st.isDirectory()) {
    // Children first: keep the directory writable until they are done.
    if ((perm & 0o700) !== 0o700) chmodSync(path, perm | 0o700);
    for (const entry of readdirSync(path)) canonicalisePathMetaData(join(path, entry));
    chmodSync(path, 0o555);
  } else if (perm !== wanted) {
    chmodSync(path, wanted);
  }
  lutimesSync(path, st.atime, 1);
}

/** Make `path` (and everything below) owner-writable again, so it can be deleted. */
export function makeDeletable(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) chmodSync(path, (st.mode & 0o7777) | 0o700);
  for (const entry of readdirSync(path)) makeDeletable(join(path, entry));
}

/**
 * Make everything under `path` durable before it is registered. A single
 * file is fsync'ed; a directory tree gets one syncfs of its file system
 * (`sync -f`), far cheaper than an fsync per file for large outputs, with
 * per-file fsync as the fallback when `sync -f` is unavailable.
 */
export function fsyncTree(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (!st.isDirectory()) return fsyncPath(path);
  try {
    execFileSync("sync", ["-f", path], { stdio: "ignore" });
  } catch {
    fsyncEach(path);
  }
}

function fsyncEach(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) for (const entry of readdirSync(path)) fsyncEach(join(path, entry));
  fsyncPath(path);
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Delete a file system object even when canonicalisation made it read-only. */
export function deletePath(path: string): void {
  makeDeletable(path);
  rmSync(path, { recursive: true, force: true });
}
