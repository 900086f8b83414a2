/**
 * Derivation hashing and instantiation as Nix 2.8 does it
 * (libstore/derivations.cc `hashDerivationModulo`, libexpr/primops.cc
 * `derivationStrict`, `writeDerivation`): the pure part of turning
 * derivation attributes into output paths, ATerm text and a .drv path.
 */
import { InvalidDerivationError } from "./errors.js";
import { hashData, parseHashAlgo, parseHashUnprefixed, printHash, type Hash, type HashAlgo } from "./hash.js";
import { nix32Encode } from "./nixbase32.js";
import {
  DEFAULT_STORE_DIR,
  DRV_EXTENSION,
  makeFixedOutputPath,
  makeOutputPath,
  makeTextPath,
  outputPathName,
  parseStorePath,
  type FileIngestionMethod,
} from "./storePath.js";
import { writeDerivationATerm } from "./aterm.js";
import { classifyOutput, type Derivation, type DerivationOutput } from "./derivationTypes.js";

export type DerivationKind = "inputAddressed" | "deferred" | "fixed" | "floating" | "impure";

/** Nix's `BasicDerivation::type()`, with its error texts. */
export function derivationKind(drv: Derivation): DerivationKind {
  const kinds = new Set([...drv.outputs.values()].map(classifyOutput));
  if (kinds.size === 0) throw new InvalidDerivationError("must have at least one output");
  if (kinds.size > 1) throw new InvalidDerivationError("can't mix derivation output types");
  const [kind] = kinds;
  if (kind === "fixed") {
    if (drv.outputs.size > 1) throw new InvalidDerivationError("only one fixed output is allowed for now");
    if (!drv.outputs.has("out")) throw new InvalidDerivationError('single fixed output must be named "out"');
    return "fixed";
  }
  if (kind === "floating") {
    const algos = new Set([...drv.outputs.values()].map((o) => o.hashAlgo.replace(/^r:/, "")));
    if (algos.size > 1) throw new InvalidDerivationError("all floating outputs must use the same hash type");
  }
  return kind === "inputAddressed" ? "inputAddressed" : kind!;
}

/** Result of hashDerivationModulo: one hash per output, "deferred" when it depends on floating CA outputs. */
export interface DrvHashModulo {
  readonly hashes: Map<string, Hash>;
  readonly kind: "regular" | "deferred";
}

/** The method and hash of a fixed output triple ("r:sha256", "<base16>"). */
export function fixedOutputHash(o: DerivationOutput): { method: FileIngestionMethod; hash: Hash } {
  const recursive = o.hashAlgo.startsWith("r:");
  const algo = parseHashAlgo(recursive ? o.hashAlgo.slice(2) : o.hashAlgo);
  return { method: recursive ? "recursive" : "flat", hash: parseHashUnprefixed(o.hash, algo) };
}

/** Nix's impureOutputHash: sha256 of "impure". */
const impureOutputHash = (): Hash => hashData("sha256", "impure");

/**
 * Nix's `hashDerivationModulo`. Fixed-output derivations hash to
 * sha256("fixed:out:<[r:]algo>:<base16>:<outPath>") per output; otherwise
 * every input derivation is replaced by the base16 modulo hash of the used
 * outputs (`inputHash`, which callers memoise, see {@link DrvHashCache}) and
 * the resulting ATerm is hashed.
 */
export function hashDerivationModulo(
  drv: Derivation,
  maskOutputs: boolean,
  inputHash: (drvPath: string) => DrvHashModulo,
  storeDir = DEFAULT_STORE_DIR,
): DrvHashModulo {
  const kind = derivationKind(drv);
  if (kind === "fixed") {
    const hashes = new Map<string, Hash>();
    for (const [name, o] of drv.outputs) {
      const { method, hash } = fixedOutputHash(o);
      const path = makeFixedOutputPath(method, hash, outputPathName(drv.name, name), {}, storeDir);
      hashes.set(name, hashData("sha256", `fixed:out:${o.hashAlgo}:${printHash(hash, "base16")}:${path}`));
    }
    return { hashes, kind: "regular" };
  }
  if (kind === "impure") {
    return { hashes: new Map([...drv.outputs.keys()].map((n) => [n, impureOutputHash()])), kind: "deferred" };
  }
  let resultKind: DrvHashModulo["kind"] = kind === "floating" ? "deferred" : "regular";
  const inputs = new Map<string, Set<string>>();
  for (const [drvPath, outputNames] of drv.inputDrvs) {
    const res = inputHash(drvPath);
    if (res.kind === "deferred") resultKind = "deferred";
    for (const outputName of outputNames) {
      const h = res.hashes.get(outputName);
      if (!h) throw new InvalidDerivationError(`derivation '${drvPath}' does not have an output named '${outputName}'`);
      const key = printHash(h, "base16");
      let set = inputs.get(key);
      if (!set) inputs.set(key, (set = new Set()));
      set.add(outputName);
    }
  }
  const hash = hashData("sha256", writeDerivationATerm(drv, { maskOutputs, actualInputs: inputs }));
  return { hashes: new Map([...drv.outputs.keys()].map((n) => [n, hash])), kind: resultKind };
}

/**
 * Memoised modulo hashes of .drv files, keyed by store path (Nix's global
 * `drvHashes`). `readDerivation` loads a .drv that is not yet known;
 * `computeDerivation` records the derivations it creates so they are never read.
 */
export class DrvHashCache {
  private readonly hashes = new Map<string, DrvHashModulo>();
  constructor(
    private readonly readDerivation: (drvPath: string) => Derivation,
    readonly storeDir = DEFAULT_STORE_DIR,
  ) {}

  get(drvPath: string): DrvHashModulo {
    let h = this.hashes.get(drvPath);
    if (!h) {
      h = hashDerivationModulo(this.readDerivation(drvPath), false, (p) => this.get(p), this.storeDir);
      this.hashes.set(drvPath, h);
    }
    return h;
  }

  set(drvPath: string, h: DrvHashModulo): void {
    this.hashes.set(drvPath, h);
  }
}

/** References of a .drv file: its input sources and input derivations. */
export function derivationReferences(drv: Derivation): string[] {
  return [...new Set([...drv.inputSrcs, ...drv.inputDrvs.keys()])];
}

/** Nix's `writeDerivation` path computation: a text path named `<name>.drv`. */
export function computeDerivationPath(drv: Derivation, aterm = writeDerivationATerm(drv), storeDir = DEFAULT_STORE_DIR): string {
  return makeTextPath(drv.name + DRV_EXTENSION, hashData("sha256", aterm), derivationReferences(drv), storeDir);
}

/** Nix's `hashPlaceholder(outputName)`: "/" + nix32(sha256("nix-output:<name>")). */
export function hashPlaceholder(outputName: string): string {
  return "/" + nix32Encode(hashData("sha256", `nix-output:${outputName}`).bytes);
}

/**
 * Nix's `downstreamPlaceholder`: what a not-yet-known output (deferred or
 * floating content-addressed) of `drvPath` reads as in dependent strings.
 */
export function downstreamPlaceholder(drvPath: string, outputName: string, storeDir = DEFAULT_STORE_DIR): string {
  const { hashPart, name } = parseStorePath(drvPath, storeDir);
  const drvName = name.slice(0, -DRV_EXTENSION.length);
  return "/" + nix32Encode(hashData("sha256", `nix-upstream-output:${hashPart}:${outputPathName(drvName, outputName)}`).bytes);
}

/** What `derivationStrict` has collected from the attributes. */
export interface DerivationSpec {
  name: string;
  system: string;
  builder: string;
  args: readonly string[];
  /**
   * Every attribute except `args` as coerced strings (including name,
   * builder, system, outputs...), or with `__structuredAttrs` just `__json`.
   * Output entries are filled in here.
   */
  env: Map<string, string> | Record<string, string>;
  /** Output names in attribute order; default ["out"]. */
  outputs?: readonly string[];
  /** .drv path → output names used (from string context `!out!/nix/store/…drv`). */
  inputDrvs?: Map<string, Iterable<string>>;
  /** Source store paths (from string context). */
  inputSrcs?: Iterable<string>;
  /** outputHash given: a fixed-output derivation. */
  fixedOutput?: { method: FileIngestionMethod; hash: Hash };
  /** `__contentAddressed = true` (floating CA, experimental in 2.8). */
  contentAddressed?: { method: FileIngestionMethod; algo: HashAlgo };
  /** `__impure = true` (experimental in 2.8). */
  impure?: { method: FileIngestionMethod; algo: HashAlgo };
}

export interface InstantiatedDerivation {
  derivation: Derivation;
  /** The ATerm text written to the .drv file. */
  aterm: string;
  drvPath: string;
  /** Output name → path ("" for deferred/floating outputs). */
  outputPaths: Map<string, string>;
  /** hashDerivationModulo(drv, false), already recorded in the cache. */
  hashModulo: DrvHashModulo;
}

/**
 * The store side of `derivationStrict`: fills output paths and their env
 * entries, renders the ATerm and computes the .drv path. `cache` supplies
 * modulo hashes of input derivations and records this one.
 */
export function computeDerivation(spec: DerivationSpec, cache: DrvHashCache): InstantiatedDerivation {
  const storeDir = cache.storeDir;
  const outputs = spec.outputs ?? ["out"];
  if (outputs.length === 0) throw new InvalidDerivationError("derivation cannot have an empty set of outputs");
  if (new Set(outputs).size !== outputs.length) {
    const dup = outputs.find((o, i) => outputs.indexOf(o) !== i);
    throw new InvalidDerivationError(`duplicate derivation output '${dup}'`);
  }
  if (outputs.includes("drv")) throw new InvalidDerivationError("invalid derivation output name 'drv'");
  if (spec.builder === "") throw new InvalidDerivationError("required attribute 'builder' missing");
  if (spec.system === "") throw new InvalidDerivationError("required attribute 'system' missing");
  if (spec.name.endsWith(DRV_EXTENSION))
    throw new InvalidDerivationError(`derivation names are not allowed to end in '${DRV_EXTENSION}'`);

  const env = spec.env instanceof Map ? new Map(spec.env) : new Map(Object.entries(spec.env));
  const inputDrvs = new Map<string, string[]>();
  for (const [p, outs] of spec.inputDrvs ?? []) inputDrvs.set(p, [...new Set(outs)]);
  const drv: Derivation = {
    name: spec.name,
    outputs: new Map(),
    inputDrvs,
    inputSrcs: [...new Set(spec.inputSrcs ?? [])],
    system: spec.system,
    builder: spec.builder,
    args: [...spec.args],
    env,
  };

  if (spec.fixedOutput) {
    if (outputs.length !== 1 || outputs[0] !== "out")
      throw new InvalidDerivationError("multiple outputs are not supported in fixed-output derivations");
    const { method, hash } = spec.fixedOutput;
    const outPath = makeFixedOutputPath(method, hash, spec.name, {}, storeDir);
    env.set("out", outPath);
    drv.outputs.set("out", {
      path: outPath,
      hashAlgo: (method === "recursive" ? "r:" : "") + hash.algo,
      hash: printHash(hash, "base16"),
    });
  } else if (spec.contentAddressed || spec.impure) {
    if (spec.contentAddressed && spec.impure)
      throw new InvalidDerivationError("derivation cannot be both content-addressed and impure");
    const { method, algo } = (spec.contentAddressed ?? spec.impure)!;
    for (const o of outputs) {
      env.set(o, hashPlaceholder(o));
      drv.outputs.set(o, { path: "", hashAlgo: (method === "recursive" ? "r:" : "") + algo, hash: spec.impure ? "impure" : "" });
    }
  } else {
    // Hash the "masked" derivation (empty output paths and output env
    // entries) so the set of output names is reflected in the hash.
    for (const o of outputs) {
      env.set(o, "");
      drv.outputs.set(o, { path: "", hashAlgo: "", hash: "" });
    }
    const modulo = hashDerivationModulo(drv, true, (p) => cache.get(p), storeDir);
    if (modulo.kind === "regular") {
      for (const o of outputs) {
        const outPath = makeOutputPath(o, modulo.hashes.get(o)!, spec.name, storeDir);
        env.set(o, outPath);
        drv.outputs.set(o, { path: outPath, hashAlgo: "", hash: "" });
      }
    }
  }

  const aterm = writeDerivationATerm(drv);
  const drvPath = computeDerivationPath(drv, aterm, storeDir);
  const hashModulo = hashDerivationModulo(drv, false, (p) => cache.get(p), storeDir);
  cache.set(drvPath, hashModulo);
  return {
    derivation: drv,
    aterm,
    drvPath,
    outputPaths: new Map([...drv.outputs].map(([n, o]) => [n, o.path])),
    hashModulo,
  };
}
