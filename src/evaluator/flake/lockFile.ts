/**
 * flake.lock, version 7, as Nix reads and writes it.
 *
 * Nix serialises with nlohmann::json (keys sorted, two-space indent) and a
 * trailing newline; we do the same so an unchanged lock is byte-identical.
 */
import { NixociError } from "../../errors.js";

/** Attributes of a flake reference in attribute-set form (`type`, `url`, `path`, `rev`, `narHash`, …). */
export type FlakeRefAttrs = Record<string, string | number | boolean>;

/** An input edge: a node key, or a `follows` path of input names from the root. */
export type LockedInputRef = string | string[];

export interface LockNode {
  inputs?: Record<string, LockedInputRef>;
  locked?: FlakeRefAttrs;
  original?: FlakeRefAttrs;
  /** Absent means true. */
  flake?: boolean;
}

export interface LockFile {
  nodes: Record<string, LockNode>;
  root: string;
  version: number;
}

export class LockFileError extends NixociError {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${message} (in lock file '${file}')`);
  }
}

export const emptyLockFile = (): LockFile => ({ nodes: { root: {} }, root: "root", version: 7 });

export function parseLockFile(text: string, file: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LockFileError(`invalid JSON: ${(e as Error).message}`, file);
  }
  if (!isObject(json)) throw new LockFileError("expected a JSON object", file);
  const version = json.version;
  // Nix accepts versions 5 to 7; older lock files use a different layout.
  if (typeof version !== "number" || version < 5 || version > 7) {
    throw new LockFileError(`lock file has unsupported version ${JSON.stringify(version)}`, file);
  }
  const root = json.root;
  const nodes = json.nodes;
  if (typeof root !== "string" || !isObject(nodes) || !isObject(nodes[root])) {
    throw new LockFileError("lock file has no root node", file);
  }
  for (const [key, node] of Object.entries(nodes)) {
    if (!isObject(node)) throw new LockFileError(`node '${key}' is not an object`, file);
    for (const [name, ref] of Object.entries((node.inputs ?? {}) as Record<string, unknown>)) {
      const ok = typeof ref === "string" ? ref in nodes : Array.isArray(ref) && ref.every((s) => typeof s === "string");
      if (!ok) throw new LockFileError(`input '${name}' of node '${key}' refers to a missing node`, file);
    }
    if (key !== root && !isObject(node.locked)) throw new LockFileError(`node '${key}' is not locked`, file);
  }
  return { nodes: nodes as Record<string, LockNode>, root, version };
}

/** Serialise exactly as Nix does: sorted keys at every level, two spaces, final newline. */
export function serializeLockFile(lock: LockFile): string {
  return `${JSON.stringify(sortKeys(lock), null, 2)}\n`;
}

/** Follow an input path (`["nixpkgs"]`, `["a", "b"]`) from the root to a node key. */
export function resolveInputPath(lock: LockFile, path: readonly string[]): string | undefined {
  let key = lock.root;
  for (const name of path) {
    const ref = lock.nodes[key]?.inputs?.[name];
    if (ref === undefined) return undefined;
    const next = typeof ref === "string" ? ref : resolveInputPath(lock, ref);
    if (next === undefined) return undefined;
    key = next;
  }
  return key;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
