// vitest loads src/*.ts through its transformer, which `require` (used by src/deferred.ts in the
// built CLI) cannot do: load the deferred modules up front instead.
import { preloadDeferred } from "../../src/deferred.js";

await preloadDeferred();
