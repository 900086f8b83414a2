/**
 * The local store as flake evaluation needs it: the EvalStore interface plus the narHash of
 * a path already in the store (for `self.narHash` and lock entries). For the worker entries,
 * which each open their own handle on the store.
 */
import { LocalStore } from "../../store/index.js";
import { parseHashAnyPrefixed, printHash } from "../../store/format/index.js";
import type { EvalStore } from "../storeApi.js";

export type FlakeEvalStore = EvalStore & { narHashOf(path: string): string };

export function withLocalEvalStore<T>(storeRoot: string | undefined, f: (store: FlakeEvalStore) => T): T {
  const store = new LocalStore({ root: storeRoot });
  try {
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    return f(Object.assign(store, { narHashOf }));
  } finally {
    store.close();
  }
}
