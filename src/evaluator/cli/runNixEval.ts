/** `nixoci eval` on the main thread, re-run on a big-stack worker if the JS stack overflowed. */
import { runOnBigStack } from "./bigStack.js";
import type { RunResult } from "./instantiate.js";
import { type NixEvalOptions, runNixEval } from "./nixEval.js";

export async function runNixEvalCli(options: NixEvalOptions): Promise<RunResult> {
  const r = runNixEval(options);
  if (!r.jsStackOverflow) return r;
  return runOnBigStack<RunResult>(new URL("./nixEvalWorker.js", import.meta.url), options);
}
