/**
 * Realise a set of derivations: load the graph of .drv files, skip those
 * whose outputs are valid, build the rest in dependency order with up to
 * `maxJobs` builders at once (Nix's Worker, without substitution).
 */
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { parseDerivationATerm, type Derivation } from "../format/index.js";
import { BuildError, BuildFailures, InvalidPathError } from "../errors.js";
import type { LocalStore } from "../localStore.js";
import { buildDerivation, defaultBuildSettings, knownOutputPaths, type BuildSettings } from "./buildDerivation.js";

export interface BuildOptions extends Partial<BuildSettings> {
  /** Builders running at once (default: number of cores). */
  readonly maxJobs?: number;
  /** Continue with independent derivations after a failure. */
  readonly keepGoing?: boolean;
  /** Called when a builder starts (Nix prints "building '…'..."). */
  readonly onBuildStart?: (drvPath: string) => void;
  /** Binary-cache substitution (src/store/binaryCache Substituter): outputs a cache has are fetched instead of built. */
  readonly substituter?: { substituteDerivationOutputs(store: LocalStore, drvPaths: readonly string[]): Promise<unknown> };
}

/** Read and parse a valid .drv from the store. */
export function readDerivation(store: LocalStore, drvPath: string): Derivation {
  if (!store.isValidPath(drvPath)) throw new InvalidPathError(`path '${drvPath}' is not valid`, drvPath);
  return parseDerivationATerm(readFileSync(store.toRealPath(drvPath)), { drvPath });
}

interface Node {
  drvPath: string;
  drv: Derivation;
  outputs: Map<string, string>;
  deps: Set<string>;
  dependents: Set<string>;
}

/**
 * Build `drvPaths` (all their outputs); returns drvPath → output name → path.
 * Throws the BuildError of a single failure, or BuildFailures for several.
 */
export async function buildDerivations(
  store: LocalStore,
  drvPaths: readonly string[],
  options: BuildOptions = {},
): Promise<Map<string, Map<string, string>>> {
  const settings: BuildSettings = { ...defaultBuildSettings(), ...stripUndefined(options) };
  const maxJobs = Math.max(1, options.maxJobs ?? availableParallelism());
  const nodes = new Map<string, Node>();
  const results = new Map<string, Map<string, string>>();

  // Load only what must be built: a derivation with valid outputs ends the walk.
  const load = (drvPath: string): boolean => {
    if (nodes.has(drvPath)) return true;
    if (results.has(drvPath)) return false;
    store.locks.addTempRoot(drvPath);
    const drv = readDerivation(store, drvPath);
    const outputs = knownOutputPaths(drv, drvPath);
    for (const p of outputs.values()) store.locks.addTempRoot(p);
    if ([...outputs.values()].every((p) => store.isValidPath(p))) {
      results.set(drvPath, outputs);
      return false;
    }
    const node: Node = { drvPath, drv, outputs, deps: new Set(), dependents: new Set() };
    nodes.set(drvPath, node);
    for (const input of drv.inputDrvs.keys()) {
      if (load(input)) {
        node.deps.add(input);
        nodes.get(input)!.dependents.add(drvPath);
      }
    }
    return true;
  };
  if (options.substituter) await options.substituter.substituteDerivationOutputs(store, drvPaths);
  for (const d of drvPaths) load(d);

  const failures: BuildError[] = [];
  const failed = new Set<string>();
  const ready = [...nodes.values()].filter((n) => n.deps.size === 0).map((n) => n.drvPath);
  let running = 0;
  let stop = false;

  await new Promise<void>((resolveAll) => {
    const finishIfIdle = () => {
      if (running === 0 && (ready.length === 0 || stop)) resolveAll();
    };
    const fail = (drvPath: string, err: BuildError) => {
      failures.push(err);
      failed.add(drvPath);
      if (!options.keepGoing) stop = true;
      // Dependents can never be built: fail them transitively.
      const todo = [...nodes.get(drvPath)!.dependents];
      while (todo.length > 0) {
        const d = todo.pop()!;
        if (failed.has(d)) continue;
        failed.add(d);
        todo.push(...nodes.get(d)!.dependents);
      }
    };
    const pump = () => {
      while (!stop && running < maxJobs && ready.length > 0) {
        const drvPath = ready.shift()!;
        if (failed.has(drvPath)) continue;
        const node = nodes.get(drvPath)!;
        running++;
        options.onBuildStart?.(drvPath);
        runOne(store, node, results, settings)
          .then((outs) => {
            results.set(drvPath, outs);
            for (const d of node.dependents) {
              const dep = nodes.get(d)!;
              dep.deps.delete(drvPath);
              if (dep.deps.size === 0 && !failed.has(d)) ready.push(d);
            }
          })
          .catch((err: unknown) => {
            fail(drvPath, err instanceof BuildError ? err : new BuildError(String((err as Error)?.message ?? err), drvPath, { cause: err }));
          })
          .finally(() => {
            running--;
            pump();
            finishIfIdle();
          });
      }
      finishIfIdle();
    };
    pump();
  });

  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new BuildFailures(
      `build of ${failures.map((f) => `'${f.drvPath}'`).join(", ")} failed:\n${failures.map((f) => f.message).join("\n")}`,
      failures,
    );
  const unbuilt = drvPaths.filter((d) => !results.has(d));
  if (unbuilt.length > 0) throw new BuildFailures(`build of ${unbuilt.map((d) => `'${d}'`).join(", ")} failed`, []);
  return new Map(drvPaths.map((d) => [d, results.get(d)!]));
}

async function runOne(store: LocalStore, node: Node, results: Map<string, Map<string, string>>, settings: BuildSettings) {
  const { drv, drvPath } = node;
  // Inputs: closure of the input sources and of the used outputs of input derivations.
  const roots: string[] = [...drv.inputSrcs];
  for (const [input, outNames] of drv.inputDrvs) {
    const outs = results.get(input)!;
    for (const name of outNames) {
      const p = outs.get(name);
      if (p === undefined) throw new BuildError(`derivation '${input}' has no output '${name}'`, drvPath);
      roots.push(p);
    }
  }
  for (const r of roots) store.locks.addTempRoot(r);
  for (const r of roots) if (!store.isValidPath(r)) throw new BuildError(`input '${r}' of '${drvPath}' is not valid`, drvPath);
  const inputPaths = new Set(store.computeClosure(roots));
  return buildDerivation(store, drvPath, drv, inputPaths, settings);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
