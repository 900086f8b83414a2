import { runtimeClosure } from "./closure.js";
import { Heap } from "./heap.js";
import { compareStorePaths, hashPart, sortedReferences, type ClosureGraph } from "./graph.js";
import { findHashes, type StoreTreeReader } from "./storeTree.js";

/** Nix's tree drawing and colours (libutil/util.hh, ansicolor.hh). */
export const treeConn = "├───";
export const treeLast = "└───";
export const treeLine = "│   ";
export const treeNull = "    ";
const ANSI_NORMAL = "\x1b[0m";
const ANSI_GREEN = "\x1b[32;1m";
const ANSI_BLUE = "\x1b[34;1m";
const ANSI_GREY = "\x1b[38;5;244m";

export interface WhyDependsOptions {
  /** Show every edge leading to the dependency, not just one shortest path (`--all`). */
  all?: boolean;
  /** Show the files and the bytes around each reference (`--precise`); needs `files`. */
  precise?: boolean;
  /** Reads the contents of store paths, for `--precise`. */
  files?: StoreTreeReader;
}

export type WhyDependsResult =
  | { dependent: true; output: string }
  /** Nix prints `message` on stderr and still exits 0. */
  | { dependent: false; message: string };

interface Node {
  path: string;
  refs: string[];
  rrefs: string[];
  dist: number;
  queued: boolean;
  visited: boolean;
  /** Rank in StorePath order; see the queue below. */
  rank: number;
}

/** Thrown inside the recursion to stop after the first path, like Nix's BailOut. */
class BailOut {}

/**
 * `nix why-depends PACKAGE DEPENDENCY [--all] [--precise]` of Nix 2.8, byte
 * for byte. Nix writes its ANSI sequences (reset after every path, grey for
 * already shown paths, colours around hashes with --precise) whether or not
 * stdout is a terminal, so they are part of the output; stripAnsi() removes them.
 */
export async function whyDepends(
  graph: ClosureGraph,
  packagePath: string,
  dependencyPath: string,
  options: WhyDependsOptions = {},
): Promise<WhyDependsResult> {
  const all = options.all ?? false;
  const precise = options.precise ?? false;
  if (precise && !options.files) throw new TypeError("whyDepends: --precise needs a StoreTreeReader");
  const closure = runtimeClosure(graph, [packagePath]);
  if (!closure.includes(dependencyPath)) {
    return { dependent: false, message: `'${packagePath}' does not depend on '${dependencyPath}'` };
  }
  const dependencyHash = hashPart(dependencyPath);

  const nodes = new Map<string, Node>();
  closure.forEach((path, rank) =>
    nodes.set(path, {
      path,
      refs: sortedReferences(graph, path),
      rrefs: [],
      dist: path === dependencyPath ? 0 : Infinity,
      queued: false,
      visited: false,
      rank,
    }),
  );
  for (const node of nodes.values()) for (const ref of node.refs) nodes.get(ref)!.rrefs.push(node.path);
  for (const node of nodes.values()) node.rrefs.sort(compareStorePaths);

  // Nix 2.8 runs its "Dijkstra" on a std::priority_queue<Node *>, ordered by
  // pointer value, and never re-queues a node. Its map nodes are allocated in
  // StorePath order, so the highest-ranked queued node comes out first; the
  // distances (which order the edges) are therefore not always the shortest.
  // Max-heap by rank: Nix's std::priority_queue<Node *>, with rank standing for the address.
  const queue = new Heap<Node>((a, b) => a.rank > b.rank);
  queue.push(nodes.get(dependencyPath)!);
  while (queue.size > 0) {
    const node = queue.pop();
    for (const rref of node.rrefs) {
      const node2 = nodes.get(rref)!;
      const dist = node.dist + 1;
      if (dist < node2.dist) {
        node2.dist = dist;
        if (!node2.queued) {
          node2.queued = true;
          queue.push(node2);
        }
      }
    }
  }

  const out: string[] = [];
  const colourOf = (hash: string) => (hash === dependencyHash ? ANSI_GREEN : ANSI_BLUE);

  const printNode = async (node: Node, firstPad: string, tailPad: string): Promise<void> => {
    if (precise) {
      out.push(`${firstPad}${node.visited ? ANSI_GREY : ""}${firstPad !== "" ? "→ " : ""}${node.path}${ANSI_NORMAL}\n`);
    }
    if (node.path === dependencyPath && !all && packagePath !== dependencyPath) throw new BailOut();
    if (node.visited) return;
    if (precise) node.visited = true;

    // References with a finite distance, by distance; equal distances keep StorePath order.
    const refs: Node[] = [];
    const hashes = new Set<string>();
    for (const ref of node.refs) {
      if (ref === node.path && packagePath !== dependencyPath) continue;
      const node2 = nodes.get(ref)!;
      if (node2.dist === Infinity) continue;
      refs.push(node2);
      hashes.add(hashPart(ref));
    }
    refs.sort((a, b) => a.dist - b.dist);

    const hits = new Map<string, string[]>();
    if (precise) {
      const sortedHashes = [...hashes].sort();
      for (const hit of await findHashes(options.files!, node.path, sortedHashes)) {
        const rel = hit.file;
        const line =
          hit.kind === "symlink"
            ? `${rel} -> ${hilite(hit.context, hit.offset, 32, colourOf(hit.hash))}\n`
            : `${rel}: …${hilite(filterPrintable(hit.context), hit.offset, 32, colourOf(hit.hash))}…\n`;
        let list = hits.get(hit.hash);
        if (!list) hits.set(hit.hash, (list = []));
        list.push(line);
      }
    }

    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const last = all ? i === refs.length - 1 : true;
      const refHits = hits.get(hashPart(ref.path)) ?? [];
      for (const hit of refHits) {
        const first = hit === refHits[0];
        out.push(tailPad + (first ? (last ? treeLast : treeConn) : last ? treeNull : treeLine) + hit);
        if (!all) break;
      }
      if (!precise) {
        out.push(`${firstPad}${ref.visited ? ANSI_GREY : ""}${last ? treeLast : treeConn}${ref.path}${ANSI_NORMAL}\n`);
        node.visited = true;
      }
      const pad = tailPad + (last ? treeNull : treeLine);
      await printNode(ref, pad, pad);
    }
  };

  if (!precise) out.push(`${packagePath}\n`);
  try {
    await printNode(nodes.get(packagePath)!, "", "");
  } catch (e) {
    if (!(e instanceof BailOut)) throw e;
  }
  return { dependent: true, output: out.join("") };
}

function hilite(s: string, pos: number, len: number, colour: string): string {
  return s.slice(0, pos) + colour + s.slice(pos, pos + len) + ANSI_NORMAL + s.slice(pos + len);
}

/** Nix replaces every byte that is not printable ASCII with '.'. */
function filterPrintable(bytes: string): string {
  return bytes.replace(/[^\x20-\x7e]/g, ".");
}

/** Removes ANSI escape sequences, for a terminal-free rendering. */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}
