/** The registry client's public surface; import from here. */
export { pushImage, type PushOptions, type PushResult } from "./push.js";
export { pullImage, remoteImage, type PullOptions, type PulledImage } from "./pull.js";
export { RegistryClient, type RegistryClientOptions } from "./client.js";
export { Repository } from "./repository.js";
export { uploadBlob, type BlobSource, type UploadOptions } from "./upload.js";
export { RegistryError, RegistryAuthError, type RegistryErrorCode } from "./errors.js";
export { parseReference, formatReference, type Reference } from "./reference.js";
export { findCredentials, type Credential, type CredentialOptions } from "./credentials.js";
export { BlobLocations, defaultBlobLocationsPath } from "./blobLocations.js";
export { RetryPolicy, type RetryOptions } from "./retry.js";
export { progressFor, silentProgress, type ProgressReporter } from "./progress.js";
export { parsePlatform } from "./platform.js";
