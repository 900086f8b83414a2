/**
 * What changed between two lock files, in the words Nix 2.8 uses when it
 * updates flake.lock ("• Updated input 'x':" with old and new locked
 * references and their dates). Printed on stderr, where Nix strips its ANSI
 * escapes when stderr is not a terminal; we never add them.
 */
import type { FlakeRefAttrs, LockFile, LockedInputRef, LockNode } from "./lockFile.js";
import { flakeRefToString28 } from "./refString.js";

type Edge = { node: LockNode } | { follows: string[] };

/** Every input path ("a/b") reachable from the root, each node visited once (as Nix's getAllInputs). */
function allInputs(lock: LockFile): Map<string, Edge> {
  const out = new Map<string, Edge>();
  const done = new Set<string>();
  const recurse = (prefix: string[], key: string): void => {
    if (done.has(key)) return;
    done.add(key);
    const node = lock.nodes[key];
    for (const [name, ref] of Object.entries(node?.inputs ?? {}) as [string, LockedInputRef][]) {
      const path = [...prefix, name];
      if (Array.isArray(ref)) out.set(path.join("/"), { follows: ref });
      else {
        out.set(path.join("/"), { node: lock.nodes[ref]! });
        recurse(path, ref);
      }
    }
  };
  recurse([], lock.root);
  return out;
}

function describeEdge(e: Edge): string {
  if ("follows" in e) return `follows '${e.follows.join("/")}'`;
  const locked = e.node.locked ?? {};
  let s = `'${flakeRefToString28(locked)}'`;
  if (typeof locked.lastModified === "number") s += ` (${new Date(locked.lastModified * 1000).toISOString().slice(0, 10)})`;
  return s;
}

function sameEdge(a: Edge, b: Edge): boolean {
  if ("follows" in a && "follows" in b) return a.follows.join("/") === b.follows.join("/");
  if ("node" in a && "node" in b) return canonical(a.node.locked ?? {}) === canonical(b.node.locked ?? {});
  return false;
}

const canonical = (ref: FlakeRefAttrs): string => JSON.stringify(Object.keys(ref).sort().map((k) => [k, ref[k]]));

/** Input paths compare as lists of names (std::map<std::vector<std::string>>), not as joined strings. */
function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Nix 2.8's LockFile::diff, without the final newline (Nix chomps it). */
export function diffLockFiles(oldLock: LockFile, newLock: LockFile): string {
  const oldFlat = allInputs(oldLock);
  const newFlat = allInputs(newLock);
  const paths = [...new Set([...oldFlat.keys(), ...newFlat.keys()])].sort(comparePaths);
  const lines: string[] = [];
  for (const p of paths) {
    const o = oldFlat.get(p);
    const n = newFlat.get(p);
    if (!o) lines.push(`• Added input '${p}':`, `    ${describeEdge(n!)}`);
    else if (!n) lines.push(`• Removed input '${p}'`);
    else if (!sameEdge(o, n)) lines.push(`• Updated input '${p}':`, `    ${describeEdge(o)}`, `  → ${describeEdge(n)}`);
  }
  return lines.join("\n");
}
