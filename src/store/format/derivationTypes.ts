/**
 * The store derivation (.drv) data model, as Nix 2.8's `Derivation`.
 * Outputs keep the raw ATerm triple (path, hashAlgo, hash) so a parsed
 * derivation writes back byte for byte; `classifyOutput` tells the kinds apart.
 */

export interface DerivationOutput {
  /** Output store path; "" for deferred and floating content-addressed outputs. */
  readonly path: string;
  /** "" (input-addressed), or "[r:]<algo>" for content-addressed outputs. */
  readonly hashAlgo: string;
  /** Base16 fixed hash, "" (not fixed) or "impure". */
  readonly hash: string;
}

export interface Derivation {
  /** The derivation name (store path name without ".drv"); not part of the ATerm, needed for fixed output paths. */
  name: string;
  /** Output name → output. */
  outputs: Map<string, DerivationOutput>;
  /** Input .drv store path → names of the outputs used. */
  inputDrvs: Map<string, string[]>;
  /** Input sources (store paths). */
  inputSrcs: string[];
  /** `system` ("platform" in Nix's code). */
  system: string;
  builder: string;
  args: string[];
  /** Environment; with `__structuredAttrs` it holds `__json` and the output paths only. */
  env: Map<string, string>;
}

export type DerivationOutputKind = "inputAddressed" | "fixed" | "floating" | "deferred" | "impure";

/** Which variant of Nix's DerivationOutput this triple encodes (as parseDerivationOutput decides). */
export function classifyOutput(o: DerivationOutput): DerivationOutputKind {
  if (o.hashAlgo !== "") {
    if (o.hash === "impure") return "impure";
    return o.hash !== "" ? "fixed" : "floating";
  }
  return o.path === "" ? "deferred" : "inputAddressed";
}
