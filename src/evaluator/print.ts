/**
 * Value printing as `nix-instantiate --eval` does (Nix's printAmbiguous):
 * attribute names unquoted, strings escaped, unevaluated values `<CODE>`,
 * sets and lists seen before «repeated». Output is a byte string.
 */
import { formatFloatForPrint } from "./lib/float.js";
import { printIdentifier } from "./printAst.js";
import { toBytes, type Lazy, NixAttrs, NixFloat, NixLambda, NixPath, NixString, PrimOp, PrimOpApp, Thunk } from "./values.js";
import type { EvalCore } from "./eval.js";
import { RecursionError } from "./evalError.js";

const LAQUO = toBytes("«");
const RAQUO = toBytes("»");
const REPEATED = toBytes("«repeated»");
const POTENTIAL_INF = toBytes("«potential infinite recursion»");

export function printString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "\\") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "$" && s[i + 1] === "{") out += "\\$";
    else out += c;
  }
  return out + '"';
}

export interface PrintOptions {
  /** Nix's print.cc printer instead of printAmbiguous: «thunk», «lambda …», «primop …». */
  forTrace?: boolean;
  /** Force values while printing (`nix eval`), printing derivations as «derivation /nix/store/….drv». */
  force?: boolean;
  maxDepth?: number;
}

/** Prints a value; without `force`, nothing that is not yet evaluated is forced. */
export function printValue(ev: EvalCore, root: Lazy, options: PrintOptions = {}): string {
  const force = options.force === true;
  const out: string[] = [];
  const seen = new Set<object>();
  const trace = options.forTrace === true || force;
  const maxDepth = options.maxDepth ?? ev.maxCallDepth;
  const go = (l: Lazy, depth: number): void => {
    if (depth > maxDepth) throw new RecursionError("stack overflow; max-call-depth exceeded");
    let v = l;
    if (force && v instanceof Thunk) v = ev.force(v);
    if (v instanceof Thunk) {
      if (v.v === undefined) {
        out.push(v.inProgress ? POTENTIAL_INF : trace ? toBytes("«thunk»") : "<CODE>");
        return;
      }
      v = v.v;
    }
    if (v === null) out.push("null");
    else if (v === true) out.push("true");
    else if (v === false) out.push("false");
    else if (typeof v === "number" || typeof v === "bigint") out.push(String(v));
    else if (typeof v === "string") out.push(printString(v));
    else if (v instanceof NixString) out.push(printString(v.s));
    else if (v instanceof NixFloat) out.push(formatFloatForPrint(v.value));
    else if (v instanceof NixPath) out.push(v.path);
    else if (v instanceof NixAttrs) {
      if (v.size > 0 && seen.has(v)) {
        out.push(REPEATED);
        return;
      }
      seen.add(v);
      if (force && ev.isDerivation(v)) {
        const d = v.get("drvPath");
        const dv = d === undefined ? undefined : ev.force(d);
        const p = typeof dv === "string" ? dv : dv instanceof NixString ? dv.s : undefined;
        out.push(p === undefined ? toBytes("«derivation»") : `${LAQUO}derivation ${p}${RAQUO}`);
        return;
      }
      out.push("{ ");
      for (const k of v.keys()) {
        out.push(printIdentifier(k), " = ");
        go(v.get(k)!, depth + 1);
        out.push("; ");
      }
      out.push("}");
    } else if (Array.isArray(v)) {
      const key = l as object;
      if (v.length > 0 && seen.has(key)) {
        out.push(REPEATED);
        return;
      }
      seen.add(key);
      out.push("[ ");
      for (const x of v) {
        go(x, depth + 1);
        out.push(" ");
      }
      out.push("]");
    } else if (v instanceof NixLambda) out.push(trace ? `${LAQUO}lambda${v.expr.name ? " " + v.expr.name : ""} @ ${v.expr.pos.file}:${v.expr.pos.line}:${v.expr.pos.column}${RAQUO}` : "<LAMBDA>");
    else if (v instanceof PrimOp) out.push(trace ? toBytes(`«primop ${v.name}»`) : "<PRIMOP>");
    else if (v instanceof PrimOpApp) out.push(trace ? toBytes(`«partially applied primop ${v.op.name}»`) : "<PRIMOP-APP>");
  };
  go(root, 0);
  return out.join("");
}
