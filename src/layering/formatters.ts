import { runtimeClosure, topoSortPaths } from "./closure.js";
import { Heap } from "./heap.js";
import { baseName, compareStorePaths, pathName, sortedReferences, type ClosureGraph } from "./graph.js";
import { treeConn, treeLast, treeLine, treeNull } from "./whyDepends.js";

/**
 * `nix-store -q --tree ROOTS…` (Nix 2.8): each path's references in
 * topoSortPaths order reversed (dependencies first), an already printed path
 * as `[...]`, the printed set shared between roots. Self-references show.
 */
export function formatTree(graph: ClosureGraph, roots: readonly string[]): string {
  const out: string[] = [];
  const done = new Set<string>();
  // Explicit stack of pending lines, so deep graphs do not exhaust the JS stack.
  type Item = { path: string; firstPad: string; tailPad: string };
  for (const root of roots) {
    const stack: Item[] = [{ path: root, firstPad: "", tailPad: "" }];
    while (stack.length > 0) {
      const { path, firstPad, tailPad } = stack.pop()!;
      if (done.has(path)) {
        out.push(`${firstPad}${path} [...]\n`);
        continue;
      }
      done.add(path);
      out.push(`${firstPad}${path}\n`);
      const sorted = topoSortPaths(graph, graph.references(path)).reverse();
      for (let n = sorted.length - 1; n >= 0; n--) {
        const last = n + 1 === sorted.length;
        stack.push({
          path: sorted[n]!,
          firstPad: tailPad + (last ? treeLast : treeConn),
          tailPad: tailPad + (last ? treeNull : treeLine),
        });
      }
    }
  }
  return out.join("");
}

/** `nix-store -q --graph ROOTS…` (Nix 2.8): the closure as a dot graph, edges from reference to referrer. */
export function formatGraph(graph: ClosureGraph, roots: readonly string[]): string {
  const colours = ["black", "red", "green", "blue", "magenta", "burlywood"];
  let edgeCount = 0;
  const q = (s: string) => `"${s}"`;
  const out: string[] = ["digraph G {\n"];
  // Nix's work list is a StorePathSet: always continue with the smallest path.
  const work = new SortedPathSet(roots);
  const done = new Set<string>();
  while (work.size > 0) {
    const path = work.shift();
    if (done.has(path)) continue;
    done.add(path);
    out.push(`${q(baseName(path))} [label = ${q(pathName(path))}, shape = box, style = filled, fillcolor = "#ff0000"];\n`);
    for (const ref of sortedReferences(graph, path)) {
      if (ref === path) continue;
      work.add(ref);
      out.push(`${q(baseName(ref))} -> ${q(baseName(path))} [color = ${q(colours[edgeCount++ % colours.length]!)}];\n`);
    }
  }
  out.push("}\n");
  return out.join("");
}

/** A set of store paths that yields its smallest element first (duplicates dropped). */
class SortedPathSet {
  private readonly heap = new Heap<string>((a, b) => compareStorePaths(a, b) < 0);
  private readonly members = new Set<string>();
  constructor(paths: Iterable<string>) {
    for (const p of paths) this.add(p);
  }
  get size(): number {
    return this.heap.size;
  }
  add(p: string): void {
    if (this.members.has(p)) return;
    this.members.add(p);
    this.heap.push(p);
  }
  shift(): string {
    const top = this.heap.pop();
    this.members.delete(top);
    return top;
  }
}

export interface PathInfoFormatOptions {
  /** `-r`: the closure of the given paths. */
  recursive?: boolean;
  /** `-s`: NAR size. */
  size?: boolean;
  /** `-S`: closure size. */
  closureSize?: boolean;
  /** `-h`: sizes like `1.2K`. */
  humanReadable?: boolean;
}

/**
 * `nix path-info [-r] [-s] [-S] [-h] PATHS…` text output (Nix 2.8): paths in
 * reversed topoSortPaths order (dependencies first), padded to the longest
 * path when a size column follows.
 */
export function formatPathInfo(graph: ClosureGraph, paths: readonly string[], o: PathInfoFormatOptions = {}): string {
  const set = o.recursive ? runtimeClosure(graph, paths) : [...new Set(paths)];
  const sorted = topoSortPaths(graph, set).reverse();
  const width = sorted.reduce((m, p) => Math.max(m, p.length), 0);
  const size = (v: number) => (o.humanReadable ? `\t${humanSize(v)}` : `\t${String(v).padStart(11)}`);
  let out = "";
  for (const p of sorted) {
    out += p;
    if (o.size || o.closureSize) out += " ".repeat(Math.max(0, width - p.length));
    if (o.size) out += size(graph.narSize(p));
    if (o.closureSize) out += size(runtimeClosure(graph, [p]).reduce((s, q) => s + graph.narSize(q), 0));
    out += "\n";
  }
  return out;
}

/** Nix's `%6.1f%c` with 1024 steps: `   1.2K`, ` 136.0 `; printf rounds exact ties to even. */
export function humanSize(value: number): string {
  const idents = [" ", "K", "M", "G", "T", "P", "E", "Z", "Y"];
  let power = 0;
  let res = value;
  while (res > 1024 && power < idents.length - 1) {
    power++;
    res /= 1024;
  }
  const num = BigInt(value) * 10n;
  const den = 1n << BigInt(10 * power);
  let tenths = num / den;
  const twiceRest = (num % den) * 2n;
  if (twiceRest > den || (twiceRest === den && tenths % 2n === 1n)) tenths++;
  const text = `${tenths / 10n}.${tenths % 10n}`;
  return `${text.padStart(6)}${idents[power]}`;
}
