/**
 * Runs `nixoci instantiate` on the main thread, and again on a big-stack
 * worker only if the JS stack overflowed (evaluation is deterministic and
 * buffered, so the first attempt leaves nothing behind but idempotent store adds).
 */
import type { EvalStore } from "../storeApi.js";
import { type InstantiateOptions, type RunResult, runInstantiate, writesStore } from "./instantiate.js";

export async function runInstantiateCli(options: InstantiateOptions): Promise<RunResult> {
  // The local store (SQLite, builder for import from derivation) is loaded only when the evaluation writes.
  const open = writesStore(options) ? (await import("../flake/localEvalStore.js")).openLocalEvalStore : undefined;
  let store: (EvalStore & { close?: () => void }) | undefined;
  try {
    const r = runInstantiate(options, (root) => (store = open!(root)));
    if (!r.jsStackOverflow) return r;
  } finally {
    store?.close?.();
  }
  // worker_threads only when needed: most evaluations fit the main thread's stack.
  const { runOnBigStack } = await import("./bigStack.js");
  return runOnBigStack<RunResult>(new URL("./instantiateWorker.js", import.meta.url), options);
}
