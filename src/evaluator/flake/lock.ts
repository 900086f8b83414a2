/**
 * Computing a flake's lock graph, in the manner of Nix's `computeLocks`:
 * an input whose `original` reference is unchanged keeps its locked entry;
 * anything new (or named in `--update-input`) is fetched; flake inputs are
 * recursed into, seeded from their own flake.lock; `follows` edges are paths
 * of input names, resolved relative to the flake that declares them.
 */
import { existsSync, readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { NixociError } from "../../errors.js";
import type { FetchedTree } from "./fetchTree.js";
import { type FlakeRefAttrs, type LockFile, type LockNode, parseLockFile, resolveInputPath } from "./lockFile.js";
import { flakeRefToString28 } from "./refString.js";

export class FlakeInputError extends NixociError {}

/** One entry of a flake's `inputs`, after parsing. */
export interface FlakeInput {
  /** Absent only for a pure `follows`. */
  ref?: FlakeRefAttrs;
  isFlake: boolean;
  /** Absolute input path from the lock root. */
  follows?: string[];
  /** `inputs.<name>.inputs.<sub>...`: overrides for the input's own inputs. */
  overrides: Record<string, FlakeInput>;
}

export interface FlakeMeta {
  description?: string;
  inputs: Record<string, FlakeInput>;
}

/** Everything locking needs from the outside world. */
export interface LockEnv {
  /** Parse an input URL (relative paths are kept relative: they resolve against the parent flake's source). */
  parseRef(url: string): FlakeRefAttrs;
  /** Fetch an input; `parentDir` is the directory of the flake that declares it. */
  fetch(ref: FlakeRefAttrs, parentDir: string): FetchedTree;
  /** Read `description` and `inputs` of the flake.nix in `dir` (a logical store path). `inputPath` names the flake for messages. */
  readFlake(dir: string, inputPath: string[], locked: FlakeRefAttrs): FlakeMeta;
  /** Where a (logical) store path, or a path inside one, is on this machine. */
  realPath(storePath: string): string;
}

/** A locked node plus the `sourceInfo` callFlake needs (not written to flake.lock). */
export interface ResolvedNode extends LockNode {
  sourceInfo?: FetchedTree["sourceInfo"];
  dir?: string;
}

export interface ResolvedGraph {
  lock: LockFile;
  /** Same keys as lock.nodes, with fetched sourceInfo for every node. */
  nodes: Record<string, ResolvedNode>;
}

/** Parse the plain-data value of a flake's `inputs` attribute. */
export function parseInputs(raw: unknown, env: LockEnv, where: string, basePath: string[] = []): Record<string, FlakeInput> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new FlakeInputError(`'inputs' of ${where} must be an attribute set`);
  const out: Record<string, FlakeInput> = {};
  for (const name of Object.keys(raw).sort()) out[name] = parseInput(name, raw[name], env, where, basePath);
  return out;
}

function parseInput(name: string, raw: unknown, env: LockEnv, where: string, basePath: string[]): FlakeInput {
  if (typeof raw === "string") return { ref: env.parseRef(raw), isFlake: true, overrides: {} };
  if (!isRecord(raw)) throw new FlakeInputError(`input '${name}' of ${where} must be a URL string or an attribute set`);
  const input: FlakeInput = { isFlake: true, overrides: {} };
  const attrs: FlakeRefAttrs = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "url") input.ref = env.parseRef(String(v));
    else if (k === "flake") {
      if (typeof v !== "boolean") throw new FlakeInputError(`'flake' of input '${name}' in ${where} must be a Boolean`);
      input.isFlake = v;
    } else if (k === "follows") {
      if (typeof v !== "string") throw new FlakeInputError(`'follows' of input '${name}' in ${where} must be a string`);
      input.follows = [...basePath, ...v.split("/").filter(Boolean)];
    } else if (k === "inputs") {
      input.overrides = parseInputs(v, env, `input '${name}' of ${where}`, basePath);
    } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      attrs[k] = v;
    } else {
      throw new FlakeInputError(`attribute '${k}' of input '${name}' in ${where} has an unsupported type`);
    }
  }
  if (!input.ref && Object.keys(attrs).length) input.ref = attrs;
  else if (input.ref && Object.keys(attrs).length) input.ref = { ...input.ref, ...attrs };
  if (!input.ref && !input.follows && !Object.keys(input.overrides).length) {
    throw new FlakeInputError(`input '${name}' of ${where} has neither a URL nor 'follows'`);
  }
  return input;
}

/**
 * Lock the inputs of the root flake at `rootDir` (whose own source is `rootNode`).
 * `oldLock` is the existing flake.lock (if any); `updateInputs` are input paths ("a/b") to refetch.
 */
export function computeLocks(
  rootMeta: FlakeMeta,
  rootNode: ResolvedNode,
  rootDir: string,
  oldLock: LockFile | undefined,
  updateInputs: readonly string[],
  env: LockEnv,
  /** `--override-input`: input path ("a/b") → the reference to use instead. */
  overrideInputs: Readonly<Record<string, FlakeRefAttrs>> = {},
  /** Warnings, e.g. a flag that matches no input. */
  warn: (line: string) => void = () => {},
): ResolvedGraph {
  const lockNodes: Record<string, LockNode> = {};
  const nodes: Record<string, ResolvedNode> = {};
  const rootLockNode: LockNode = {};
  lockNodes.root = rootLockNode;
  nodes.root = rootNode;
  const updates = new Set(updateInputs);
  const used = new Set<string>();

  const uniqueKey = (name: string): string => {
    let key = name;
    for (let i = 2; key in lockNodes; i++) key = `${name}_${i}`;
    return key;
  };

  const walk = (
    inputs: Record<string, FlakeInput>,
    overrides: Record<string, FlakeInput>,
    lockNode: LockNode,
    prefix: string[],
    old: { lock: LockFile; key: string } | undefined,
    parentDir: string,
  ): void => {
    const names = [...new Set([...Object.keys(inputs), ...Object.keys(overrides)])].sort();
    if (!names.length) return;
    lockNode.inputs = {};
    for (const name of names) {
      const declared = inputs[name];
      const override = overrides[name];
      const path = [...prefix, name];
      const pathKey = path.join("/");
      // As in Nix 2.8, an override written in the parent flake (`inputs.a.inputs.b`) replaces a CLI one for the same path.
      const cliOverride = override ? undefined : overrideInputs[pathKey];
      if (overrideInputs[pathKey]) used.add(`override:${pathKey}`);
      if (updates.has(pathKey)) used.add(`update:${pathKey}`);
      const merged = mergeInput(declared, override);
      const input: FlakeInput = cliOverride ? { ...merged, ref: cliOverride, follows: undefined } : merged;
      if (input.follows) {
        lockNode.inputs[name] = input.follows;
        continue;
      }
      if (!input.ref) throw new FlakeInputError(`input '${path.join("/")}' has no URL`);

      const oldRef = old?.lock.nodes[old.key]?.inputs?.[name];
      const oldNode = old && typeof oldRef === "string" ? old.lock.nodes[oldRef] : undefined;
      const reuse = oldNode?.locked && isDeepStrictEqual(oldNode.original, input.ref) && !updates.has(pathKey) && !cliOverride;

      const fetched = env.fetch(reuse ? { ...oldNode!.locked!, ...keepDir(input.ref) } : input.ref, parentDir);
      const key = uniqueKey(name);
      // Nix 2.8 records a flake input's own declared reference as `original` even when it is
      // overridden, so that an override sticks on the next lock; a non-flake input records the override.
      const original = input.isFlake ? (declared?.ref ?? input.ref) : input.ref;
      const node: LockNode = { locked: fetched.locked, original };
      if (!input.isFlake) node.flake = false;
      lockNodes[key] = node;
      const dir = typeof input.ref.dir === "string" ? input.ref.dir : undefined;
      nodes[key] = { ...node, sourceInfo: fetched.sourceInfo, ...(dir ? { dir } : {}) };
      lockNode.inputs[name] = key;

      if (input.isFlake) {
        const srcDir = String(fetched.sourceInfo.outPath) + (dir ? `/${dir}` : "");
        const meta = env.readFlake(srcDir, path, dir ? { ...fetched.locked, dir } : fetched.locked);
        // Sub-inputs: from our old lock when reused, else from the input's own flake.lock.
        const sub = reuse && old ? { lock: old.lock, key: oldRef as string } : readOwnLock(env.realPath(srcDir));
        walk(meta.inputs, input.overrides, node, path, sub, srcDir);
        nodes[key]!.inputs = node.inputs;
      }
    }
  };

  walk(rootMeta.inputs, {}, rootLockNode, [], oldLock ? { lock: oldLock, key: oldLock.root } : undefined, rootDir);
  for (const [path, ref] of Object.entries(overrideInputs)) {
    if (!used.has(`override:${path}`)) warn(`warning: the flag '--override-input ${path} ${flakeRefToString28(ref)}' does not match any input`);
  }
  for (const path of updates) if (!used.has(`update:${path}`)) warn(`warning: the flag '--update-input ${path}' does not match any input`);
  nodes.root = { ...rootNode, ...(rootLockNode.inputs ? { inputs: rootLockNode.inputs } : {}) };
  const lock: LockFile = { nodes: lockNodes, root: "root", version: 7 };
  checkFollows(lock);
  return { lock, nodes };
}

function mergeInput(declared: FlakeInput | undefined, override: FlakeInput | undefined): FlakeInput {
  if (!override) return declared!;
  if (!declared) return override;
  return {
    ref: override.ref ?? declared.ref,
    isFlake: override.ref ? override.isFlake : declared.isFlake,
    follows: override.follows ?? (override.ref ? undefined : declared.follows),
    overrides: { ...declared.overrides, ...override.overrides },
  };
}

function keepDir(ref: FlakeRefAttrs): FlakeRefAttrs {
  return typeof ref.dir === "string" ? { dir: ref.dir } : {};
}

function readOwnLock(dir: string): { lock: LockFile; key: string } | undefined {
  const file = `${dir}/flake.lock`;
  if (!existsSync(file)) return undefined;
  const lock = parseLockFile(readFileSync(file, "utf8"), file);
  return { lock, key: lock.root };
}

function checkFollows(lock: LockFile): void {
  for (const [key, node] of Object.entries(lock.nodes)) {
    for (const [name, ref] of Object.entries(node.inputs ?? {})) {
      if (Array.isArray(ref) && resolveInputPath(lock, ref) === undefined) {
        const who = key === lock.root ? name : `${key}/${name}`;
        throw new FlakeInputError(`input '${who}' follows a non-existent input '${ref.join("/")}'`);
      }
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
