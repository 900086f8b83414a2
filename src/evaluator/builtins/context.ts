/**
 * String-context builtins (Nix's primops/context.cc).
 * Context elements: "/nix/store/p" (opaque), "=/nix/store/d.drv" (all
 * outputs of a derivation), "!out!/nix/store/d.drv" (one output).
 */
import { EvalError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { type Lazy, NixAttrs, NixString, mkString } from "../values.js";

export function registerContextBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  const withCtx = (l: Lazy): { s: string; ctx: ReadonlySet<string> } => {
    const v = ev.force(l);
    if (typeof v === "string") return { s: v, ctx: new Set() };
    if (v instanceof NixString) return v;
    throw ev.typeError("a string", v, undefined);
  };
  def("__unsafeDiscardStringContext", 1, ([a], pos) => {
    const ctx = new Set<string>();
    return ev.coerceToString(ev.force(a!), ctx, false, false, pos, "while evaluating the argument passed to builtins.unsafeDiscardStringContext");
  });
  def("__hasContext", 1, ([a], pos) => {
    const v = ev.force(a!);
    if (typeof v === "string") return false;
    if (v instanceof NixString) return true;
    throw ev.typeError("a string", v, pos, "while evaluating the argument passed to builtins.hasContext");
  });
  def("__unsafeDiscardOutputDependency", 1, ([a], pos) => {
    const ctx = new Set<string>();
    const s = ev.coerceToString(ev.force(a!), ctx, false, false, pos, "while evaluating the argument passed to builtins.unsafeDiscardOutputDependency");
    const out = new Set<string>();
    for (const c of ctx) out.add(c.startsWith("=") ? c.slice(1) : c);
    return mkString(s, out);
  });
  def("__addDrvOutputDependencies", 1, ([a], pos) => {
    const { s, ctx } = withCtx(a!);
    if (ctx.size !== 1) {
      throw new EvalError(`context of string '${s}' must have exactly one element, but has ${ctx.size}`, pos);
    }
    const c = [...ctx][0]!;
    if (c.startsWith("=")) return mkString(s, ctx);
    if (c.startsWith("!")) {
      const out = c.split("!")[1]!;
      throw new EvalError(`\`addDrvOutputDependencies\` can only act on derivations, not on a derivation output such as '${out}'`, pos);
    }
    if (!c.endsWith(".drv")) throw new EvalError(`path '${c}' is not a derivation`, pos);
    return mkString(s, new Set([`=${c}`]));
  });
  def("__getContext", 1, ([a], pos) => {
    ev.symbols.intern("allOutputs");
    const ctx = new Set<string>();
    ev.coerceToString(ev.force(a!), ctx, false, false, pos, "while evaluating the argument passed to builtins.getContext");
    const info = new Map<string, { path: boolean; all: boolean; outputs: string[] }>();
    const get = (p: string) => {
      let x = info.get(p);
      if (!x) info.set(p, (x = { path: false, all: false, outputs: [] }));
      return x;
    };
    for (const c of ctx) {
      if (c.startsWith("=")) get(c.slice(1)).all = true;
      else if (c.startsWith("!")) {
        const i = c.indexOf("!", 1);
        get(c.slice(i + 1)).outputs.push(c.slice(1, i));
      } else get(c).path = true;
    }
    const m = new Map<string, Lazy>();
    for (const [p, x] of info) {
      const e = new Map<string, Lazy>();
      if (x.all) e.set("allOutputs", true);
      if (x.outputs.length > 0) e.set("outputs", x.outputs.sort());
      if (x.path) e.set("path", true);
      m.set(p, new NixAttrs(e));
    }
    const r = new NixAttrs(m);
    for (const p of r.keys()) ev.symbols.intern(p);
    return r;
  });
  def("__appendContext", 2, ([a, c], pos) => {
    ev.symbols.intern("allOutputs");
    const { s, ctx } = withCtx(a!);
    const out = new Set(ctx);
    const attrs = ev.forceAttrs(c!, pos, "while evaluating the second argument passed to builtins.appendContext");
    for (const p of attrs.keys()) {
      if (!p.startsWith(ev.store.storeDir + "/")) {
        throw new EvalError(`context key '${p}' is not a store path`, pos);
      }
      const info = ev.forceAttrs(attrs.get(p)!, pos, "while evaluating the value of a string context");
      const path = info.get("path");
      if (path !== undefined && ev.forceBool(path, pos, "while evaluating the `path` attribute of a string context")) out.add(p);
      const all = info.get("allOutputs");
      if (all !== undefined && ev.forceBool(all, pos, "while evaluating the `allOutputs` attribute of a string context")) {
        if (!p.endsWith(".drv")) throw new EvalError(`tried to add all-outputs context of ${p}, which is not a derivation, to a string`, pos);
        out.add(`=${p}`);
      }
      const outs = info.get("outputs");
      if (outs !== undefined) {
        const list = ev.forceList(outs, pos, "while evaluating the `outputs` attribute of a string context");
        if (list.length > 0 && !p.endsWith(".drv")) throw new EvalError(`tried to add derivation output context of ${p}, which is not a derivation, to a string`, pos);
        for (const o of list) out.add(`!${ev.forceStringNoCtx(o, pos, "while evaluating an output name within a string context")}!${p}`);
      }
    }
    return mkString(s, out);
  });
}
