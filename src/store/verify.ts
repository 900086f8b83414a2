/**
 * `nix-store --verify [--check-contents]`: every registered path exists,
 * its references are valid, and (with contents) its NAR hash and size
 * match the database.
 */
import { existsSync, lstatSync } from "node:fs";
import { parseHashAny, printHash } from "./format/index.js";
import type { LocalStore } from "./localStore.js";
import { narHashOfPathSync } from "./narOps.js";

export interface VerifyProblem {
  readonly path: string;
  readonly message: string;
}

export function verifyStore(store: LocalStore, options: { checkContents?: boolean } = {}): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  for (const path of store.queryAllValidPaths().sort()) {
    const real = store.toRealPath(path);
    if (!existsSync(real) && !isSymlink(real)) {
      problems.push({ path, message: `path '${path}' disappeared, but it still has valid referrers!` });
      continue;
    }
    const info = store.queryPathInfo(path);
    for (const r of info.references)
      if (!store.isValidPath(r)) problems.push({ path, message: `path '${path}' refers to invalid path '${r}'` });
    if (options.checkContents) {
      const { hash, size } = narHashOfPathSync(real);
      if (printHash(hash, "base16", true) !== info.narHash)
        problems.push({
          path,
          message: `path '${path}' was modified! expected hash '${printHash(parseHashAny(info.narHash), "nix32", true)}', got '${printHash(hash, "nix32", true)}'`,
        });
      else if (size !== info.narSize)
        problems.push({ path, message: `path '${path}' has NAR size ${size}, but the database says ${info.narSize}` });
    }
  }
  return problems;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
