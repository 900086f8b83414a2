import { LayerBudgetError } from "./errors.js";
import { compareStorePaths, sortStorePaths, type ClosureGraph } from "./graph.js";
import { runtimeClosure } from "./closure.js";
import { popularityContest } from "./popularity.js";

/** An image's store layers, bottom first; each layer's paths in StorePath order. */
export type StoreLayers = string[][];

/**
 * Layers left for store paths, as streamLayeredImage computes them: the
 * customisation layer and every base-image layer count against maxLayers,
 * and at least one layer must remain.
 */
export function availableLayers(maxLayers: number, baseImageLayers = 0): number {
  const used = baseImageLayers + 1;
  if (!(maxLayers > 1) || !(used < maxLayers)) throw new LayerBudgetError(maxLayers, used);
  return maxLayers - used;
}

/**
 * streamLayeredImage's split of an ordered path list: the first `available - 1`
 * paths get a layer each, all the rest share the last one; no empty layers.
 */
export function splitByOrder(order: readonly string[], available: number): StoreLayers {
  if (!(available >= 1)) throw new LayerBudgetError(available, 0);
  const layers: string[][] = order.slice(0, available - 1).map((p) => [p]);
  const rest = order.slice(available - 1);
  if (rest.length > 0) layers.push(sortStorePaths(rest));
  return layers;
}

export interface ImageLayeringInput {
  graph: ClosureGraph;
  /** The image's `contents` roots (what the customisation layer links to). */
  contents: readonly string[];
  /** Store paths the image config mentions (Cmd, Env…): the base JSON's references. */
  configReferences?: readonly string[];
  /** Default 100, as in nixpkgs. */
  maxLayers?: number;
  /** Layers of a `fromImage`, which count against maxLayers. */
  baseImageLayers?: number;
}

// Stand-ins for the three derivations streamLayeredImage adds around the
// contents. They are not store paths (cannot collide with one) and are
// removed from the result, as the nixpkgs conf step greps them out.
const VIRTUAL_CLOSURE = "\0closure";
const VIRTUAL_CUSTOMISATION = "\0customisation-layer";
const VIRTUAL_BASE_JSON = "\0base.json";

/**
 * The popularity order streamLayeredImage feeds its layer split with. Its
 * referencesByPopularity input is the closure of a text file naming the base
 * JSON (which refers to the config's store paths) and the customisation layer
 * (a symlinkJoin referring to every content root); those extra nodes take
 * part in the count, so we model them rather than counting from the contents
 * alone.
 */
export function imagePopularityOrder(input: ImageLayeringInput): string[] {
  const { graph, contents } = input;
  const configReferences = input.configReferences ?? [];
  const virtual = new Map<string, readonly string[]>([
    [VIRTUAL_CLOSURE, [VIRTUAL_BASE_JSON, VIRTUAL_CUSTOMISATION]],
    [VIRTUAL_CUSTOMISATION, contents],
    [VIRTUAL_BASE_JSON, configReferences],
  ]);
  const overlay: ClosureGraph = {
    references: (p) => virtual.get(p) ?? graph.references(p),
    narSize: (p) => (virtual.has(p) ? 0 : graph.narSize(p)),
  };
  const paths = runtimeClosure(graph, [...contents, ...configReferences]);
  const { order } = popularityContest(overlay, [...virtual.keys(), ...paths]);
  return order.filter((p) => !virtual.has(p));
}

/** streamLayeredImage / buildLayeredImage store layers, exactly as nixpkgs groups them. */
export function popularityLayers(input: ImageLayeringInput): StoreLayers {
  const available = availableLayers(input.maxLayers ?? 100, input.baseImageLayers ?? 0);
  return splitByOrder(imagePopularityOrder(input), available);
}

/**
 * Bytes two images share as identical layers (same path set, hence the same
 * layer tar and digest), counted once per shared layer.
 */
export function sharedBytes(
  layersA: readonly (readonly string[])[],
  layersB: readonly (readonly string[])[],
  narSize: (path: string) => number,
): number {
  const key = (layer: readonly string[]) => [...layer].sort(compareStorePaths).join("\n");
  const inB = new Set(layersB.map(key));
  const counted = new Set<string>();
  let total = 0;
  for (const layer of layersA) {
    const k = key(layer);
    if (!inB.has(k) || counted.has(k)) continue;
    counted.add(k);
    for (const p of layer) total += narSize(p);
  }
  return total;
}
