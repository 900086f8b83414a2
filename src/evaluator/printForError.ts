/**
 * A value inside an error message ("expected a set but found a list: [ 1 2 ]"), as current Nix
 * prints it with its errorPrintOptions: nothing is forced (unevaluated parts are «thunk»), at
 * most 10 levels deep, 10 attributes and 10 list items in all, 1024 bytes of a string; the rest
 * is «N … elided». Output is a byte string, like every message.
 */
import { formatFloatForPrint } from "./lib/float.js";
import { printLiteralString } from "./printAst.js";
import { type Lazy, NixAttrs, NixFloat, NixLambda, NixPath, NixString, PrimOp, PrimOpApp, Thunk, toBytes } from "./values.js";

const MAX_DEPTH = 10;
const MAX_ATTRS = 10;
const MAX_LIST_ITEMS = 10;
const MAX_STRING_LENGTH = 1024;

const RESERVED = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit"]);
const LAQUO = toBytes("«");
const RAQUO = toBytes("»");

/** A string literal cut after `MAX_STRING_LENGTH` bytes. */
function literal(s: string): string {
  if (s.length <= MAX_STRING_LENGTH) return printLiteralString(s);
  return `${printLiteralString(s.slice(0, MAX_STRING_LENGTH))} ${elided(s.length - MAX_STRING_LENGTH, "byte", "bytes")}`;
}

function elided(n: number, one: string, many: string): string {
  return `${LAQUO}${n} ${n === 1 ? one : many} elided${RAQUO}`;
}

/** Nix's printAttributeName: a name that is a variable name as is, any other quoted. */
function attrName(s: string): string {
  if (s === "" || RESERVED.has(s) || /^[0-9'-]/.test(s) || !/^[A-Za-z0-9_'-]+$/.test(s)) return printLiteralString(s);
  return s;
}

const important = (k: string) => k === "type" || k === "_type";

export function printForError(root: Lazy): string {
  let attrsPrinted = 0;
  let itemsPrinted = 0;
  const seen = new Set<object>();
  const go = (l: Lazy, depth: number): string => {
    let v = l;
    if (v instanceof Thunk) {
      if (v.v === undefined) return v.inProgress ? toBytes("«potential infinite recursion»") : toBytes("«thunk»");
      v = v.v;
    }
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    if (typeof v === "string") return literal(v);
    if (v instanceof NixString) return literal(v.s);
    if (v instanceof NixFloat) return formatFloatForPrint(v.value);
    if (v instanceof NixPath) return v.path;
    if (v instanceof NixAttrs) {
      if (v.size > 0 && seen.has(v)) return toBytes("«repeated»");
      seen.add(v);
      if (depth >= MAX_DEPTH) return "{ ... }";
      // With a limit on attributes, Nix shows `type` and `_type` first.
      const keys = [...v.keys()].sort((a, b) => Number(important(b)) - Number(important(a)));
      let out = "{";
      let printed = 0;
      for (const k of keys) {
        if (attrsPrinted >= MAX_ATTRS) {
          out += ` ${elided(keys.length - printed, "attribute", "attributes")}`;
          break;
        }
        out += ` ${attrName(k)} = ${go(v.get(k)!, depth + 1)};`;
        attrsPrinted++;
        printed++;
      }
      return `${out} }`;
    }
    if (Array.isArray(v)) {
      const key = l as object;
      if (v.length > 0 && seen.has(key)) return toBytes("«repeated»");
      seen.add(key);
      if (depth >= MAX_DEPTH) return "[ ... ]";
      let out = "[";
      let printed = 0;
      for (const x of v) {
        if (itemsPrinted >= MAX_LIST_ITEMS) {
          out += ` ${elided(v.length - printed, "item", "items")}`;
          break;
        }
        out += ` ${go(x, depth + 1)}`;
        itemsPrinted++;
        printed++;
      }
      return `${out} ]`;
    }
    if (v instanceof NixLambda) {
      const p = v.expr.pos;
      return `${LAQUO}lambda${v.expr.name ? ` ${v.expr.name}` : ""} @ ${p.file}:${p.line}:${p.column}${RAQUO}`;
    }
    if (v instanceof PrimOp) return toBytes(`«primop ${v.name}»`);
    if (v instanceof PrimOpApp) return toBytes(`«partially applied primop ${v.op.name}»`);
    return toBytes("«unknown»");
  };
  return go(root, 0);
}
