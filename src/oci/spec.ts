/**
 * A small typed subset of the OCI image-spec (v1.1) and distribution-spec,
 * plus the Docker v2 schema 2 equivalents, and the serialisation and digest
 * helpers every other OCI module uses.
 *
 * Serialisation rule (what our digests are computed over): `encodeJson` emits
 * compact JSON (no whitespace) with the keys of every known structure in the
 * order they are declared in the types below, keys of free-form maps
 * (annotations, labels, ExposedPorts, Volumes, unknown extra fields) sorted by
 * UTF-16 code unit, and `undefined` fields dropped. The same value therefore
 * always gives the same bytes, whatever order the caller built it in.
 * Documents we READ are never re-serialised: their raw bytes are kept.
 */
import { createHash, type Hash } from "node:crypto";
import { NixociError } from "../errors.js";

// ---------------------------------------------------------------- media types

export const MediaType = {
  // OCI image-spec
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  OciLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  OciEmptyJson: "application/vnd.oci.empty.v1+json",
  OciLayoutHeader: "application/vnd.oci.layout.header.v1+json",
  // Docker image manifest v2 schema 2
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  /** Docker schema 1 (signed): recognised only to be rejected with a clear message. */
  DockerManifestV1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;
export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** Which family of media types an image's manifest, config and layers use. */
export type ManifestFormat = "oci" | "docker";

export type Compression = "gzip" | "zstd" | "none";

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OciIndex || mt === MediaType.DockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OciManifest || mt === MediaType.DockerManifest;
}

/** Compression of a layer blob from its media type; throws on media types that are not layers. */
export function layerCompression(mediaType: string): Compression {
  switch (mediaType) {
    case MediaType.OciLayer:
      return "none";
    case MediaType.OciLayerGzip:
    case MediaType.OciLayerNondistributableGzip:
    case MediaType.DockerLayerGzip:
    case MediaType.DockerForeignLayerGzip:
      return "gzip";
    case MediaType.OciLayerZstd:
      return "zstd";
    default:
      throw new OciFormatError(`unsupported layer media type '${mediaType}'`);
  }
}

/**
 * Layer media type for a compression in a manifest family. Docker schema 2
 * only defines gzip layers; Docker engines ≥ 23 and containers/image also
 * accept the OCI tar and zstd types inside a Docker manifest, so we use those.
 */
export function layerMediaType(compression: Compression, format: ManifestFormat = "oci"): string {
  if (compression === "gzip") return format === "docker" ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip;
  if (compression === "zstd") return MediaType.OciLayerZstd;
  return MediaType.OciLayer;
}

export function manifestMediaType(format: ManifestFormat): string {
  return format === "docker" ? MediaType.DockerManifest : MediaType.OciManifest;
}

export function indexMediaType(format: ManifestFormat): string {
  return format === "docker" ? MediaType.DockerManifestList : MediaType.OciIndex;
}

export function configMediaType(format: ManifestFormat): string {
  return format === "docker" ? MediaType.DockerConfig : MediaType.OciConfig;
}

/** The same layer media type in the other manifest family (gzip is the only one that differs). */
export function convertLayerMediaType(mediaType: string, format: ManifestFormat): string {
  if (mediaType === MediaType.OciLayerGzip && format === "docker") return MediaType.DockerLayerGzip;
  if (mediaType === MediaType.DockerLayerGzip && format === "oci") return MediaType.OciLayerGzip;
  return mediaType;
}

// ---------------------------------------------------------------- documents

/** `algorithm:hex`, e.g. `sha256:e3b0…`. */
export type Digest = string;

export interface Platform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The runtime part of the image config (`config` key); Docker's capitalised field names. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
}

export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface RootFs {
  type: "layers";
  diff_ids: Digest[];
}

/** The image configuration blob (OCI `config.v1+json`, same shape as Docker's image JSON). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFs;
  history?: History[];
}

/** Docker archive `manifest.json` entry (`docker save` format). */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, Descriptor>;
}

/** `oci-layout` file of an image layout directory. */
export interface OciLayoutFile {
  imageLayoutVersion: "1.0.0";
}

// ---------------------------------------------------------------- serialisation

const platformKeys = ["architecture", "os", "os.version", "os.features", "variant", "features"];
const descriptorKeys = ["mediaType", "artifactType", "digest", "size", "urls", "annotations", "data", "platform"];
const manifestKeys = ["schemaVersion", "mediaType", "artifactType", "config", "layers", "subject", "annotations"];
const indexKeys = ["schemaVersion", "mediaType", "artifactType", "manifests", "subject", "annotations"];
const containerConfigKeys = [
  "User",
  "ExposedPorts",
  "Env",
  "Entrypoint",
  "Cmd",
  "Volumes",
  "WorkingDir",
  "Labels",
  "StopSignal",
  "ArgsEscaped",
];
const historyKeys = ["created", "created_by", "author", "comment", "empty_layer"];
const configKeys = [
  "created",
  "author",
  "architecture",
  "os",
  "os.version",
  "os.features",
  "variant",
  "config",
  "rootfs",
  "history",
];

/** Key order and nested shapes of the structures we write; anything else is a sorted map. */
interface Shape {
  keys: string[];
  nested?: Record<string, Shape | { array: Shape }>;
}
const platformShape: Shape = { keys: platformKeys };
const descriptorShape: Shape = { keys: descriptorKeys, nested: { platform: platformShape } };
const manifestShape: Shape = {
  keys: manifestKeys,
  nested: { config: descriptorShape, layers: { array: descriptorShape }, subject: descriptorShape },
};
const indexShape: Shape = {
  keys: indexKeys,
  nested: { manifests: { array: descriptorShape }, subject: descriptorShape },
};
const configShape: Shape = {
  keys: configKeys,
  nested: {
    config: { keys: containerConfigKeys },
    rootfs: { keys: ["type", "diff_ids"] },
    history: { array: { keys: historyKeys } },
  },
};
const dockerArchiveShape: Shape = { keys: ["Config", "RepoTags", "Layers", "LayerSources"] };

function ordered(value: unknown, shape: Shape | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, shape));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const known = shape?.keys ?? [];
  for (const k of known) {
    if (obj[k] === undefined) continue;
    const nested = shape?.nested?.[k];
    const sub = nested === undefined ? undefined : "array" in nested ? nested.array : nested;
    out[k] = ordered(obj[k], sub);
  }
  const rest = Object.keys(obj)
    .filter((k) => !known.includes(k) && obj[k] !== undefined)
    .sort();
  for (const k of rest) out[k] = ordered(obj[k], undefined);
  return out;
}

function encode(value: unknown, shape: Shape | undefined): Buffer {
  return Buffer.from(JSON.stringify(ordered(value, shape)), "utf8");
}

export const encodeManifest = (m: Manifest): Buffer => encode(m, manifestShape);
export const encodeIndex = (i: Index): Buffer => encode(i, indexShape);
export const encodeConfig = (c: ImageConfig): Buffer => encode(c, configShape);
export const encodeDescriptor = (d: Descriptor): Buffer => encode(d, descriptorShape);
export const encodeDockerArchiveManifest = (entries: DockerArchiveEntry[]): Buffer =>
  encode(entries, dockerArchiveShape);
/** Any other JSON value: all object keys sorted. */
export const encodeJson = (value: unknown): Buffer => encode(value, undefined);

// ---------------------------------------------------------------- digests

/** A malformed OCI document, digest or media type (from disk, an archive or a registry). */
export class OciFormatError extends NixociError {
  constructor(
    message: string,
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(source === undefined ? message : `${source}: ${message}`, options);
  }
}

/** Bytes whose sha256 is not the digest they were announced with. */
export class DigestMismatchError extends NixociError {
  constructor(
    readonly expected: Digest,
    readonly actual: Digest,
    readonly source?: string,
  ) {
    super(`${source === undefined ? "" : `${source}: `}digest mismatch: expected ${expected}, got ${actual}`);
  }
}

const digestPattern = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

export function sha256Digest(bytes: Buffer | Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function isDigest(s: string): boolean {
  return digestPattern.test(s);
}

/** Splits and validates a digest; only sha256 and sha512 are accepted (as in the distribution spec). */
export function parseDigest(s: string, source?: string): { algorithm: "sha256" | "sha512"; hex: string } {
  if (!digestPattern.test(s)) throw new OciFormatError(`invalid digest '${s}'`, source);
  const [algorithm, hex] = s.split(":") as ["sha256" | "sha512", string];
  return { algorithm, hex };
}

/** `blobs/<alg>/<hex>` inside an OCI layout. */
export function blobPath(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** Incremental sha256 with byte count, for digesting a stream as it passes. */
export class Digester {
  private readonly hash: Hash;
  private count = 0;
  constructor(private readonly algorithm: "sha256" | "sha512" = "sha256") {
    this.hash = createHash(algorithm);
  }
  update(chunk: Buffer | Uint8Array): void {
    this.hash.update(chunk);
    this.count += chunk.length;
  }
  get size(): number {
    return this.count;
  }
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest("hex")}`;
  }
}

export function descriptorFor(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

// ---------------------------------------------------------------- platforms

/**
 * OCI platform of a Nix system string (`<cpu>-<kernel>`), following the
 * GOARCH names the image-spec uses. Unknown CPUs are an error rather than a
 * guess so an image is never labelled with the wrong architecture.
 */
export function platformFromSystem(system: string): Platform {
  const dash = system.indexOf("-");
  if (dash <= 0) throw new OciFormatError(`'${system}' is not a system string like x86_64-linux`);
  const cpu = system.slice(0, dash);
  const kernel = system.slice(dash + 1);
  const os = kernel === "darwin" ? "darwin" : kernel;
  const table: Record<string, { architecture: string; variant?: string }> = {
    x86_64: { architecture: "amd64" },
    i686: { architecture: "386" },
    i386: { architecture: "386" },
    aarch64: { architecture: "arm64", variant: "v8" },
    armv5tel: { architecture: "arm", variant: "v5" },
    armv6l: { architecture: "arm", variant: "v6" },
    armv7l: { architecture: "arm", variant: "v7" },
    armv7a: { architecture: "arm", variant: "v7" },
    powerpc64le: { architecture: "ppc64le" },
    powerpc64: { architecture: "ppc64" },
    riscv64: { architecture: "riscv64" },
    s390x: { architecture: "s390x" },
    mips64el: { architecture: "mips64le" },
    mipsel: { architecture: "mipsle" },
    loongarch64: { architecture: "loong64" },
    wasm32: { architecture: "wasm" },
  };
  const arch = table[cpu];
  if (arch === undefined) throw new OciFormatError(`no OCI architecture known for the Nix system '${system}'`);
  const platform: Platform = { architecture: arch.architecture, os };
  if (arch.variant !== undefined) platform.variant = arch.variant;
  return platform;
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant === undefined ? "" : `/${p.variant}`}`;
}
