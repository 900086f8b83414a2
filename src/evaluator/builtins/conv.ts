/**
 * Conversions between values and text formats: toJSON/fromJSON, fromTOML, toXML.
 */
import type { Pos } from "../ast.js";
import { EvalError } from "../evalError.js";
import { DERIVATION_INTERNAL, noPos, showType } from "../eval.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { formatFloatForJson, formatFloatForPrint } from "../lib/float.js";
import { jsonQuote, parseJson } from "../lib/json.js";
import { JsonParseError, TomlParseError } from "../lib/libErrors.js";
import { deferred } from "../../deferred.js";
import { FORCED, type Lazy, NixAttrs, NixFloat, NixLambda, NixPath, NixString, Thunk, type Value, fromBytes, mkInt, mkString, toBytes } from "../values.js";

/**
 * Nix's printValueAsJSON, collecting string context; the output is a byte string. Not `strict`
 * (`nix-instantiate --eval --json` without --strict): nothing is forced, and a value not yet
 * evaluated is an error, as in Nix.
 */
export function valueToJson(ev: Evaluator, l: Lazy, ctx: Set<string>, copyToStore: boolean, pos: Pos, strict = true): string {
  const out: string[] = [];
  jsonInto(ev, l, ctx, copyToStore, pos, out, strict);
  return out.join("");
}

function jsonInto(ev: Evaluator, l: Lazy, ctx: Set<string>, copyToStore: boolean, pos: Pos, out: string[], strict: boolean): void {
  out.push(jsonValue(ev, l, ctx, copyToStore, pos, out, strict));
}

/** Each value counts towards max-call-depth and is forced at `pos`, as in Nix's printValueAsJSON. */
function jsonValue(ev: Evaluator, l: Lazy, ctx: Set<string>, copyToStore: boolean, pos: Pos, out: string[], strict: boolean): string {
  if (ev.callDepth++ > ev.maxCallDepth) throw ev.callDepthError(pos);
  try {
    return jsonPart(ev, strict ? ev.forceAt(l, pos) : evaluated(l, pos), ctx, copyToStore, pos, out, strict);
  } finally {
    ev.callDepth--;
  }
}

/** `l` if evaluated; a thunk (also one whose value was worked out ahead, unasked) cannot be printed. */
function evaluated(l: Lazy, pos: Pos): Value {
  if (!(l instanceof Thunk)) return l;
  if (l.b === FORCED) return l.a as Value;
  throw new EvalError("cannot convert a thunk to JSON", pos);
}

function jsonPart(ev: Evaluator, v: Value, ctx: Set<string>, copyToStore: boolean, pos: Pos, out: string[], strict: boolean): string {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return jsonString(v, pos);
  if (v instanceof NixString) {
    for (const c of v.ctx) ctx.add(c);
    return jsonString(v.s, pos);
  }
  if (v instanceof NixFloat) return formatFloatForJson(v.value);
  if (v instanceof NixPath) {
    const p = copyToStore ? ev.copyPathToStore(v.path, pos) : v.path;
    if (copyToStore) ctx.add(p);
    return toBytes(jsonQuote(fromBytes(p)));
  }
  if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",");
      try {
        jsonInto(ev, v[i]!, ctx, copyToStore, pos, out, strict);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(`while evaluating list element at index ${i}`, pos);
        throw err;
      }
    }
    return "]";
  }
  if (v instanceof NixAttrs) {
    // Nix's peelToStringOutPath: __toString first, then outPath, repeatedly; what __toString gives must be a string.
    if (v.has("__toString") || v.has("outPath")) {
      return ev.peelToString(v, pos, true, (x, throughToString) => jsonValue(ev, x, ctx, copyToStore && !throughToString, pos, out, strict));
    }
    out.push("{");
    let first = true;
    for (const k of v.keys()) {
      out.push(`${first ? "" : ","}${toBytes(jsonQuote(fromBytes(k)))}:`);
      first = false;
      try {
        jsonInto(ev, v.get(k)!, ctx, copyToStore, v.posOf(k) ?? pos, out, strict);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(`while evaluating attribute '${k}'`, v.posOf(k));
        throw err;
      }
    }
    return "}";
  }
  throw new EvalError(`cannot convert ${showType(v)} to JSON`, pos);
}

/** A JSON string literal; Nix (nlohmann) refuses strings that are not UTF-8. */
function jsonString(bytes: string, pos: Pos): string {
  if (/[^\x00-\x7f]/.test(bytes)) {
    const problem = utf8Problem(bytes);
    if (problem !== undefined) throw new EvalError(`JSON serialization error: [json.exception.type_error.316] ${problem}`, pos);
  }
  return toBytes(jsonQuote(fromBytes(bytes)));
}

const hexByte = (b: number): string => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`;

/**
 * Why a byte string is not UTF-8, in nlohmann's words: the first byte no well-formed sequence
 * can have there (overlong forms, surrogates and code points past U+10FFFF included), or a
 * sequence cut short by the end of the string.
 */
export function utf8Problem(bytes: string): string | undefined {
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i);
    if (need === 0) {
      if (b < 0x80) continue;
      if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b === 0xe0) lo = 0xa0;
        if (b === 0xed) hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b === 0xf0) lo = 0x90;
        if (b === 0xf4) hi = 0x8f;
      } else return `invalid UTF-8 byte at index ${i}: ${hexByte(b)}`;
    } else {
      if (b < lo || b > hi) return `invalid UTF-8 byte at index ${i}: ${hexByte(b)}`;
      lo = 0x80;
      hi = 0xbf;
      need--;
    }
  }
  return need > 0 ? `incomplete UTF-8 string; last byte: ${hexByte(bytes.charCodeAt(bytes.length - 1))}` : undefined;
}

const TOML_PREFIX = "while parsing TOML: ";

/**
 * Nix formats the parser's text into "while parsing TOML: %s" as a coloured argument (HintFmt's
 * ANSI_WARNING … ANSI_NORMAL). The escapes are dropped unless stderr is a colour terminal, but the
 * last one keeps a newline ending the text from being trimmed: toml11's multi-line messages end
 * with an indented empty line.
 */
function hintArgument(message: string, prefix: string): string {
  return message.startsWith(prefix) ? `${prefix}\x1b[35;1m${message.slice(prefix.length)}\x1b[0m` : message;
}

/**
 * Plain JS data (from the JSON/TOML parsers) → Nix values. `intern`: called with each object key
 * as met, before its value (fromJSON's key order, symbols.ts).
 */
export function jsToValue(x: unknown, intern?: (name: string) => void): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === "boolean") return x;
  if (typeof x === "bigint") return mkInt(x);
  if (typeof x === "number") return new NixFloat(x);
  if (typeof x === "string") return toBytes(x);
  if (Array.isArray(x)) return x.map((y) => jsToValue(y, intern));
  if (x instanceof Map || typeof x === "object") {
    const m = new Map<string, Lazy>();
    for (const [k, y] of x instanceof Map ? x : Object.entries(x as Record<string, unknown>)) {
      const name = toBytes(String(k));
      intern?.(name);
      m.set(name, jsToValue(y, intern));
    }
    return new NixAttrs(m);
  }
  throw new Error(`unexpected parsed value ${String(x)}`);
}

function xmlEscape(s: string): string {
  return s.replace(/["<>&\n]/g, (c) => (c === '"' ? "&quot;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : "&#xA;"));
}

/** Nix's printValueAsXML (toXML and --xml); each value one level of max-call-depth, at `pos` (an attribute's own). */
export function valueToXml(ev: Evaluator, l: Lazy, ctx: Set<string>, strict: boolean, location: boolean, pos: Pos = noPos): string {
  const out: string[] = ["<?xml version='1.0' encoding='utf-8'?>\n"];
  const drvsSeen = new Set<string>();
  let depth = 0;
  const attrsText = (a: Record<string, string>): string =>
    Object.keys(a)
      .sort()
      .map((k) => ` ${k}="${xmlEscape(a[k]!)}"`)
      .join("");
  const empty = (name: string, a: Record<string, string> = {}): void => {
    out.push(`${"  ".repeat(depth)}<${name}${attrsText(a)} />\n`);
  };
  const open = (name: string, a: Record<string, string> = {}): void => {
    out.push(`${"  ".repeat(depth)}<${name}${attrsText(a)}>\n`);
    depth++;
  };
  const close = (name: string): void => {
    depth--;
    out.push(`${"  ".repeat(depth)}</${name}>\n`);
  };
  const posAttrs = (a: Record<string, string>, p: Pos | undefined): void => {
    if (!p || p.line === 0) return;
    // Nix's internal derivation.nix is a file of its internal accessor, at its root.
    if (p.file.startsWith("/")) a.path = p.file;
    else if (p.file === DERIVATION_INTERNAL) a.path = "/derivation-internal.nix";
    a.line = String(p.line);
    a.column = String(p.column);
  };
  const showAttrs = (s: NixAttrs, pos: Pos): void => {
    for (const k of s.keys()) {
      const a: Record<string, string> = { name: k };
      if (location) posAttrs(a, s.posOf(k));
      open("attr", a);
      go(s.get(k)!, s.posOf(k) ?? pos);
      close("attr");
    }
  };
  const go = (x: Lazy, pos: Pos): void => ev.withCallDepth(pos, () => value(x, pos));
  const value = (x: Lazy, pos: Pos): void => {
    const v = strict ? ev.force(x) : x;
    if (v === null) return empty("null");
    if (typeof v === "boolean") return empty("bool", { value: v ? "true" : "false" });
    if (typeof v === "number" || typeof v === "bigint") return empty("int", { value: String(v) });
    if (typeof v === "string") return empty("string", { value: v });
    if (v instanceof NixString) {
      for (const c of v.ctx) ctx.add(c);
      return empty("string", { value: v.s });
    }
    if (v instanceof NixPath) return empty("path", { value: v.path });
    if (v instanceof NixFloat) return empty("float", { value: formatFloatForPrint(v.value) });
    if (Array.isArray(v)) {
      open("list");
      for (const y of v) go(y, pos);
      return close("list");
    }
    if (v instanceof NixAttrs) {
      if (ev.isDerivation(v)) {
        const a: Record<string, string> = {};
        let drvPath = "";
        const d = v.get("drvPath");
        if (d !== undefined) {
          const dv = strict ? ev.force(d) : d;
          if (typeof dv === "string" || dv instanceof NixString) a.drvPath = drvPath = typeof dv === "string" ? dv : dv.s;
        }
        const o = v.get("outPath");
        if (o !== undefined) {
          const ov = strict ? ev.force(o) : o;
          if (typeof ov === "string" || ov instanceof NixString) a.outPath = typeof ov === "string" ? ov : ov.s;
        }
        open("derivation", a);
        if (drvPath !== "" && !drvsSeen.has(drvPath)) {
          drvsSeen.add(drvPath);
          showAttrs(v, pos);
        } else empty("repeated");
        return close("derivation");
      }
      open("attrs");
      showAttrs(v, pos);
      return close("attrs");
    }
    if (v instanceof NixLambda) {
      const a: Record<string, string> = {};
      if (location) posAttrs(a, v.expr.pos);
      open("function", a);
      const f = v.expr.formals;
      if (f) {
        const pa: Record<string, string> = {};
        if (v.expr.arg !== undefined) pa.name = v.expr.arg;
        if (f.ellipsis) pa.ellipsis = "1";
        open("attrspat", pa);
        for (const n of f.entries.map((e) => e.name).sort()) empty("attr", { name: n });
        close("attrspat");
      } else empty("varpat", { name: v.expr.arg ?? "" });
      return close("function");
    }
    return empty("unevaluated");
  };
  open("expr");
  go(l, pos);
  close("expr");
  return out.join("");
}

export function registerConversionBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  def("__toJSON", 1, ([a], pos) => {
    const ctx = new Set<string>();
    const s = valueToJson(ev, a!, ctx, true, pos);
    return mkString(s, ctx);
  });
  def("__fromJSON", 1, ([a], pos) => {
    const s = ev.forceString(a!, pos, "while evaluating the first argument passed to builtins.fromJSON");
    try {
      return jsToValue(parseJson(fromBytes(s)), (name) => ev.symbols.intern(name));
    } catch (err) {
      // The parsers' messages are text (they read decoded text); ours are byte strings.
      if (err instanceof JsonParseError) throw new EvalError(toBytes(err.message), pos);
      throw err;
    }
  });
  def("fromTOML", 1, ([a], pos) => {
    const s = ev.forceString(a!, pos, "while evaluating the argument passed to builtins.fromTOML");
    try {
      return jsToValue(deferred("toml").parseToml(fromBytes(s), { timestamps: ev.options.experimentalFeatures?.includes("parse-toml-timestamps") }));
    } catch (err) {
      if (err instanceof TomlParseError) throw new EvalError(toBytes(hintArgument(err.message, TOML_PREFIX)), pos);
      throw err;
    }
  });
  def("__toXML", 1, ([a], pos) => {
    const ctx = new Set<string>();
    const s = valueToXml(ev, a!, ctx, true, false, pos);
    return mkString(s, ctx);
  });
}
