// Fuzz test: 10 000 deterministic mutations of the corpus's one-line cases, each evaluated by
// nixoci's in-process instantiate (dist/, built by `npm test`) on a big-stack worker. Every input
// must end in a value or a Nix-style "error: …", never a JS exception, a silent failure or a hang.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

const root = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
const corpusDir = join(root, "tests/evaluator/corpus");
const haveEvaluator = existsSync(join(root, "dist/evaluator/cli/instantiate.js"));
const INPUTS = 10_000;
/** No single mutated one-liner should take this long; Nix answers each in milliseconds. */
const HANG_MS = 20_000;

/** Cases that are deliberately heavy; their mutations could legitimately run for long. */
const HEAVY = /genList|foldl'|fib|fact|deep|Repeat|bigGen|longFold|genericClosure/;

function seeds(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(corpusDir).filter((f) => f.endsWith(".nix") && f !== "context.nix").sort()) {
    for (const line of readFileSync(join(corpusDir, f), "utf8").split("\n")) {
      const m = /^ {2}(\w+) = (.*);$/.exec(line);
      if (m !== null && !HEAVY.test(line)) out.push(m[2]!);
    }
  }
  return out;
}

/** xorshift32: the same inputs on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const TOKENS = [
  "(", ")", "{", "}", "[", "]", ";", "=", ".", ":", '"', "''", "${", "\\", "-", "+", "*", "/", "//", "?", "@", ",",
  "++", "==", "!", "&&", "||", "->", " or ", " rec ", "let x = 1; in ", " with { }; ", " inherit ", "null", "0", "-1",
  "1.5", "x", "builtins", 'throw "t"', "assert false; ", "{ a = 1; }", "[ ]", "x: x", "./.", "true", "\n", "#", "/*",
];
const NUMBERS = ["0", "1", "-1", "2", "7", "100", "1.5", "0.0"];
const BUILTINS = [
  "builtins.length", "builtins.head", "builtins.tail", "builtins.attrNames", "builtins.toString", "toString", "builtins.typeOf",
  "builtins.toJSON", "builtins.fromJSON", "builtins.split", "builtins.match", "builtins.substring", "builtins.elemAt",
  "builtins.map", "builtins.filter", "builtins.sort", "builtins.concatStringsSep", "builtins.getContext", "builtins.seq",
];

function mutate(src: string, rnd: () => number): string {
  let s = src;
  const ops = 1 + Math.floor(rnd() * 3);
  const at = (): number => Math.floor(rnd() * (s.length + 1));
  for (let k = 0; k < ops; k++) {
    const op = Math.floor(rnd() * 6);
    if (op === 0) {
      const i = at();
      s = s.slice(0, i) + s.slice(i + 1 + Math.floor(rnd() * 5));
    } else if (op === 1) {
      const i = at();
      const j = Math.min(s.length, i + 1 + Math.floor(rnd() * 8));
      s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
    } else if (op === 2) {
      const i = at();
      s = s.slice(0, i) + TOKENS[Math.floor(rnd() * TOKENS.length)] + s.slice(i);
    } else if (op === 3) {
      const i = at();
      const j = at();
      const [a, b] = i < j ? [i, j] : [j, i];
      s = s.slice(0, a) + s.slice(b) + s.slice(a, b);
    } else if (op === 4) {
      const nums = [...s.matchAll(/-?\d+(\.\d+)?/g)];
      const m = nums[Math.floor(rnd() * nums.length)];
      if (m?.index !== undefined) s = s.slice(0, m.index) + NUMBERS[Math.floor(rnd() * NUMBERS.length)] + s.slice(m.index + m[0].length);
    } else {
      const names = [...s.matchAll(/builtins\.\w+|\btoString\b/g)];
      const m = names[Math.floor(rnd() * names.length)];
      if (m?.index !== undefined) s = s.slice(0, m.index) + BUILTINS[Math.floor(rnd() * BUILTINS.length)] + s.slice(m.index + m[0].length);
    }
  }
  return s;
}

interface Bad {
  index: number;
  kind: string;
  detail: string;
}

/** Runs all inputs, restarting the worker after a hang; returns the inputs that misbehaved. */
async function fuzz(inputs: string[]): Promise<{ bad: Bad[]; values: number; errors: number }> {
  const bad: Bad[] = [];
  let values = 0;
  let errors = 0;
  let start = 0;
  while (start < inputs.length) {
    start = await new Promise<number>((resolve, reject) => {
      let current = start;
      const w = new Worker(join(corpusDir, "fuzzWorker.mjs"), {
        workerData: { root, cwd: corpusDir, inputs, start },
        resourceLimits: { stackSizeMb: 256, maxOldGenerationSizeMb: 1024 },
        stdout: true,
        stderr: true,
      });
      let timer: NodeJS.Timeout;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          bad.push({ index: current, kind: "hang", detail: `no result within ${HANG_MS} ms` });
          void w.terminate();
          resolve(current + 1);
        }, HANG_MS);
      };
      arm();
      w.on("message", (m: { progress?: number; bad?: Bad; done?: boolean; values?: number; errors?: number }) => {
        if (m.progress !== undefined) {
          current = m.progress;
          arm();
        } else if (m.bad !== undefined) bad.push(m.bad);
        else if (m.done) {
          clearTimeout(timer);
          values += m.values ?? 0;
          errors += m.errors ?? 0;
          resolve(inputs.length);
        }
      });
      w.on("error", (e) => {
        // The worker died (e.g. out of memory) on the current input: record it and go on.
        clearTimeout(timer);
        bad.push({ index: current, kind: "worker crash", detail: String(e).slice(0, 300) });
        resolve(current + 1);
      });
      w.on("exit", () => clearTimeout(timer));
      void reject;
    });
  }
  return { bad, values, errors };
}

describe.skipIf(!haveEvaluator)("fuzzing the evaluator with mutated corpus cases", () => {
  it(`${INPUTS} inputs end in a value or a Nix error`, { timeout: 600_000 }, async () => {
    const pool = seeds();
    expect(pool.length).toBeGreaterThan(200);
    const rnd = prng(20260101);
    const inputs = Array.from({ length: INPUTS }, (_, i) => mutate(pool[i % pool.length]!, rnd));
    const { bad, values, errors } = await fuzz(inputs);
    expect(bad.map((b) => ({ ...b, input: inputs[b.index] }))).toEqual([]);
    // Both outcomes must be common, or the mutations are not exercising the evaluator.
    console.log(`fuzz: ${values} values, ${errors} Nix errors`);
    expect(values).toBeGreaterThan(INPUTS / 10);
    expect(errors).toBeGreaterThan(INPUTS / 10);
  });
});
