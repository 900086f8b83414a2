/**
 * `derivationStrict` (the primop) and `derivation` (its Nix wrapper, as in
 * Nix's corepkgs): attributes → store derivation, via src/store/format.
 */
import { readFileSync } from "node:fs";
import { EvalError, EvalWarning } from "../evalError.js";
import { DERIVATION_INTERNAL } from "../eval.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { type Lazy, NixAttrs, NixString, Thunk, fromBytes, toBytes } from "../values.js";
// The format modules one by one: the index would also load NAR parsing, narinfo and signatures.
import type { Derivation } from "../../store/format/derivationTypes.js";
import { type DerivationSpec, DrvHashCache, computeDerivation, derivationReferences } from "../../store/format/derivation.js";
import { parseDerivationATerm } from "../../store/format/aterm.js";
import { storePathNameProblem } from "../../store/format/storePath.js";
import { type HashAlgo, parseHashAlgoOrUndefined, parseHashAny, zeroHash } from "../../store/format/hash.js";
import { valueToJson } from "./conv.js";

/**
 * The `derivation` wrapper, written for nixoci with the same observable shape as Nix's: output
 * attrsets share common attrs, `all`, `drvAttrs`. Its lines show in error traces, at the line
 * numbers current Nix gives for its internal file (tested).
 */
export const derivationNix = `# derivation-internal.nix, nixoci's own: the \`derivation\` builtin,
# a wrapper around the derivationStrict primop (ASCII text only).
#
# derivationStrict takes the attributes as given, writes the store
# derivation and returns its paths: \`drvPath\` and one attribute per
# output. This wrapper turns that into what Nix code expects of a
# derivation value:
#
#   - the attributes as given (\`drvAttrs\` also has them, as a set);
#   - \`type = "derivation"\`, \`drvPath\`, and \`outPath\` of one output,
#     with \`outputName\` naming it;
#   - one attribute per output, each such a set for that output;
#   - \`all\`, the list of the outputs' sets, in \`outputs\` order.
#
# The value is the first output's set. Every output's set is the
# common attributes updated with its own four, so they share their
# values: asking one output for another gives that output's set.
#
# derivationStrict is called once, lazily: nothing is written to the
# store until a path (or an attribute it checks) is asked for.
#
# Its positions show (traces, --xml) where current Nix shows its own
# internal file's: keep \`strict\` at line 36, \`all\`, \`drvAttrs\` at
# 42-43 (column 7, 15) and an output's set (its own attributes over the
# common ones) at 47-52: \`name\`, \`value = ...\`, \`outPath\`, etc.
#
# Nothing here is user-visible API beyond the attribute names above;
# the names of the let bindings are not observable.
#
# (This text is evaluated with the base environment, like an
# imported file, under the file name above.)

drvAttrs @ { outputs ? [ "out" ], ... }:
let

  strict = derivationStrict drvAttrs;

  outputsList = map perOutput outputs;

  commonAttrs =
    drvAttrs // (builtins.listToAttrs outputsList) // {
      all = map (o: o.value) outputsList;
      inherit drvAttrs;
    };

  perOutput = outputName: {
    name = outputName;
    value = commonAttrs // {
      outPath = strict.\${outputName};
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };
in
(builtins.head outputsList).value
`;

export function registerDerivationBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  def("derivationStrict", 1, ([a], pos) => {
    const attrs = ev.forceAttrs(a!, pos, "while evaluating the argument passed to builtins.derivationStrict");
    const nameV = attrs.get("name");
    if (nameV === undefined) throw new EvalError("attribute 'name' missing", pos).addTrace("in the attrset passed as argument to builtins.derivationStrict", pos);
    let name: string;
    try {
      name = ev.forceStringNoCtx(nameV, pos, "while evaluating the `name` attribute passed to builtins.derivationStrict");
    } catch (err) {
      if (err instanceof EvalError) err.addTrace("while evaluating the derivation attribute 'name'", attrs.posOf("name"));
      throw err;
    }
    try {
      return derivationStrict(ev, attrs, name, pos);
    } catch (err) {
      if (err instanceof EvalError) {
        const p = attrs.posOf("name");
        // Printed even in a cut-short trace, as Nix does: it says which package to look at.
        err.addTrace(`while evaluating derivation '${name}'\n  whose name attribute is located at ${p ? `${p.file}:${p.line}:${p.column}` : "«unknown»"}`, undefined, true);
      }
      throw err;
    }
  });
  let derivationFn: Lazy | undefined;
  def("derivation", 1, ([a], pos) => {
    derivationFn ??= ev.evalInternal(derivationNix, DERIVATION_INTERNAL);
    return ev.callFunction(ev.force(derivationFn), [a!], pos);
  });
}

/** Output checks that only work as plain attributes: with structured attrs they go in `outputChecks`. */
const LEGACY_OUTPUT_CHECKS = new Set(["allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites", "maxSize", "maxClosureSize"]);

function derivationStrict(ev: Evaluator, attrs: NixAttrs, name: string, pos: import("../ast.js").Pos): NixAttrs {
  const problem = storePathNameProblem(fromBytes(name));
  if (problem !== undefined) throw new EvalError(`invalid derivation name: ${toBytes(problem)}. Please pass a different 'name'.`, pos);
  const sv = attrs.get("__structuredAttrs");
  const structured = sv !== undefined && ev.forceBool(sv, pos, "while evaluating the `__structuredAttrs` attribute passed to builtins.derivationStrict");
  const iv = attrs.get("__ignoreNulls");
  const ignoreNulls = iv !== undefined && ev.forceBool(iv, pos, "while evaluating the `__ignoreNulls` attribute passed to builtins.derivationStrict");
  const ctx = new Set<string>();
  const env = new Map<string, string>();
  const json: string[] = [];
  const args: string[] = [];
  let builder = "";
  let system = "";
  let outputHash: string | undefined;
  let outputHashAlgo: HashAlgo | undefined;
  let hashMode: "flat" | "recursive" = "flat";
  let outputs = ["out"];
  let contentAddressed = false;
  let impure = false;
  const setOutputs = (ss: string[]): void => {
    const seen = new Set<string>();
    for (const o of ss) {
      if (seen.has(o)) throw new EvalError(`duplicate derivation output '${o}'`, pos);
      if (o === "drvPath") throw new EvalError("invalid derivation output name 'drvPath'", pos);
      seen.add(o);
    }
    if (seen.size === 0) throw new EvalError("derivation cannot have an empty set of outputs", pos);
    outputs = [...seen].sort();
  };
  const setHashMode = (s: string): void => {
    if (s === "recursive" || s === "nar") hashMode = "recursive";
    else if (s === "flat") hashMode = "flat";
    else throw new EvalError(`invalid value '${s}' for 'outputHashMode' attribute`, pos);
  };
  // Nix's warnings about an attribute: at the attribute, under the derivation's frame.
  const warnAttr = (key: string, message: string): void => ev.warn(new EvalWarning(message, attrs.posOf(key)).addTrace(`while evaluating derivation '${name}'`));
  for (const key of attrs.keys()) {
    if (key === "__ignoreNulls") continue;
    const lv = attrs.get(key)!;
    try {
      if (ignoreNulls && ev.force(lv) === null) continue;
      if (key === "__contentAddressed") {
        contentAddressed = ev.forceBool(lv, pos);
        continue;
      }
      if (key === "__impure") {
        impure = ev.forceBool(lv, pos);
        continue;
      }
      if (key === "args") {
        for (const x of ev.forceList(lv, pos)) args.push(ev.coerceToString(ev.force(x), ctx, true, true, pos, "while evaluating an element of the argument list"));
        continue;
      }
      if (structured) {
        if (key === "__structuredAttrs") continue;
        json.push(`${JSON.stringify(fromBytes(key))}:${valueToJson(ev, lv, ctx, true, pos)}`);
        if (key === "builder") builder = ev.forceStringCtx(lv, ctx, pos);
        else if (key === "system") system = ev.forceStringNoCtx(lv, pos);
        else if (key === "outputHash") outputHash = ev.forceStringNoCtx(lv, pos);
        else if (key === "outputHashAlgo") outputHashAlgo = parseHashAlgoOrUndefined(ev.forceStringNoCtx(lv, pos));
        else if (key === "outputHashMode") setHashMode(ev.forceStringNoCtx(lv, pos));
        else if (key === "outputs") setOutputs(ev.forceList(lv, pos).map((x) => ev.forceStringNoCtx(x, pos)));
        else if (LEGACY_OUTPUT_CHECKS.has(key)) {
          warnAttr(key, `'structuredAttrs' disables the effect of the derivation attribute '${key}'; use 'outputChecks.<output>.${key}' instead`);
        }
        continue;
      }
      const s = ev.coerceToString(ev.force(lv), ctx, true, true, pos);
      if (key === "__json") {
        warnAttr(key, "setting structured attributes via '__json' is deprecated, and may be disallowed in future versions of Nix. Set '__structuredAttrs = true' instead.");
      }
      env.set(key, s);
      if (key === "builder") builder = s;
      else if (key === "system") system = s;
      else if (key === "outputHash") outputHash = s;
      else if (key === "outputHashAlgo") outputHashAlgo = parseHashAlgoOrUndefined(s);
      else if (key === "outputHashMode") setHashMode(s);
      else if (key === "outputs") setOutputs(s.split(/[ \t\n\r]+/).filter((x) => x !== ""));
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(`while evaluating attribute '${key}' of derivation '${name}'`, attrs.posOf(key));
      throw err;
    }
  }
  if (structured) env.set("__json", `{${json.sort().join(",")}}`);

  const inputDrvs = new Map<string, Set<string>>();
  const inputSrcs = new Set<string>();
  const addDrvOut = (drv: string, out: string): void => {
    let s = inputDrvs.get(drv);
    if (!s) inputDrvs.set(drv, (s = new Set()));
    s.add(out);
  };
  for (const c of ctx) {
    if (c.startsWith("=")) {
      for (const p of ev.closureOf(c.slice(1))) {
        inputSrcs.add(p);
        if (p.endsWith(".drv")) for (const o of ev.readDerivation(p).outputs.keys()) addDrvOut(p, o);
      }
    } else if (c.startsWith("!")) {
      const i = c.indexOf("!", 1);
      addDrvOut(c.slice(i + 1), c.slice(1, i));
    } else inputSrcs.add(c);
  }
  if (builder === "") throw new EvalError("required attribute 'builder' missing", pos);
  if (system === "") throw new EvalError("required attribute 'system' missing", pos);
  if (name.endsWith(".drv")) throw new EvalError("derivation names are allowed to end in '.drv' only if they produce a single derivation file", pos);

  const spec: DerivationSpec = {
    name: fromBytes(name),
    system: fromBytes(system),
    builder: fromBytes(builder),
    args: args.map(fromBytes),
    env: new Map([...env].map(([k, v]) => [fromBytes(k), fromBytes(v)])),
    outputs,
    inputDrvs,
    inputSrcs,
  };
  if (outputHash !== undefined) {
    if (outputs.length !== 1 || outputs[0] !== "out") throw new EvalError("multiple outputs are not supported in fixed-output derivations", pos);
    let hash;
    try {
      hash = outputHash === "" ? zeroHash(outputHashAlgo ?? "sha256") : parseHashAny(outputHash, outputHashAlgo);
    } catch (err) {
      throw new EvalError((err as Error).message, pos);
    }
    spec.fixedOutput = { method: hashMode, hash };
  } else if (contentAddressed || impure) {
    const algo = outputHashAlgo ?? "sha256";
    if (contentAddressed) spec.contentAddressed = { method: hashMode, algo };
    if (impure) spec.impure = { method: hashMode, algo };
  }
  let inst;
  try {
    inst = computeDerivation(spec, ev.drvHashCache);
  } catch (err) {
    if (err instanceof EvalError) throw err;
    throw new EvalError((err as Error).message, pos);
  }
  ev.rememberDerivation(inst.drvPath, inst.derivation);
  const written = ev.store.addTextToStore(`${spec.name}.drv`, inst.aterm, derivationReferences(inst.derivation));
  if (written !== inst.drvPath) throw new EvalError(`internal error: store wrote '${written}' for derivation '${inst.drvPath}'`, pos);
  const m = new Map<string, Lazy>();
  m.set("drvPath", new NixString(inst.drvPath, new Set([`=${inst.drvPath}`])));
  for (const [o, p] of inst.outputPaths) m.set(toBytes(o), new NixString(toBytes(p), new Set([`!${o}!${inst.drvPath}`])));
  const r = new NixAttrs(m);
  // Nix makes the result from its (sorted) map of outputs, interning their names in that order.
  for (const o of r.keys()) ev.symbols.intern(o);
  return r;
}

/** Reads a .drv from the store's disk. */
export function readDerivationFile(ev: Evaluator, drvPath: string): Derivation {
  const text = readFileSync(ev.store.toRealPath(drvPath), "utf8");
  const name = drvPath.slice(drvPath.lastIndexOf("/") + 34, -4);
  return parseDerivationATerm(text, { drvPath, storeDir: ev.store.storeDir });
}

void Thunk;
void DrvHashCache;
