/** The local store and builder: what other parts of nixoci use. */
export { LocalStore, type LocalStoreOptions, copyTree } from "./localStore.js";
export { type PathInfo, type NewPathInfo } from "./database.js";
export { StoreError, InvalidPathError, HashMismatchError, BuildError, BuildFailures, LockError } from "./errors.js";
export { defaultStoreRoot, storeLocationAt, LOGICAL_STORE_DIR, type StoreLocation } from "./location.js";
export { buildDerivations, readDerivation, type BuildOptions } from "./build/worker.js";
export { readBuildLog, buildLogPath } from "./build/buildLog.js";
export { collectGarbage, liveSet, showBytes, type GcResult, type GcOptions } from "./gc.js";
export { addIndirectRoot, createOutLink, findRoots } from "./gcRoots.js";
export { verifyStore, type VerifyProblem } from "./verify.js";
export { topoSortPaths, requisitesInNixOrder, pathInfoJson, pathInfoLines, closureSize } from "./queryFormat.js";
export { parseSandboxPaths, defaultSandboxPaths } from "./build/sandbox.js";
export { type BuildSettings } from "./build/buildDerivation.js";
