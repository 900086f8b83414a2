/**
 * `builtins.fromTOML` (TOML 1.0) as current Nix does it: integers are int64
 * (bigint here), floats are doubles, tables become attribute sets.
 *
 * Syntax is checked by smol-toml, a TOML 1.0 parser; Nix uses toml11, whose
 * multi-line error texts we do not reproduce: a syntax error reads
 * "while parsing TOML: <smol-toml's message>". What is reproduced exactly:
 * the messages for dates/times (unsupported without the experimental
 * `parse-toml-timestamps` feature, which is not implemented here), for NUL
 * bytes, and the int64 range.
 *
 * smol-toml also accepts TOML 1.1 additions that Nix (toml11 in TOML 1.0
 * mode) rejects; `rejectToml11` refuses those first.
 */
import { parse, TomlDate, TomlError } from "smol-toml";
import { TomlParseError } from "./libErrors.js";

export type TomlValue = boolean | bigint | number | string | TomlValue[] | Map<string, TomlValue>;

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

function convert(v: unknown): TomlValue {
  if (typeof v === "bigint") {
    // toml11 rejects these while parsing ("must be < 2^63").
    if (v < INT64_MIN || v > INT64_MAX) throw new TomlParseError(`while parsing TOML: integer ${v} must be < 2^63`);
    return v;
  }
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "string") return noNullByte(v);
  if (v instanceof TomlDate || v instanceof Date) throw new TomlParseError("while parsing TOML: Dates and times are not supported");
  if (Array.isArray(v)) return v.map(convert);
  if (typeof v === "object" && v !== null) {
    const out = new Map<string, TomlValue>();
    for (const [k, x] of Object.entries(v)) out.set(noNullByte(k), convert(x));
    return out;
  }
  throw new TomlParseError(`while parsing TOML: unsupported value ${String(v)}`);
}

/**
 * Refuse the TOML 1.1 extensions smol-toml accepts: newlines and trailing
 * commas inside inline tables, and the \e and \xHH string escapes. A small
 * scan that skips comments and strings and tracks bracket nesting.
 */
function rejectToml11(text: string): void {
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
      continue;
    }
    const inInlineTable = nesting[nesting.length - 1] === "{";
    if (c === "{" || c === "[") nesting.push(c);
    else if (c === "}" || c === "]") nesting.pop();
    else if (inInlineTable && c === "\n") fail("newline in an inline table");
    else if (inInlineTable && c === ",") {
      let j = i + 1;
      while (text[j] === " " || text[j] === "\t") j++;
      if (text[j] === "}") fail("trailing comma in an inline table");
    }
    i++;
  }
}

/** Parse a TOML document into a table (Map), or throw TomlParseError. */
export function parseToml(text: string): Map<string, TomlValue> {
  let doc: unknown;
  try {
    rejectToml11(text);
    doc = parse(text, { integersAsBigInt: true, unsafeKeyBehaviour: "keep" });
  } catch (e) {
    if (e instanceof TomlError) throw new TomlParseError(`while parsing TOML: ${e.message.split("\n")[0]}`, { cause: e });
    throw e;
  }
  return convert(doc) as Map<string, TomlValue>;
}
