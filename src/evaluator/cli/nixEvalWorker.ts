/** Worker entry: runs `nixoci eval` on a big stack (see bigStack.ts). */
import { parentPort, workerData } from "node:worker_threads";
import type { NixEvalOptions } from "./nixEval.js";
import { runNixEvalWithStore } from "./runNixEval.js";

parentPort!.postMessage(await runNixEvalWithStore(workerData as NixEvalOptions));
