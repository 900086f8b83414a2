/** The local store and builder: what other parts of nixoci use. */
export { LocalStore, type LocalStoreOptions, copyTree } from "./localStore.js";
export { type PathInfo, type NewPathInfo } from "./database.js";
export { StoreError, InvalidPathError, HashMismatchError, BuildError, BuildFailures, LockError } from "./errors.js";
export { defaultStoreRoot, storeLocationAt, LOGICAL_STORE_DIR, type StoreLocation } from "./location.js";
export { buildDerivations, readDerivation, type BuildOptions } from "./build/worker.js";
export { readBuildLog, buildLogPath } from "./build/buildLog.js";
