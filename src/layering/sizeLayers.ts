import { hashPart, sortStorePaths } from "./graph.js";
import { availableLayers, imagePopularityOrder, type ImageLayeringInput, type StoreLayers } from "./layers.js";

export interface SizeLayeringOptions {
  /** A group closes once it holds at least this many bytes and reaches a boundary path. Default 4 MiB. */
  minLayerBytes?: number;
  /** A group never grows past this; a path at least this big gets a layer alone. Default 256 MiB. */
  maxLayerBytes?: number;
}

const MiB = 1024 * 1024;

/**
 * Size-aware layering (new; not in nixpkgs). Walks the popularity order and
 * groups consecutive paths: big paths get a layer each, small ones are
 * packed until the group passes minLayerBytes. Where a group may close is
 * decided by the path itself (its hash), like content-defined chunking, so
 * that a path added or removed in a related image only disturbs the group it
 * lands in and the boundaries after it fall in the same places again: more
 * layers stay byte-identical between images than with one catch-all layer.
 * If the groups do not fit in maxLayers, minLayerBytes doubles until they do;
 * as a last resort the least popular groups are merged into the last layer.
 */
export function sizeLayers(input: ImageLayeringInput & SizeLayeringOptions): StoreLayers {
  const available = availableLayers(input.maxLayers ?? 100, input.baseImageLayers ?? 0);
  const order = imagePopularityOrder(input);
  const size = (p: string) => input.graph.narSize(p);
  const maxBytes = input.maxLayerBytes ?? 256 * MiB;
  const total = order.reduce((s, p) => s + size(p), 0);
  let minBytes = Math.max(1, input.minLayerBytes ?? 4 * MiB);
  let groups = groupBySize(order, size, minBytes, maxBytes);
  while (groups.length > available && minBytes < total) {
    minBytes *= 2;
    groups = groupBySize(order, size, minBytes, Math.max(maxBytes, minBytes));
  }
  if (groups.length > available) {
    const tail = groups.splice(available - 1).flat();
    groups.push(tail);
  }
  return groups.map((g) => sortStorePaths(g));
}

/** Consecutive groups of `order` between minBytes (at a boundary path) and maxBytes. */
export function groupBySize(
  order: readonly string[],
  size: (path: string) => number,
  minBytes: number,
  maxBytes: number,
): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  const close = () => {
    if (current.length > 0) groups.push(current);
    current = [];
    currentBytes = 0;
  };
  for (const p of order) {
    const s = size(p);
    if (s >= maxBytes) {
      close();
      groups.push([p]);
      continue;
    }
    if (currentBytes + s > maxBytes) close();
    current.push(p);
    currentBytes += s;
    if (currentBytes >= minBytes && isBoundary(p)) close();
  }
  close();
  return groups;
}

/** About one path in four is a boundary, chosen by a hash of its store hash. */
function isBoundary(path: string): boolean {
  let h = 0x811c9dc5;
  for (const ch of hashPart(path)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) % 4 === 0;
}
