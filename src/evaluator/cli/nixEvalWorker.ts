/** Worker entry: runs `nixoci eval` on a big stack (see bigStack.ts). */
import { parentPort, workerData } from "node:worker_threads";
import type { NixEvalOptions } from "./nixEval.js";
import { NixSettings } from "./nixSettings.js";
import { runNixEvalWithStore } from "./runNixEval.js";

const options = workerData as NixEvalOptions;
if (options.settings !== undefined) options.settings = NixSettings.revive(options.settings);
parentPort!.postMessage(await runNixEvalWithStore(options));
