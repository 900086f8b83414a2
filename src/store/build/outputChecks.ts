/**
 * Reference constraints on build outputs (Nix 2.8's checkOutputs):
 * allowedReferences / allowedRequisites / disallowedReferences /
 * disallowedRequisites, or `outputChecks.<output>` (with maxSize,
 * maxClosureSize) under `__structuredAttrs`. The error text is Nix's, followed
 * by the chain of store paths from the output to each offending path.
 */
import { isStorePath, type Derivation } from "../format/index.js";
import type { NewPathInfo } from "../database.js";
import { BuildError } from "../errors.js";
import type { LocalStore } from "../localStore.js";
import { getStringsAttr, parseStructuredAttrs } from "./environment.js";
import type { Json } from "./structuredAttrs.js";

interface Checks {
  ignoreSelfRefs: boolean;
  maxSize?: number;
  maxClosureSize?: number;
  allowedReferences?: string[];
  allowedRequisites?: string[];
  disallowedReferences?: string[];
  disallowedRequisites?: string[];
}

export async function checkOutputs(store: LocalStore, drvPath: string, drv: Derivation, infos: ReadonlyMap<string, NewPathInfo>): Promise<void> {
  const byPath = new Map([...infos.values()].map((i) => [i.path, i]));
  const refsOf = (p: string): readonly string[] => byPath.get(p)?.references ?? store.queryReferences(p);
  const sizeOf = (p: string): number => byPath.get(p)?.narSize ?? store.queryPathInfo(p).narSize;

  /** Breadth-first closure, remembering each path's parent for the why-depends chain. */
  const closure = (start: string) => {
    const parent = new Map<string, string | undefined>([[start, undefined]]);
    const queue = [start];
    let size = 0;
    while (queue.length > 0) {
      const p = queue.shift()!;
      size += sizeOf(p);
      for (const r of refsOf(p))
        if (!parent.has(r)) {
          parent.set(r, p);
          queue.push(r);
        }
    }
    return { parent, size };
  };

  const attrs = parseStructuredAttrs(drv, drvPath);
  for (const [outputName, info] of infos) {
    let checks: Checks | undefined;
    if (attrs) {
      const all = attrs.outputChecks;
      const o = all && typeof all === "object" && !Array.isArray(all) ? (all as { [k: string]: Json })[outputName] : undefined;
      if (o && typeof o === "object" && !Array.isArray(o)) {
        const list = (name: string): string[] | undefined => {
          const v = o[name];
          if (v === undefined) return undefined;
          if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
            throw new BuildError(`attribute '${name}' of derivation '${drvPath}' must be a list of strings`, drvPath);
          return v as string[];
        };
        checks = {
          ignoreSelfRefs: false,
          maxSize: typeof o.maxSize === "number" ? o.maxSize : undefined,
          maxClosureSize: typeof o.maxClosureSize === "number" ? o.maxClosureSize : undefined,
          allowedReferences: list("allowedReferences"),
          allowedRequisites: list("allowedRequisites"),
          disallowedReferences: list("disallowedReferences"),
          disallowedRequisites: list("disallowedRequisites"),
        };
      }
    } else {
      checks = {
        ignoreSelfRefs: true,
        allowedReferences: getStringsAttr(drv, undefined, "allowedReferences", drvPath),
        allowedRequisites: getStringsAttr(drv, undefined, "allowedRequisites", drvPath),
        disallowedReferences: getStringsAttr(drv, undefined, "disallowedReferences", drvPath),
        disallowedRequisites: getStringsAttr(drv, undefined, "disallowedRequisites", drvPath),
      };
    }
    if (!checks) continue;

    if (checks.maxSize !== undefined && info.narSize > checks.maxSize)
      throw new BuildError(`path '${info.path}' is too large at ${info.narSize} bytes; limit is ${checks.maxSize} bytes`, drvPath);
    if (checks.maxClosureSize !== undefined) {
      const size = closure(info.path).size;
      if (size > checks.maxClosureSize)
        throw new BuildError(`closure of path '${info.path}' is too large at ${size} bytes; limit is ${checks.maxClosureSize} bytes`, drvPath);
    }

    const checkRefs = (value: string[] | undefined, allowed: boolean, recursive: boolean) => {
      if (!value) return;
      const spec = new Set<string>();
      for (const i of value) {
        if (isStorePath(i, store.storeDir)) spec.add(i);
        else if (infos.has(i)) spec.add(infos.get(i)!.path);
        else throw new BuildError(`derivation contains an illegal reference specifier '${i}'`, drvPath);
      }
      const { parent } = closure(info.path);
      const used = new Set(recursive ? parent.keys() : info.references);
      if (recursive && checks!.ignoreSelfRefs) used.delete(info.path);
      const bad = [...used].filter((p) => (allowed ? !spec.has(p) : spec.has(p))).sort();
      if (bad.length === 0) return;
      let msg = `output '${info.path}' is not allowed to refer to the following paths:${bad.map((p) => `\n  ${p}`).join("")}`;
      for (const p of bad) {
        const chain: string[] = [];
        for (let at: string | undefined = p; at !== undefined; at = parent.get(at)) chain.unshift(at);
        if (chain.length > 1) msg += `\nchain to '${p}':\n  ${chain.join("\n  → ")}`;
      }
      throw new BuildError(msg, drvPath);
    };
    checkRefs(checks.allowedReferences, true, false);
    checkRefs(checks.allowedRequisites, true, true);
    checkRefs(checks.disallowedReferences, false, false);
    checkRefs(checks.disallowedRequisites, false, true);
  }
}
