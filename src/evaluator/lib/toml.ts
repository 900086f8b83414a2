/**
 * `builtins.fromTOML` (TOML 1.0) as current Nix does it: integers are int64
 * (bigint here), floats are doubles, tables become attribute sets.
 *
 * Syntax is checked by smol-toml, a TOML 1.0 parser; Nix uses toml11, whose
 * multi-line error texts we do not reproduce: a syntax error reads
 * "while parsing TOML: <smol-toml's message>". What is reproduced exactly:
 * the messages for dates/times (unsupported unless the experimental
 * `parse-toml-timestamps` feature is on), for NUL bytes, and for an integer
 * out of the int64 range (toml11's, with its excerpt of the line).
 *
 * With that feature a date/time becomes `{ _type = "timestamp"; value = …; }`,
 * `value` written as toml11 writes it back (see `timestampText`). smol-toml
 * keeps only milliseconds, so `preprocess` takes timestamps out of the text
 * first and puts them back as sentinel strings.
 *
 * smol-toml also accepts TOML 1.1 additions that Nix (toml11 in TOML 1.0
 * mode) rejects; `preprocess` refuses those first.
 */
import { parse, TomlDate, TomlError } from "smol-toml";
import { TomlParseError } from "./libErrors.js";

export type TomlValue = boolean | bigint | number | string | TomlValue[] | Map<string, TomlValue>;

export interface TomlOptions {
  /** The experimental `parse-toml-timestamps` feature. */
  timestamps?: boolean;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function noNullByte(s: string): string {
  if (s.includes("\0")) {
    throw new TomlParseError(
      `while parsing TOML: error: input string '${s.replaceAll("\0", "\u2400")}' cannot be represented as Nix string because it contains null bytes`,
    );
  }
  return s;
}

function convert(v: unknown, o: TomlOptions): TomlValue {
  if (typeof v === "bigint") {
    // toml11 rejects these while parsing ("must be < 2^63").
    if (v < INT64_MIN || v > INT64_MAX) throw new TomlParseError(`while parsing TOML: integer ${v} must be < 2^63`);
    return v;
  }
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (v === NEGATIVE_NAN_SENTINEL) return negativeNaN();
  if (typeof v === "string" && v.startsWith(TIMESTAMP_SENTINEL)) {
    if (!o.timestamps) throw new TomlParseError("while parsing TOML: Dates and times are not supported");
    return new Map<string, TomlValue>([
      ["_type", "timestamp"],
      ["value", v.slice(TIMESTAMP_SENTINEL.length)],
    ]);
  }
  if (typeof v === "string") return noNullByte(v);
  if (v instanceof TomlDate || v instanceof Date) throw new TomlParseError("while parsing TOML: Dates and times are not supported");
  if (Array.isArray(v)) return v.map((x) => convert(x, o));
  if (typeof v === "object" && v !== null) {
    const out = new Map<string, TomlValue>();
    for (const [k, x] of Object.entries(v)) out.set(noNullByte(k), convert(x, o));
    return out;
  }
  throw new TomlParseError(`while parsing TOML: unsupported value ${String(v)}`);
}

/** Prefixes a timestamp's normalised text in the sentinel string that stands for it. */
const TIMESTAMP_SENTINEL = "\0timestamp:";

// A TOML 1.0 date, time or date-time at the start of a value.
const TIMESTAMP_RE = /^(?:(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?)?|(\d{2}:\d{2}:\d{2})(?:\.(\d+))?)(?![\w:.+-])/;

/**
 * A timestamp as toml11 prints it: 'T' between date and time, fractions of a
 * second as milli-, micro- or nanoseconds (3, 6 or 9 digits, the fewest that
 * lose nothing, cut after nanoseconds), 'Z' for a zero offset.
 */
function timestampText(m: RegExpExecArray): string | undefined {
  const [, date, dateTime, dateFraction, offset, time, timeFraction] = m;
  const clock = dateTime ?? time;
  if (date !== undefined && !validDate(date)) return undefined;
  if (clock !== undefined && !validClock(clock)) return undefined;
  let text = date ?? "";
  if (clock !== undefined) {
    const digits = (dateFraction ?? timeFraction ?? "").padEnd(9, "0").slice(0, 9);
    const width = digits.slice(6) !== "000" ? 9 : digits.slice(3, 6) !== "000" ? 6 : digits.slice(0, 3) !== "000" ? 3 : 0;
    text += `${date !== undefined ? "T" : ""}${clock}${width > 0 ? `.${digits.slice(0, width)}` : ""}`;
  }
  if (offset !== undefined) {
    if (offset !== "Z" && offset !== "z" && !validClock(`${offset.slice(1)}:00`)) return undefined;
    text += offset === "Z" || offset === "z" || offset.slice(1) === "00:00" ? "Z" : offset;
  }
  return text;
}

function validDate(date: string): boolean {
  const [y, mo, d] = date.split("-").map(Number) as [number, number, number];
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days[mo - 1]!;
}

function validClock(clock: string): boolean {
  const [h, mi, sec] = clock.split(":").map(Number) as [number, number, number];
  return h <= 23 && mi <= 59 && sec <= 60;
}

/** Stands for a `-nan` value: smol-toml loses NaN's sign, Nix prints it ("-nan"). */
const NEGATIVE_NAN_SENTINEL = "\0-nan";

function negativeNaN(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, NaN);
  view.setUint8(0, view.getUint8(0) | 0x80);
  return view.getFloat64(0);
}

/**
 * Refuse the TOML 1.1 extensions smol-toml accepts: newlines and trailing
 * commas inside inline tables, and the \e and \xHH string escapes; and
 * replace `-nan` values by a sentinel string. A small scan that skips
 * comments and strings and tracks bracket nesting ("H" = table header).
 */
function preprocess(text: string): { text: string; overflow: IntegerToken | undefined } {
  let overflow: IntegerToken | undefined;
  let out = "";
  let copied = 0;
  let lastSignificant = "";
  const fail = (what: string): never => {
    throw new TomlParseError(`while parsing TOML: ${what} (not allowed in TOML 1.0)`);
  };
  const nesting: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const multi = text.startsWith(c.repeat(3), i);
      const quote = multi ? c.repeat(3) : c;
      i += quote.length;
      while (i < text.length && !text.startsWith(quote, i)) {
        if (c === '"' && text[i] === "\\") {
          if (text[i + 1] === "e" || text[i + 1] === "x") fail(`escape sequence \\${text[i + 1]}`);
          i += 2;
          continue;
        }
        if (!multi && text[i] === "\n") break;
        i++;
      }
      // Closing quotes of a multi-line string may be followed by up to two more quotes.
      i += quote.length;
      while (multi && text[i] === c) i++;
      lastSignificant = "v";
      continue;
    }
    const top = nesting[nesting.length - 1];
    const inInlineTable = top === "{";
    const valuePosition = !nesting.includes("H") && (lastSignificant === "=" || (top === "[" && (lastSignificant === "[" || lastSignificant === ",")));
    if (valuePosition && overflow === undefined && ((c >= "0" && c <= "9") || c === "+" || c === "-")) {
      const m = INTEGER_RE.exec(text.slice(i, i + 1024));
      if (m && !inInt64(m)) overflow = { start: i, end: i + m[0].length, prefix: m[2] ?? "" };
    }
    if (valuePosition && c >= "0" && c <= "9") {
      const m = TIMESTAMP_RE.exec(text.slice(i, i + 64));
      const normal = m && timestampText(m);
      if (m && normal !== undefined) {
        out += text.slice(copied, i) + JSON.stringify(TIMESTAMP_SENTINEL + normal);
        i += m[0].length;
        copied = i;
        lastSignificant = "v";
        continue;
      }
    }
    if (c === "-" && valuePosition && text.startsWith("-nan", i) && !/[A-Za-z0-9_-]/.test(text[i + 4] ?? "")) {
      out += text.slice(copied, i) + JSON.stringify(NEGATIVE_NAN_SENTINEL);
      i += 4;
      copied = i;
      lastSignificant = "v";
      continue;
    }
    if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") lastSignificant = c;
    if (c === "[") nesting.push(nesting.length === 0 && lastHeaderLineStart(text, i) ? "H" : "[");
    else if (c === "{") nesting.push(c);
    else if (c === "}" || c === "]") nesting.pop();
    else if (inInlineTable && c === "\n") fail("newline in an inline table");
    else if (inInlineTable && c === ",") {
      let j = i + 1;
      while (text[j] === " " || text[j] === "\t") j++;
      if (text[j] === "}") fail("trailing comma in an inline table");
    }
    i++;
  }
  return { text: out + text.slice(copied), overflow };
}

/** An integer literal, where it is in the text, and its base prefix ("0x", "0o", "0b" or ""). */
interface IntegerToken {
  readonly start: number;
  readonly end: number;
  readonly prefix: string;
}

// A TOML integer (sign, base prefix, digits with `_`), not the start of a float or date.
const INTEGER_RE = /^([+-]?)(0x|0o|0b)?([0-9A-Fa-f_]+)(?![0-9A-Za-z_.:+-])/;

function inInt64(m: RegExpExecArray): boolean {
  const [, sign, prefix, digits] = m;
  const body = digits!.replaceAll("_", "");
  if (prefix === undefined && /[A-Fa-f]/.test(body)) return true; // not a decimal integer: not ours to judge
  const v = BigInt(`${prefix ?? ""}${body}`);
  return sign === "-" ? v <= -INT64_MIN : v <= INT64_MAX;
}

/**
 * toml11's error for an integer it cannot read as int64: its title, then the line with a caret
 * just past the literal (where toml11's reader stands once it has scanned it).
 */
function overflowMessage(text: string, t: IntegerToken): string {
  const kind = t.prefix === "0x" ? "hex" : t.prefix === "0o" ? "oct" : t.prefix === "0b" ? "bin" : "dec";
  const title = `toml::parse_${kind}_integer: too large integer: current max ${kind === "dec" ? "digits" : "value"} = 2^63`;
  const lineStart = text.lastIndexOf("\n", t.start - 1) + 1;
  const lineEnd = text.indexOf("\n", t.start);
  const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, "");
  const lineNo = String(text.slice(0, lineStart).split("\n").length);
  const gutter = " ".repeat(lineNo.length + 1);
  return (
    `[error] ${title}\n --> fromTOML\n${gutter} |\n ${lineNo} | ${line}\n` +
    `${gutter} | ${" ".repeat(t.end - lineStart)}^-- must be < 2^63\n`
  );
}

/** Whether only whitespace precedes position i on its line (a '[' there opens a table header). */
function lastHeaderLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0 && text[j] !== "\n"; j--) if (text[j] !== " " && text[j] !== "\t") return false;
  return true;
}

/** Parse a TOML document into a table (Map), or throw TomlParseError. */
export function parseToml(text: string, options: TomlOptions = {}): Map<string, TomlValue> {
  let doc: unknown;
  const pre = preprocess(text);
  try {
    doc = parse(pre.text, { integersAsBigInt: true, unsafeKeyBehaviour: "keep" });
  } catch (e) {
    if (e instanceof TomlError) throw new TomlParseError(`while parsing TOML: ${e.message.split("\n")[0]}`, { cause: e });
    throw e;
  }
  // toml11's message ends in a newline: shown as a last, empty line of the error.
  if (pre.overflow !== undefined) throw new TomlParseError(`while parsing TOML: ${overflowMessage(text, pre.overflow)}`);
  return convert(doc, options) as Map<string, TomlValue>;
}
