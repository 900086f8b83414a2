/**
 * All builtins, registered into the base environment.
 */
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { NixFloat } from "../values.js";
import { registerAttrBuiltins } from "./attrs.js";
import { registerContextBuiltins } from "./context.js";
import { registerConversionBuiltins } from "./conv.js";
import { registerCoreBuiltins } from "./core.js";
import { registerDerivationBuiltins } from "./derivation.js";
import { registerFsBuiltins } from "./fs.js";
import { registerListBuiltins } from "./lists.js";
import { registerFlakeRefBuiltins, registerMiscBuiltins } from "./misc.js";
import { registerFlakeBuiltins } from "./flakeBuiltins.js";
import { registerStringBuiltins } from "./strings.js";

/** The Nix version nixoci's evaluator reports (its behaviour follows current Nix's language). */
export const NIX_VERSION = "2.8.1";

/**
 * Builtins that exist only with an experimental feature on, as current Nix registers them (it
 * leaves the others out of `builtins` and the global scope). Nix 2.8 differs, and current Nix
 * wins: it had fetchTree whatever the features (failing when called without flakes) and no
 * parseFlakeRef, flakeRefToString or outputOf at all.
 */
const FEATURE_OF: ReadonlyMap<string, string> = new Map([
  ["__getFlake", "flakes"],
  ["__parseFlakeRef", "flakes"],
  ["__flakeRefToString", "flakes"],
  ["fetchTree", "fetch-tree"],
  ["__outputOf", "dynamic-derivations"],
]);

export function registerAllBuiltins(ev: Evaluator, define: DefineBuiltin): void {
  let def: DefineBuiltin = (name, ...rest) => {
    const feature = FEATURE_OF.get(name);
    if (feature === undefined || ev.hasFeature(feature)) define(name, ...rest);
  };
  def = registerFlakeBuiltins(ev, def); // pure (flake) evaluation: no currentSystem/currentTime, restricted paths
  registerCoreBuiltins(ev, def);
  registerListBuiltins(ev, def);
  registerAttrBuiltins(ev, def);
  registerStringBuiltins(ev, def);
  registerContextBuiltins(ev, def);
  registerConversionBuiltins(ev, def);
  registerFsBuiltins(ev, def);
  registerDerivationBuiltins(ev, def);
  registerMiscBuiltins(ev, def);
  registerFlakeRefBuiltins(ev, def);
  // Constants (arity 0: computed on first use).
  def("__currentSystem", 0, () => ev.options.system ?? "x86_64-linux");
  def("__currentTime", 0, () => Math.floor(Date.now() / 1000));
  def("__nixVersion", 0, () => NIX_VERSION);
  def("__langVersion", 0, () => 6);
  def("__storeDir", 0, () => ev.store.storeDir);
  def("__nixPath", 0, () => ev.nixPathValue());
  void NixFloat;
}
