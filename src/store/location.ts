/**
 * Where a store lives on this machine. Like Nix's chroot stores
 * (`--store /tmp/x`), a store has a root directory R: objects are in
 * `R/nix/store`, the state (database, gcroots, logs) in `R/nix/var`.
 * The logical store directory used for every hash is always `/nix/store`.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const LOGICAL_STORE_DIR = "/nix/store";

export interface StoreLocation {
  /** Root directory; "/" for the real /nix/store. */
  readonly root: string;
  /** Physical directory holding store objects (`root/nix/store`). */
  readonly realStoreDir: string;
  /** Nix's state dir (`root/nix/var/nix`): db/, gcroots/, temproots/, profiles/. */
  readonly stateDir: string;
  /** Nix's log dir (`root/nix/var/log/nix`): drvs/xx/rest. */
  readonly logDir: string;
  /** Our own state (`root/nix/var/nixoci`): locks database, build temp dirs. */
  readonly nixociDir: string;
}

export function storeLocationAt(root: string): StoreLocation {
  const r = root === "/" ? "" : root.replace(/\/+$/, "");
  return {
    root: root === "/" ? "/" : r,
    realStoreDir: `${r}/nix/store`,
    stateDir: `${r}/nix/var/nix`,
    logDir: `${r}/nix/var/log/nix`,
    nixociDir: `${r}/nix/var/nixoci`,
  };
}

/**
 * The default store root: `--store DIR` / `NIXOCI_STORE`, else the real
 * /nix/store only when it is writable AND no real Nix database exists (we
 * never share Nix's store without its database), else the per-user data dir.
 */
export function defaultStoreRoot(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.NIXOCI_STORE) return env.NIXOCI_STORE;
  if (!existsSync("/nix/var/nix/db") && isWritableDir("/nix/store")) return "/";
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local/share");
  return join(dataHome, "nixoci/store");
}

function isWritableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
