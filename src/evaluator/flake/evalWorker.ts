/** Worker entry for {@link evaluateInstallableOnWorker}: evaluation needs a big stack. */
import { parentPort, workerData } from "node:worker_threads";
import type { EvalRequest } from "./evalInstallable.js";
import { evaluateInstallable } from "./evaluate.js";
import { withLocalEvalStore } from "./localEvalStore.js";

const { request, storeRoot } = workerData as { request: EvalRequest; storeRoot?: string };
parentPort!.postMessage(withLocalEvalStore(storeRoot, (store) => evaluateInstallable(request, store)));
