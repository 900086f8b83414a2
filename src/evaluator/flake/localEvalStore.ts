/**
 * The local store as flake evaluation needs it: the EvalStore interface plus the narHash of
 * a path already in the store (for `self.narHash` and lock entries), and builds during evaluation
 * (import from derivation). For the worker entries, which each open their own handle on the store.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LocalStore } from "../../store/index.js";
import { parseHashAnyPrefixed, printHash } from "../../store/format/index.js";
import type { EvalStore } from "../storeApi.js";

export type FlakeEvalStore = EvalStore & { narHashOf(path: string): string };

/** The local store at `storeRoot` with what evaluation needs; the caller closes it. */
export function openLocalEvalStore(storeRoot: string | undefined): FlakeEvalStore & { close(): void } {
  const store = new LocalStore({ root: storeRoot });
  const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
  return Object.assign(store, { narHashOf, buildPaths: (reqs: readonly { drvPath: string }[]) => realiseSync(storeRoot, reqs) });
}

export function withLocalEvalStore<T>(storeRoot: string | undefined, f: (store: FlakeEvalStore) => T): T {
  const store = openLocalEvalStore(storeRoot);
  try {
    return f(store);
  } finally {
    store.close();
  }
}

/**
 * Evaluation is synchronous and the builder is not: `nixoci realise` in a child process builds
 * (or substitutes) the derivations into the same store, its log on our stderr, as Nix does for
 * import from derivation. The SQLite database lets both handles on the store work at once.
 */
function realiseSync(storeRoot: string | undefined, requests: readonly { drvPath: string }[]): void {
  const bin = fileURLToPath(new URL("../../../bin/nixoci.js", import.meta.url));
  const drvs = [...new Set(requests.map((r) => r.drvPath))];
  execFileSync(process.execPath, [bin, "realise", "--no-out-link", ...(storeRoot ? ["--store", storeRoot] : []), ...drvs], { stdio: ["ignore", "ignore", "inherit"] });
}
