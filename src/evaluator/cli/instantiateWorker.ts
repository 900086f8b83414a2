/** Worker entry: runs `nixoci instantiate` (see bigStack.ts). */
import { parentPort, workerData } from "node:worker_threads";
import type { EvalStore } from "../storeApi.js";
import { type InstantiateOptions, runInstantiate, writesStore } from "./instantiate.js";
import { NixSettings } from "./nixSettings.js";

const options = workerData as InstantiateOptions;
if (options.settings !== undefined) options.settings = NixSettings.revive(options.settings);
// The local store (SQLite, builder) is loaded only when the evaluation writes (see writesStore).
const open = writesStore(options) ? (await import("../flake/localEvalStore.js")).openLocalEvalStore : undefined;
let store: (EvalStore & { close(): void }) | undefined;
const result = runInstantiate(options, (root): EvalStore => (store = open!(root)));
store?.close();
parentPort!.postMessage(result);
