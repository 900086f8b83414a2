import { NixociError } from "../errors.js";

/** A path the graph does not know (not valid in the store, or missing from a path-info dump). */
export class UnknownPathError extends NixociError {
  constructor(readonly storePath: string, readonly referrer?: string) {
    super(
      referrer === undefined
        ? `path '${storePath}' is not in the closure graph`
        : `path '${storePath}' (referenced by '${referrer}') is not in the closure graph`,
    );
  }
}

/** Two distinct paths refer to each other: impossible for a Nix store, so the input is broken. */
export class ReferenceCycleError extends NixociError {
  constructor(readonly storePath: string, readonly parent: string) {
    super(`cycle detected in the references of '${storePath}' from '${parent}'`);
  }
}

/** maxLayers leaves no room for the store paths once base and customisation layers are counted. */
export class LayerBudgetError extends NixociError {
  constructor(readonly maxLayers: number, readonly usedLayers: number) {
    super(
      maxLayers <= 1
        ? `maxLayers must be greater than 1 (current value: ${maxLayers})`
        : `usedLayers ${usedLayers} layers to store 'fromImage' and 'extraCommands', but only maxLayers=${maxLayers} were allowed. At least 1 layer is required to store contents.`,
    );
  }
}
