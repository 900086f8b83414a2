/**
 * Reference scanning as Nix 2.8 does it (libstore/references.cc): look for
 * the 32-character hash parts of candidate store paths in a byte stream
 * (normally the NAR of a build output). Checks windows right to left and
 * jumps past any byte outside the nix32 alphabet, so ordinary data is
 * skipped up to 32 bytes at a time. Chunk boundaries are handled by
 * carrying the last 31 bytes over.
 */
import { Readable } from "node:stream";
import { NIX32_DIGIT } from "./nixbase32.js";
import { narChunks, narStream } from "./nar.js";
import { parseNar } from "./narParse.js";
import { DEFAULT_STORE_DIR, parseStorePath, STORE_PATH_HASH_LENGTH } from "./storePath.js";

const REF_LEN = STORE_PATH_HASH_LENGTH;
const IS_NIX32 = new Uint8Array(256);
const DIGIT = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  IS_NIX32[c] = NIX32_DIGIT[c]! >= 0 ? 1 : 0;
  DIGIT[c] = Math.max(0, NIX32_DIGIT[c]!);
}

export interface RefScanOptions {
  /** Also record every offset (in the scanned stream) where each hash occurs; for `why-depends`-style reports. */
  withOffsets?: boolean;
}

/** Incremental scanner: feed chunks with `update`, read `found` at any time. */
export class RefScanner {
  private readonly pending: Set<string>;
  /** Hash parts seen so far. */
  readonly found = new Set<string>();
  /** Hash part → stream offsets of its occurrences (only with `withOffsets`). */
  readonly offsets = new Map<string, number[]>();
  private tail: Buffer = Buffer.alloc(0);
  private consumed = 0;
  /** Table over the first three characters (15 bits) of the candidates: a cheap, cache-friendly pre-filter before building strings. */
  private readonly prefix = new Uint8Array(1 << 15);

  constructor(
    candidateHashParts: Iterable<string>,
    private readonly options: RefScanOptions = {},
  ) {
    this.pending = new Set(candidateHashParts);
    for (const h of this.pending) {
      if (h.length !== REF_LEN) throw new TypeError(`'${h}' is not a ${REF_LEN}-character hash part`);
      const d = [0, 1, 2].map((k) => NIX32_DIGIT[h.charCodeAt(k) & 0xff]!);
      if (d.some((x) => x < 0)) continue; // cannot occur in a nix32 window
      this.prefix[(d[0]! << 10) | (d[1]! << 5) | d[2]!] = 1;
    }
  }

  /** Whether nothing is left to find (the caller may stop feeding). */
  get done(): boolean {
    return !this.options.withOffsets && this.pending.size === 0;
  }

  update(chunk: Uint8Array): this {
    if (chunk.length === 0) return this;
    if (this.done) {
      this.consumed += chunk.length;
      return this;
    }
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Windows that start in the carried-over tail are searched in a small
    // joined buffer; all others inside the chunk itself (no copy of the chunk).
    if (this.tail.length > 0) {
      const head = data.subarray(0, REF_LEN - 1);
      this.search(Buffer.concat([this.tail, head]), this.consumed - this.tail.length);
    }
    this.search(data, this.consumed);
    this.consumed += data.length;
    if (data.length >= REF_LEN - 1) this.tail = Buffer.from(data.subarray(data.length - (REF_LEN - 1)));
    else {
      const joined = Buffer.concat([this.tail, data]);
      this.tail = joined.subarray(Math.max(0, joined.length - (REF_LEN - 1)));
    }
    return this;
  }

  private search(s: Buffer, base: number): void {
    const n = s.length;
    const withOffsets = this.options.withOffsets ?? false;
    const prefix = this.prefix;
    // Bytes before `valid` are known to be nix32 (from the previous window),
    // so inside long nix32 runs each step checks one new byte, not 32.
    let valid = 0;
    let i = 0;
    outer: while (i + REF_LEN <= n) {
      for (let j = REF_LEN - 1; i + j >= valid; j--) {
        if (!IS_NIX32[s[i + j]!]) {
          i += j + 1;
          valid = i;
          continue outer;
        }
      }
      valid = i + REF_LEN;
      const key = (DIGIT[s[i]!]! << 10) | (DIGIT[s[i + 1]!]! << 5) | DIGIT[s[i + 2]!]!;
      if (prefix[key]) {
        const ref = s.toString("latin1", i, i + REF_LEN);
        if (this.pending.has(ref) || (withOffsets && this.found.has(ref))) {
          if (!withOffsets) this.pending.delete(ref);
          this.found.add(ref);
          if (withOffsets) {
            let list = this.offsets.get(ref);
            if (!list) this.offsets.set(ref, (list = []));
            list.push(base + i);
          }
        }
      }
      i++;
    }
  }
}

/** Hash parts of the candidates that occur in the stream. */
export async function scanForReferences(
  stream: AsyncIterable<Uint8Array> | Readable,
  candidateHashParts: Iterable<string>,
  options: RefScanOptions = {},
): Promise<RefScanner> {
  const scanner = new RefScanner(candidateHashParts, options);
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    scanner.update(chunk);
    if (scanner.done) break;
  }
  return scanner;
}

/**
 * Nix's `scanForReferences(path, refs)`: which of the candidate store paths
 * occur in the NAR serialisation of `path` (file names and symlink targets
 * count too). Returns the subset of `candidates`, in input order.
 */
export function scanPathForReferencesSync(path: string, candidates: Iterable<string>, storeDir = DEFAULT_STORE_DIR): string[] {
  const list = [...candidates];
  const byHash = new Map(list.map((p) => [parseStorePath(p, storeDir).hashPart, p]));
  const scanner = new RefScanner(byHash.keys());
  for (const chunk of narChunks(path)) {
    scanner.update(chunk);
    if (scanner.done) break;
  }
  return list.filter((p) => scanner.found.has(parseStorePath(p, storeDir).hashPart));
}

/** Where a reference occurs inside a file system object (for `why-depends --precise`-style reports). */
export interface ReferenceHit {
  /** Candidate store path found. */
  storePath: string;
  /** Path of the entry relative to the scanned root ("" for the root itself). */
  entry: string;
  /** Where in the entry: its file contents, its symlink target or its name. */
  in: "contents" | "target" | "name";
  /** Byte offset of the hash part inside that contents/target/name. */
  offset: number;
}

/**
 * Every occurrence of the candidates' hash parts in `path`, per entry:
 * file contents, symlink targets and entry names. Streams file contents.
 */
export async function findReferenceHits(path: string, candidates: Iterable<string>, storeDir = DEFAULT_STORE_DIR): Promise<ReferenceHit[]> {
  const byHash = new Map([...candidates].map((p) => [parseStorePath(p, storeDir).hashPart, p]));
  const hits: ReferenceHit[] = [];
  const record = (scanner: RefScanner, entry: string, where: ReferenceHit["in"]) => {
    for (const [hash, offsets] of scanner.offsets)
      for (const offset of offsets) hits.push({ storePath: byHash.get(hash)!, entry, in: where, offset });
  };
  const scanBytes = (bytes: Uint8Array, entry: string, where: ReferenceHit["in"]) =>
    record(new RefScanner(byHash.keys(), { withOffsets: true }).update(bytes), entry, where);
  for await (const e of parseNar(narStream(path))) {
    const slash = e.rawPath.lastIndexOf(0x2f);
    if (e.rawPath.length > 0) scanBytes(e.rawPath.subarray(slash + 1), e.path, "name");
    if (e.type === "symlink") scanBytes(e.rawTarget, e.path, "target");
    else if (e.type === "regular") {
      const scanner = new RefScanner(byHash.keys(), { withOffsets: true });
      for await (const chunk of e.contents) scanner.update(chunk);
      record(scanner, e.path, "contents");
    }
  }
  return hits;
}
