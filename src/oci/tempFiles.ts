/**
 * Outputs are written under a temporary name and renamed into place, so an
 * error never leaves a half-written file under the real name. This module
 * remembers the temporary names that exist right now so that Ctrl-C
 * (SIGINT/SIGTERM) removes them too before the process exits.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const live = new Set<string>();
let installed = false;

function cleanupNow(): void {
  for (const p of live) rmSync(p, { recursive: true, force: true });
  live.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      cleanupNow();
      // Re-raise so the exit status says which signal ended us (130 for SIGINT in a shell).
      process.kill(process.pid, sig);
    });
  }
  process.once("exit", cleanupNow);
}

/** A fresh temporary name next to `finalPath` (same filesystem, so rename is atomic). */
export function tempPathFor(finalPath: string): string {
  install();
  const p = join(dirname(finalPath), `.${basename(finalPath)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  live.add(p);
  return p;
}

/** Moves the temporary into place (replacing what is there) and forgets it. */
export async function commitTemp(tempPath: string, finalPath: string): Promise<void> {
  await rename(tempPath, finalPath);
  live.delete(tempPath);
}

export async function discardTemp(tempPath: string): Promise<void> {
  await rm(tempPath, { recursive: true, force: true });
  live.delete(tempPath);
}

/**
 * Runs `write(tmp)` and renames tmp to `finalPath` only if it succeeded;
 * otherwise removes tmp and rethrows.
 */
export async function writeAtomically<T>(finalPath: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(finalPath);
  try {
    const result = await write(tmp);
    await commitTemp(tmp, finalPath);
    return result;
  } catch (err) {
    await discardTemp(tmp);
    throw err;
  }
}
