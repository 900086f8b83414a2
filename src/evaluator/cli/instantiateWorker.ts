/** Worker entry: runs `nixoci instantiate` (see bigStack.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { LocalStore } from "../../store/index.js";
import { type InstantiateOptions, runInstantiate } from "./instantiate.js";

const options = workerData as InstantiateOptions;
const result = runInstantiate(options, (root) => new LocalStore({ root }));
parentPort!.postMessage(result);
