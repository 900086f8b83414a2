// Worker for fuzz.test.ts: evaluates inputs with nixoci's in-process instantiate (from dist/) and
// reports progress before each one, so the parent can detect a hang and name the input.
import { parentPort, workerData } from "node:worker_threads";

const { root, cwd, inputs, start } = workerData;
const { parseInstantiateArgs } = await import(`${root}/dist/evaluator/cli/parseArgs.js`);
const { runInstantiate } = await import(`${root}/dist/evaluator/cli/instantiate.js`);
const { MemoryStore } = await import(`${root}/dist/evaluator/memoryStore.js`);

let values = 0;
let errors = 0;
const env = { PATH: process.env.PATH, HOME: "/homeless", NIX_PATH: "" };
for (let i = start; i < inputs.length; i++) {
  parentPort.postMessage({ progress: i });
  try {
    // A leading space keeps an expression such as "-1" from being read as a flag.
    const options = parseInstantiateArgs(["--eval", "--strict", "-E", " " + inputs[i]], cwd, env);
    const r = runInstantiate(options, () => new MemoryStore());
    if (r.exitCode === 0) values++;
    else errors++;
    if (r.exitCode !== 0 && !/(^|\n)( {7})?error: \S/.test(Buffer.from(r.stderr, "latin1").toString("utf8"))) {
      parentPort.postMessage({ bad: { index: i, kind: "failure without a Nix-style error", detail: r.stderr.slice(0, 300) } });
    }
  } catch (e) {
    parentPort.postMessage({ bad: { index: i, kind: "JS exception", detail: String(e?.stack ?? e).slice(0, 600) } });
  }
}
parentPort.postMessage({ done: true, values, errors });
