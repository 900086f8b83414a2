/** Worker entry: runs `nixoci eval` on a big stack (see bigStack.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { type NixEvalOptions, runNixEval } from "./nixEval.js";

parentPort!.postMessage(runNixEval(workerData as NixEvalOptions));
