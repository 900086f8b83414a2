/** Worker entry for {@link evaluateInstallableOnWorker}: evaluation needs a big stack. */
import { parentPort, workerData } from "node:worker_threads";
import { LocalStore } from "../../store/index.js";
import { parseHashAnyPrefixed, printHash } from "../../store/format/index.js";
import type { EvalRequest } from "./evalInstallable.js";
import { evaluateInstallable } from "./evaluate.js";

const { request, storeRoot } = workerData as { request: EvalRequest; storeRoot?: string };
const store = new LocalStore({ root: storeRoot });
try {
  const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
  const result = evaluateInstallable(request, Object.assign(store, { narHashOf }));
  parentPort!.postMessage(result);
} finally {
  store.close();
}
