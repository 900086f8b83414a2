/** `nixoci eval` on the main thread, re-run on a big-stack worker if the JS stack overflowed. */
import { runOnBigStack } from "./bigStack.js";
import type { RunResult } from "./instantiate.js";
import { type NixEvalOptions, runNixEval } from "./nixEval.js";

/** Runs `nixoci eval`; a flake installable is evaluated against the local store (loaded only then). */
export async function runNixEvalWithStore(options: NixEvalOptions): Promise<RunResult> {
  if (!options.flake) return runNixEval(options);
  const { withLocalEvalStore } = await import("../flake/localEvalStore.js");
  return withLocalEvalStore(options.flake.storeRoot, (store) => runNixEval(options, store));
}

export async function runNixEvalCli(options: NixEvalOptions): Promise<RunResult> {
  const r = await runNixEvalWithStore(options);
  if (!r.jsStackOverflow) return r;
  return runOnBigStack<RunResult>(new URL("./nixEvalWorker.js", import.meta.url), options);
}
