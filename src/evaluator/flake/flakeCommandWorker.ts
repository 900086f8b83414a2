/** Worker entry for {@link runFlakeCommandOnWorker}: evaluation needs a big stack. */
import { parentPort, workerData } from "node:worker_threads";
import { LocalStore } from "../../store/index.js";
import { parseHashAnyPrefixed, printHash } from "../../store/format/index.js";
import { type FlakeCommandRequest, runFlakeCommand } from "./flakeCommands.js";

const { request, storeRoot } = workerData as { request: FlakeCommandRequest; storeRoot?: string };
const store = new LocalStore({ root: storeRoot });
try {
  const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
  parentPort!.postMessage(runFlakeCommand(request, Object.assign(store, { narHashOf })));
} finally {
  store.close();
}
