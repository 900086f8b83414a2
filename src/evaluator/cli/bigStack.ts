/**
 * Runs a synchronous evaluation on a worker thread with a large stack, so
 * that deep (but legitimate) recursion in Nix code does not overflow the JS
 * stack; Nix's own limit (max-call-depth) still applies inside.
 */
import { Worker } from "node:worker_threads";

export const EVAL_STACK_MB = 1024;

export function runOnBigStack<T>(workerUrl: URL, data: unknown): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const w = new Worker(workerUrl, { workerData: data, resourceLimits: { stackSizeMb: EVAL_STACK_MB }, stdout: false, stderr: false });
    let result: T | undefined;
    let got = false;
    w.on("message", (m: T) => {
      result = m;
      got = true;
    });
    w.on("error", reject);
    w.on("exit", (code) => {
      if (got) resolvePromise(result as T);
      else reject(new Error(`evaluation worker exited with code ${code}`));
    });
  });
}
