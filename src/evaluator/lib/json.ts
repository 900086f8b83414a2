/**
 * JSON as `builtins.fromJSON` / `builtins.toJSON` see it.
 *
 * Nix parses with nlohmann::json's SAX parser (Nix 2.8 and current Nix), so
 * acceptance and error texts follow that library: a BOM is skipped, no
 * comments, strings must be valid UTF-8 with control characters escaped,
 * integers that fit int64 (or uint64) are integers and anything else numeric
 * is a double. Errors are nlohmann's exception texts, which Nix shows verbatim.
 * Nix's own rules on top (current Nix): the last of duplicate keys wins,
 * unsigned numbers above INT64_MAX are an error, and strings may not contain NUL.
 */
import { JsonParseError } from "./libErrors.js";

/** Nix-shaped JSON: integers are bigint, floats are number, objects are Maps. */
export type JsonValue = null | boolean | bigint | number | string | JsonValue[] | Map<string, JsonValue>;

const enum T {
  Uninitialized,
  True,
  False,
  Null,
  String,
  Unsigned,
  Integer,
  Float,
  BeginArray,
  BeginObject,
  EndArray,
  EndObject,
  NameSeparator,
  ValueSeparator,
  ParseError,
  EndOfInput,
  LiteralOrValue,
}

const TOKEN_NAMES: Record<T, string> = {
  [T.Uninitialized]: "<uninitialized>",
  [T.True]: "true literal",
  [T.False]: "false literal",
  [T.Null]: "null literal",
  [T.String]: "string literal",
  [T.Unsigned]: "number literal",
  [T.Integer]: "number literal",
  [T.Float]: "number literal",
  [T.BeginArray]: "'['",
  [T.BeginObject]: "'{'",
  [T.EndArray]: "']'",
  [T.EndObject]: "'}'",
  [T.NameSeparator]: "':'",
  [T.ValueSeparator]: "','",
  [T.ParseError]: "<parse error>",
  [T.EndOfInput]: "end of input",
  [T.LiteralOrValue]: "'[', '{', or a literal",
};

const EOF = -1;
const CONTROL_NAMES = [
  "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
];
const SHORT_ESCAPES: Record<number, string> = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r" };
const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, "0");

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** A byte-level lexer with nlohmann's position and "last read" bookkeeping. */
class Lexer {
  private index = 0;
  private current = EOF;
  private nextUnget = false;
  charsReadTotal = 0;
  charsReadCurrentLine = 0;
  linesRead = 0;
  private tokenString: number[] = [];
  buffer: number[] = [];
  errorMessage = "";
  numberText = "";

  constructor(private readonly input: Uint8Array) {}

  private get(): number {
    this.charsReadTotal++;
    this.charsReadCurrentLine++;
    if (this.nextUnget) this.nextUnget = false;
    else this.current = this.index < this.input.length ? this.input[this.index++]! : EOF;
    if (this.current !== EOF) this.tokenString.push(this.current);
    if (this.current === 0x0a) {
      this.linesRead++;
      this.charsReadCurrentLine = 0;
    }
    return this.current;
  }

  private unget(): void {
    this.nextUnget = true;
    this.charsReadTotal--;
    if (this.charsReadCurrentLine === 0) {
      if (this.linesRead > 0) this.linesRead--;
    } else this.charsReadCurrentLine--;
    if (this.current !== EOF) this.tokenString.pop();
  }

  private reset(): void {
    this.buffer = [];
    this.tokenString = [this.current];
  }

  /** The characters of the current token, control characters shown as <U+XXXX>. */
  tokenText(): string {
    const out: number[] = [];
    for (const b of this.tokenString) {
      if (b <= 0x1f) out.push(...Buffer.from(`<U+${hex4(b)}>`, "latin1"));
      else out.push(b);
    }
    return Buffer.from(out).toString("utf8");
  }

  scan(): T {
    if (this.charsReadTotal === 0) {
      // Skip a UTF-8 byte order mark.
      if (this.get() === 0xef) {
        if (!(this.get() === 0xbb && this.get() === 0xbf)) {
          this.errorMessage = "invalid BOM; must be 0xEF 0xBB 0xBF if given";
          return T.ParseError;
        }
      } else this.unget();
    }
    do this.get();
    while (this.current === 0x20 || this.current === 0x09 || this.current === 0x0a || this.current === 0x0d);
    switch (this.current) {
      case 0x5b:
        return T.BeginArray;
      case 0x5d:
        return T.EndArray;
      case 0x7b:
        return T.BeginObject;
      case 0x7d:
        return T.EndObject;
      case 0x3a:
        return T.NameSeparator;
      case 0x2c:
        return T.ValueSeparator;
      case 0x74:
        return this.scanLiteral("true", T.True);
      case 0x66:
        return this.scanLiteral("false", T.False);
      case 0x6e:
        return this.scanLiteral("null", T.Null);
      case 0x22:
        return this.scanString();
      case 0x00:
      case EOF:
        return T.EndOfInput;
    }
    if (this.current === 0x2d || (this.current >= 0x30 && this.current <= 0x39)) return this.scanNumber();
    this.errorMessage = "invalid literal";
    return T.ParseError;
  }

  private scanLiteral(text: string, type: T): T {
    for (let i = 1; i < text.length; i++) {
      if (this.get() !== text.charCodeAt(i)) {
        this.errorMessage = "invalid literal";
        return T.ParseError;
      }
    }
    return type;
  }

  private codepoint(): number {
    let cp = 0;
    for (const shift of [12, 8, 4, 0]) {
      const c = this.get();
      if (c >= 0x30 && c <= 0x39) cp += (c - 0x30) << shift;
      else if (c >= 0x41 && c <= 0x46) cp += (c - 0x37) << shift;
      else if (c >= 0x61 && c <= 0x66) cp += (c - 0x57) << shift;
      else return -1;
    }
    return cp;
  }

  /** Accept the current byte and then one byte from each [lo, hi] range. */
  private continuation(ranges: number[]): boolean {
    this.buffer.push(this.current);
    for (let i = 0; i < ranges.length; i += 2) {
      const c = this.get();
      if (ranges[i]! <= c && c <= ranges[i + 1]!) this.buffer.push(c);
      else {
        this.errorMessage = "invalid string: ill-formed UTF-8 byte";
        return false;
      }
    }
    return true;
  }

  private scanString(): T {
    this.reset();
    for (;;) {
      const c = this.get();
      if (c === EOF) {
        this.errorMessage = "invalid string: missing closing quote";
        return T.ParseError;
      }
      if (c === 0x22) return T.String;
      if (c === 0x5c) {
        const e = this.get();
        const simple: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9 };
        if (e in simple) {
          this.buffer.push(simple[e]!);
          continue;
        }
        if (e !== 0x75) {
          this.errorMessage = "invalid string: forbidden character after backslash";
          return T.ParseError;
        }
        const cp1 = this.codepoint();
        let cp = cp1;
        if (cp1 === -1) {
          this.errorMessage = "invalid string: '\\u' must be followed by 4 hex digits";
          return T.ParseError;
        }
        if (cp1 >= 0xd800 && cp1 <= 0xdbff) {
          if (this.get() === 0x5c && this.get() === 0x75) {
            const cp2 = this.codepoint();
            if (cp2 === -1) {
              this.errorMessage = "invalid string: '\\u' must be followed by 4 hex digits";
              return T.ParseError;
            }
            if (cp2 >= 0xdc00 && cp2 <= 0xdfff) cp = ((cp1 - 0xd800) << 10) + (cp2 - 0xdc00) + 0x10000;
            else {
              this.errorMessage = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
              return T.ParseError;
            }
          } else {
            this.errorMessage = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
            return T.ParseError;
          }
        } else if (cp1 >= 0xdc00 && cp1 <= 0xdfff) {
          this.errorMessage = "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF";
          return T.ParseError;
        }
        this.buffer.push(...Buffer.from(String.fromCodePoint(cp), "utf8"));
        continue;
      }
      if (c <= 0x1f) {
        const short = SHORT_ESCAPES[c];
        this.errorMessage =
          `invalid string: control character U+${hex4(c)} (${CONTROL_NAMES[c]}) must be escaped to \\u${hex4(c)}` +
          (short === undefined ? "" : ` or ${short}`);
        return T.ParseError;
      }
      if (c < 0x80) {
        this.buffer.push(c);
        continue;
      }
      let ok: boolean;
      if (c >= 0xc2 && c <= 0xdf) ok = this.continuation([0x80, 0xbf]);
      else if (c === 0xe0) ok = this.continuation([0xa0, 0xbf, 0x80, 0xbf]);
      else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) ok = this.continuation([0x80, 0xbf, 0x80, 0xbf]);
      else if (c === 0xed) ok = this.continuation([0x80, 0x9f, 0x80, 0xbf]);
      else if (c === 0xf0) ok = this.continuation([0x90, 0xbf, 0x80, 0xbf, 0x80, 0xbf]);
      else if (c >= 0xf1 && c <= 0xf3) ok = this.continuation([0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf]);
      else if (c === 0xf4) ok = this.continuation([0x80, 0x8f, 0x80, 0xbf, 0x80, 0xbf]);
      else {
        this.errorMessage = "invalid string: ill-formed UTF-8 byte";
        ok = false;
      }
      if (!ok) return T.ParseError;
    }
  }

  private scanNumber(): T {
    this.reset();
    let type = T.Unsigned;
    const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
    let c = this.current;
    this.buffer.push(c);
    if (c === 0x2d) {
      type = T.Integer;
      c = this.get();
      if (!isDigit(c)) {
        this.errorMessage = "invalid number; expected digit after '-'";
        return T.ParseError;
      }
      this.buffer.push(c);
    }
    c = this.get();
    if (this.buffer[this.buffer.length - 1] !== 0x30) {
      while (isDigit(c)) {
        this.buffer.push(c);
        c = this.get();
      }
    }
    if (c === 0x2e) {
      type = T.Float;
      this.buffer.push(c);
      c = this.get();
      if (!isDigit(c)) {
        this.errorMessage = "invalid number; expected digit after '.'";
        return T.ParseError;
      }
      while (isDigit(c)) {
        this.buffer.push(c);
        c = this.get();
      }
    }
    if (c === 0x65 || c === 0x45) {
      type = T.Float;
      this.buffer.push(c);
      c = this.get();
      if (c === 0x2b || c === 0x2d) {
        this.buffer.push(c);
        c = this.get();
        if (!isDigit(c)) {
          this.errorMessage = "invalid number; expected digit after exponent sign";
          return T.ParseError;
        }
      } else if (!isDigit(c)) {
        this.errorMessage = "invalid number; expected '+', '-', or digit after exponent";
        return T.ParseError;
      }
      while (isDigit(c)) {
        this.buffer.push(c);
        c = this.get();
      }
    }
    this.unget();
    this.numberText = Buffer.from(this.buffer).toString("latin1");
    // Integers that overflow strtoll/strtoull are read again as doubles.
    if (type === T.Unsigned && BigInt(this.numberText) <= UINT64_MAX) return T.Unsigned;
    if (type === T.Integer && BigInt(this.numberText) >= INT64_MIN) return T.Integer;
    return T.Float;
  }

  string(): string {
    return Buffer.from(this.buffer).toString("utf8");
  }

}

/** Nix refuses strings with NUL bytes; it shows them as ␀. */
function noNullByte(s: string): string {
  if (s.includes("\0")) {
    throw new JsonParseError(
      `input string '${s.replaceAll("\0", "\u2400")}' cannot be represented as Nix string because it contains null bytes`,
    );
  }
  return s;
}

type Container = { array: JsonValue[] } | { object: Map<string, JsonValue>; key: string };

/** `builtins.fromJSON`. Throws JsonParseError with the text Nix prints. */
export function parseJson(text: string): JsonValue {
  return parseJsonIn(Buffer.from(text, "utf8"));
}

/**
 * parseJson for input given as a byte string (one char per byte, Buffer's "latin1"), so that
 * ill-formed UTF-8 is rejected as Nix rejects it. Strings in the result are ordinary JS strings.
 */
export function parseJsonBytes(bytes: string): JsonValue {
  return parseJsonIn(Buffer.from(bytes, "latin1"));
}

function parseJsonIn(input: Uint8Array): JsonValue {
  const lexer = new Lexer(input);
  let last = T.Uninitialized as T;
  const next = (): T => (last = lexer.scan());
  const fail = (expected: T, context: string): never => {
    let msg = `syntax error while parsing ${context} - `;
    if (last === T.ParseError) msg += `${lexer.errorMessage}; last read: '${lexer.tokenText()}'`;
    else msg += `unexpected ${TOKEN_NAMES[last]}`;
    if (expected !== T.Uninitialized) msg += `; expected ${TOKEN_NAMES[expected]}`;
    throw new JsonParseError(
      `[json.exception.parse_error.101] parse error at line ${lexer.linesRead + 1}, column ${lexer.charsReadCurrentLine}: ${msg}`,
      lexer.charsReadTotal,
    );
  };

  const stack: Container[] = [];
  let root: JsonValue = null;
  const add = (v: JsonValue): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = v;
    else if ("array" in top) top.array.push(v);
    else top.object.set(top.key, v);
  };
  const readKey = (top: { key: string }): void => {
    if (last !== T.String) fail(T.String, "object key");
    top.key = noNullByte(lexer.string());
    if (next() !== T.NameSeparator) fail(T.NameSeparator, "object separator");
  };

  next();
  let skipToStateEvaluation = false;
  for (;;) {
    if (!skipToStateEvaluation) {
      switch (last) {
        case T.BeginObject: {
          const container = { object: new Map<string, JsonValue>(), key: "" };
          if (next() === T.EndObject) {
            add(container.object);
            break;
          }
          readKey(container);
          stack.push(container);
          next();
          continue;
        }
        case T.BeginArray: {
          const container = { array: [] as JsonValue[] };
          if (next() === T.EndArray) {
            add(container.array);
            break;
          }
          stack.push(container);
          continue;
        }
        case T.Float: {
          const x = Number(lexer.numberText);
          if (!Number.isFinite(x)) {
            throw new JsonParseError(`[json.exception.out_of_range.406] number overflow parsing '${lexer.tokenText()}'`);
          }
          add(x);
          break;
        }
        case T.False:
          add(false);
          break;
        case T.True:
          add(true);
          break;
        case T.Null:
          add(null);
          break;
        case T.Integer:
          add(BigInt(lexer.numberText));
          break;
        case T.Unsigned: {
          const n = BigInt(lexer.numberText);
          if (n > INT64_MAX) throw new JsonParseError(`unsigned json number ${n} outside of Nix integer range`);
          add(n);
          break;
        }
        case T.String:
          add(noNullByte(lexer.string()));
          break;
        case T.ParseError:
          fail(T.Uninitialized, "value");
          break;
        default:
          fail(T.LiteralOrValue, "value");
      }
    } else skipToStateEvaluation = false;

    const top = stack[stack.length - 1];
    if (top === undefined) break;
    if ("array" in top) {
      if (next() === T.ValueSeparator) {
        next();
        continue;
      }
      if (last !== T.EndArray) fail(T.EndArray, "array");
    } else {
      if (next() === T.ValueSeparator) {
        next();
        readKey(top);
        next();
        continue;
      }
      if (last !== T.EndObject) fail(T.EndObject, "object");
    }
    stack.pop();
    add("array" in top ? top.array : top.object);
    skipToStateEvaluation = true;
  }
  if (next() !== T.EndOfInput) fail(T.EndOfInput, "value");
  return root;
}

/**
 * A string as `builtins.toJSON` writes it (current Nix, nlohmann::json dump):
 * `"` and `\` escaped, \b \t \n \f \r by name, other control characters as
 * \u00xx (lower-case hex), everything else (DEL, non-ASCII) as-is.
 * Nix 2.8 differed: \b and \f came out as \u0008 and \u000c.
 */
export function jsonQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20) out += SHORT_ESCAPES[c] ?? "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

/** nlohmann::json objects are std::maps: keys ordered by their UTF-8 bytes. */
export function compareJsonKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Compact JSON (as valueToJson writes it) laid out as nlohmann's dump(2) does, which `nix eval
 * --json --pretty` prints: two spaces a level, `"key": value`, an empty `{}` or `[]` kept on one
 * line. The text of strings and numbers is left exactly as it is.
 */
export function indentJson(compact: string): string {
  let out = "";
  let depth = 0;
  const newline = () => `\n${"  ".repeat(depth)}`;
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i]!;
    if (c === '"') {
      let j = i + 1;
      while (compact[j] !== '"') j += compact[j] === "\\" ? 2 : 1;
      out += compact.slice(i, j + 1);
      i = j;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      if (compact[i + 1] === close) {
        out += c + close;
        i++;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += newline() + c;
    } else if (c === ",") out += `,${newline()}`;
    else if (c === ":") out += ": ";
    else out += c;
  }
  return out;
}
