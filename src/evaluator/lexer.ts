/**
 * The Nix lexer: a hand-written equivalent of Nix's flex scanner (lexer.l),
 * working on char codes. Like flex it picks the longest match at each
 * position, ties going to the rule listed first in lexer.l, and it keeps the
 * same stack of start conditions (strings, indented strings, paths, `${…}`).
 * The lexer never needs feedback from the parser.
 */
import type { Pos } from "./ast.js";
import { ParseError } from "./parseErrors.js";
import { T } from "./parserTables.js";

/** Start conditions of Nix's scanner. INITIAL and DEFAULT share their rules. */
const enum LexState {
  Initial,
  Default,
  String,
  IndString,
  InPath,
  InPathSlash,
}

/** A string token's text, plus whether it may carry indentation (indented strings). */
export interface StringToken {
  readonly value: string;
  readonly hasIndentation: boolean;
}

export type TokenValue = string | bigint | number | StringToken | undefined;

export interface LexerOptions {
  /** Whether the experimental `|>` / `<|` operators are enabled. */
  readonly pipeOperators?: boolean;
}

const KEYWORDS: ReadonlyMap<string, number> = new Map([
  ["if", T.IF],
  ["then", T.THEN],
  ["else", T.ELSE],
  ["assert", T.ASSERT],
  ["with", T.WITH],
  ["let", T.LET],
  ["in", T.IN_KW],
  ["rec", T.REC],
  ["inherit", T.INHERIT],
  ["or", T.OR_KW],
]);

// Character classes, as bit flags per char code < 128.
const C_ID_START = 1;
const C_ID = 2;
const C_DIGIT = 4;
const C_PATH = 8; // PATH_CHAR: [a-zA-Z0-9._\-+]
const C_URI_SCHEME = 16; // [a-zA-Z0-9+\-.]
const C_URI = 32; // [a-zA-Z0-9%/?:@&=+$,\-_.!~*']
const C_ALPHA = 64;
const charClass = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[a-zA-Z]/.test(ch);
  const digit = /[0-9]/.test(ch);
  let f = 0;
  if (alpha || ch === "_") f |= C_ID_START;
  if (alpha || digit || ch === "_" || ch === "'" || ch === "-") f |= C_ID;
  if (digit) f |= C_DIGIT;
  if (alpha || digit || "._-+".includes(ch)) f |= C_PATH;
  if (alpha || digit || "+-.".includes(ch)) f |= C_URI_SCHEME;
  if (alpha || digit || "%/?:@&=+$,-_.!~*'".includes(ch)) f |= C_URI;
  if (alpha) f |= C_ALPHA;
  charClass[c] = f;
}
function is(c: number, cls: number): boolean {
  return c < 128 && c >= 0 && (charClass[c]! & cls) !== 0;
}

// Rule priorities: the order of the rules in lexer.l (earlier wins a tie).
const R_KEYWORD = 0;
const R_ELLIPSIS = 1;
const R_OP2 = 2;
const R_ID = 3;
const R_INT = 4;
const R_FLOAT = 5;
const R_DOLLAR_CURLY = 6;
const R_RBRACE = 7;
const R_LBRACE = 8;
const R_QUOTE = 9;
const R_IND_OPEN = 10;
const R_PATH_INTERP = 11;
const R_PATH = 12;
const R_HPATH = 13;
const R_SPATH = 14;
const R_URI = 15;
const R_COMMENT = 16;
const R_ANY = 20;

const TWO_CHAR_OPS: ReadonlyMap<string, number> = new Map([
  ["==", T.EQ],
  ["!=", T.NEQ],
  ["<=", T.LEQ],
  [">=", T.GEQ],
  ["&&", T.AND],
  ["||", T.OR],
  ["->", T.IMPL],
  ["//", T.UPDATE],
  ["++", T.CONCAT],
  ["<|", T.PIPE_FROM],
  ["|>", T.PIPE_INTO],
]);

/** First characters of the two-character operators. */
const OP_FIRST = new Uint8Array(128);
for (const op of TWO_CHAR_OPS.keys()) OP_FIRST[op.charCodeAt(0)] = 1;

/**
 * Characters that begin no rule longer than themselves (not an identifier, number,
 * operator, path, URI or string opener): `; ( ) [ ] , @ ? : { } "`. They are a
 * token of their own with no further rule to try.
 */
const ALONE = new Uint8Array(128);
for (const ch of ';()[],@?:{}"') ALONE[ch.charCodeAt(0)] = 1;

/** Symbol numbers of single-character tokens (others are "invalid token"). */
const charTokens = new Int16Array(256).fill(T.UNDEF);
for (const [name, sym] of Object.entries(T)) {
  if (name.length === 3 && name.startsWith("'") && name.endsWith("'")) charTokens[name.charCodeAt(1)] = sym;
}

export class Lexer {
  private pos = 0;
  private readonly stack: LexState[] = [LexState.Initial];
  /** Start and end offsets of the last token returned. */
  tokStart = 0;
  tokEnd = 0;
  /** Location of the token before the last one (flex's "stash"), for PATH_END. */
  private prevStart = 0;
  private prevEnd = 0;
  value: TokenValue;
  private noCommentEndFrom = Infinity;

  constructor(
    private readonly text: string,
    private readonly posAt: (offset: number) => Pos,
    private readonly options: LexerOptions = {},
  ) {}

  private get state(): LexState {
    return this.stack[this.stack.length - 1]!;
  }

  private setLoc(start: number, end: number): void {
    this.prevStart = this.tokStart;
    this.prevEnd = this.tokEnd;
    this.tokStart = start;
    this.tokEnd = end;
  }

  private error(message: string, offset: number): never {
    throw new ParseError(message, this.posAt(offset), this.text);
  }

  /** Returns the symbol number of the next token; its value is in `value`. */
  next(): number {
    this.value = undefined;
    switch (this.state) {
      case LexState.String:
        return this.lexString();
      case LexState.IndString:
        return this.lexIndString();
      case LexState.InPath:
      case LexState.InPathSlash:
        return this.lexInPath();
      default:
        return this.lexDefault();
    }
  }

  private lexDefault(): number {
    const text = this.text;
    const len = text.length;
    for (;;) {
      const p = this.pos;
      if (p >= len) {
        // flex leaves the location of the last lexeme (whitespace included).
        return T.EOF;
      }
      const c = text.charCodeAt(p);
      // Whitespace and comments.
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        let q = p + 1;
        while (q < len) {
          const d = text.charCodeAt(q);
          if (d === 32 || d === 9 || d === 10 || d === 13) q++;
          else break;
        }
        this.skip(p, q);
        continue;
      }
      if (c === 35 /* # */) {
        let q = p + 1;
        while (q < len) {
          const d = text.charCodeAt(q);
          if (d === 10 || d === 13) break;
          q++;
        }
        this.skip(p, q);
        continue;
      }
      if (c === 47 /* / */ && text.charCodeAt(p + 1) === 42 /* * */ && p < this.noCommentEndFrom) {
        const close = text.indexOf("*/", p + 2);
        if (close >= 0) {
          this.skip(p, close + 2);
          continue;
        }
        // Unterminated: flex falls back to shorter rules ('/' or a path).
        // No later comment can end either, so do not search again.
        this.noCommentEndFrom = p;
      }
      return this.lexDefaultToken(p, c);
    }
  }

  private skip(p: number, q: number): void {
    this.setLoc(p, q);
    this.pos = q;
  }

  private lexDefaultToken(p: number, c: number): number {
    const text = this.text;
    if (c < 128 && ALONE[c] === 1) return this.single(p, c);
    // Longest match; on equal length the earlier rule of lexer.l wins.
    let bestLen = 0;
    let bestRule = R_ANY;
    let n = 0;

    let idLen = 0;
    if (is(c, C_ID_START)) {
      let q = p + 1;
      while (is(text.charCodeAt(q), C_ID)) q++;
      idLen = q - p;
      const name = text.slice(p, q);
      const keyword = idLen <= 7 ? KEYWORDS.get(name) : undefined;
      // Most tokens are identifiers, and only a path or a URI can outrun one: both
      // would have to go on past its end with '.', '+', '/' or ':' (a '_' or '\''
      // inside it already ends a URI scheme or a path segment there). Otherwise
      // no other rule needs trying.
      const after = text.charCodeAt(q);
      if (after !== 46 && after !== 43 && after !== 47 && after !== 58) {
        this.emit(p, q);
        if (keyword !== undefined) return keyword;
        this.value = name;
        return T.ID;
      }
      bestLen = idLen;
      bestRule = keyword !== undefined ? R_KEYWORD : R_ID;
    }
    if (is(c, C_DIGIT)) {
      let q = p + 1;
      while (is(text.charCodeAt(q), C_DIGIT)) q++;
      if (q - p > bestLen) {
        bestLen = q - p;
        bestRule = R_INT;
      }
    }
    if (is(c, C_DIGIT) || c === 46 /* . */) {
      n = this.floatLength(p);
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_FLOAT;
      }
    }
    const d = text.charCodeAt(p + 1);
    let two: number | undefined;
    if (d < 128 && OP_FIRST[c] === 1) {
      two = TWO_CHAR_OPS.get(text.slice(p, p + 2));
      if (two !== undefined && bestLen < 2) {
        bestLen = 2;
        bestRule = R_OP2;
      }
    }
    if (c === 46 && d === 46 && text.charCodeAt(p + 2) === 46 && bestLen <= 3) {
      // `...` beats a float or op of the same length only by rule order: it comes first.
      if (bestLen < 3 || bestRule > R_ELLIPSIS) {
        bestLen = 3;
        bestRule = R_ELLIPSIS;
      }
    }
    if (c === 36 /* $ */ && d === 123 && bestLen < 2) {
      bestLen = 2;
      bestRule = R_DOLLAR_CURLY;
    }
    if (c === 39 /* ' */ && d === 39) {
      let q = p + 2;
      while (text.charCodeAt(q) === 32) q++;
      n = text.charCodeAt(q) === 10 ? q + 1 - p : 2;
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_IND_OPEN;
      }
    }
    if (is(c, C_PATH) || c === 47 /* / */) {
      n = this.pathSegDollarLength(p);
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_PATH_INTERP;
      }
      n = this.pathLength(p);
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_PATH;
      }
    }
    if (c === 126 /* ~ */) {
      if (d === 47 && text.charCodeAt(p + 2) === 36 && text.charCodeAt(p + 3) === 123 && bestLen < 4) {
        bestLen = 4;
        bestRule = R_PATH_INTERP;
      }
      n = this.hpathLength(p);
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_HPATH;
      }
    }
    if (c === 60 /* < */) {
      n = this.spathLength(p);
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_SPATH;
      }
    }
    if (is(c, C_ALPHA)) {
      n = this.uriLength(p);
      if (n > bestLen) {
        bestLen = n;
        bestRule = R_URI;
      }
    }
    if (bestLen === 0) bestLen = 1; // any other single character

    const end = p + bestLen;
    switch (bestRule) {
      case R_KEYWORD:
        this.emit(p, end);
        return KEYWORDS.get(text.slice(p, end))!;
      case R_ID:
        this.emit(p, end);
        this.value = text.slice(p, end);
        return T.ID;
      case R_INT: {
        this.emit(p, end);
        const digits = text.slice(p, end);
        const v = BigInt(digits);
        if (v > 0x7fffffffffffffffn) this.error(`invalid integer '${digits}'`, p);
        this.value = v;
        return T.INT_LIT;
      }
      case R_FLOAT: {
        this.emit(p, end);
        const lit = text.slice(p, end);
        const v = Number(lit);
        // strtod reports ERANGE on overflow and on underflow to zero or a subnormal.
        const mantissaNonZero = /[1-9]/.test(lit.split(/[eE]/)[0]!);
        if (!Number.isFinite(v) || (mantissaNonZero && Math.abs(v) < 2.2250738585072014e-308))
          this.error(`invalid float '${lit}'`, p);
        this.value = v;
        return T.FLOAT_LIT;
      }
      case R_ELLIPSIS:
        this.emit(p, end);
        return T.ELLIPSIS;
      case R_OP2: {
        this.emit(p, end);
        const tok = two!;
        if ((tok === T.PIPE_FROM || tok === T.PIPE_INTO) && !this.options.pipeOperators)
          this.error(
            "experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it",
            p,
          );
        return tok;
      }
      case R_DOLLAR_CURLY:
        this.emit(p, end);
        this.stack.push(LexState.Default);
        return T.DOLLAR_CURLY;
      case R_IND_OPEN:
        this.emit(p, end);
        this.stack.push(LexState.IndString);
        return T.IND_STRING_OPEN;
      case R_PATH_INTERP: {
        // `a/${`, `/${`, `~/${`: the path up to and including the slash, then interpolation.
        const segEnd = end - 2;
        this.emit(p, segEnd);
        this.stack.push(LexState.InPathSlash);
        this.value = text.slice(p, segEnd);
        return c === 126 ? T.HPATH : T.PATH;
      }
      case R_PATH:
      case R_HPATH:
        this.emit(p, end);
        this.stack.push(text.charCodeAt(end - 1) === 47 ? LexState.InPathSlash : LexState.InPath);
        this.value = text.slice(p, end);
        return bestRule === R_PATH ? T.PATH : T.HPATH;
      case R_SPATH:
        this.emit(p, end);
        this.value = text.slice(p, end);
        return T.SPATH;
      case R_URI:
        this.emit(p, end);
        this.value = text.slice(p, end);
        return T.URI;
      default:
        break;
    }
    return this.single(p, c);
  }

  /** A token of one character at `p`. */
  private single(p: number, c: number): number {
    this.emit(p, p + 1);
    if (c === 123 /* { */) {
      this.stack.push(LexState.Default);
      return charTokens[c]!;
    }
    if (c === 125 /* } */) {
      // INITIAL marks the bottom of the stack and is never popped.
      if (this.state !== LexState.Initial) this.stack.pop();
      return charTokens[c]!;
    }
    if (c === 34 /* " */) {
      this.stack.push(LexState.String);
      return charTokens[c]!;
    }
    return c < 256 ? charTokens[c]! : T.UNDEF;
  }

  private emit(start: number, end: number): void {
    this.setLoc(start, end);
    this.pos = end;
  }

  /** FLOAT: (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)? */
  private floatLength(p: number): number {
    const text = this.text;
    let q = p;
    const c = text.charCodeAt(p);
    if (c >= 49 && c <= 57) {
      q++;
      while (is(text.charCodeAt(q), C_DIGIT)) q++;
      if (text.charCodeAt(q) !== 46) return 0;
      q++;
      while (is(text.charCodeAt(q), C_DIGIT)) q++;
    } else {
      if (c === 48) q++;
      if (text.charCodeAt(q) !== 46 || !is(text.charCodeAt(q + 1), C_DIGIT)) return 0;
      q += 2;
      while (is(text.charCodeAt(q), C_DIGIT)) q++;
    }
    const e = text.charCodeAt(q);
    if (e === 69 || e === 101) {
      let r = q + 1;
      const s = text.charCodeAt(r);
      if (s === 43 || s === 45) r++;
      if (is(text.charCodeAt(r), C_DIGIT)) {
        r++;
        while (is(text.charCodeAt(r), C_DIGIT)) r++;
        q = r;
      }
    }
    return q - p;
  }

  // End of the run of path characters containing the last scanned position:
  // every position inside a run ends at the same place, so `a.a.a…` stays linear.
  private runStart = -1;
  private runEnd = -1;
  /** Last '_' in the run (URI schemes cannot contain one), or -1. */
  private runLastUnderscore = -1;

  private pathChars(q: number): number {
    if (q >= this.runStart && q < this.runEnd) return this.runEnd;
    const start = q;
    let underscore = -1;
    for (;;) {
      const c = this.text.charCodeAt(q);
      if (!is(c, C_PATH)) break;
      if (c === 95) underscore = q;
      q++;
    }
    if (q > start) {
      this.runStart = start;
      this.runEnd = q;
      this.runLastUnderscore = underscore;
    }
    return q;
  }

  /** PATH: {PATH_CHAR}*(\/{PATH_CHAR}+)+\/? */
  private pathLength(p: number): number {
    let q = this.pathChars(p);
    let segments = 0;
    while (this.text.charCodeAt(q) === 47 && is(this.text.charCodeAt(q + 1), C_PATH)) {
      q = this.pathChars(q + 1);
      segments++;
    }
    if (segments === 0) return 0;
    if (this.text.charCodeAt(q) === 47) q++;
    return q - p;
  }

  /** {PATH_SEG}\$\{ where PATH_SEG is {PATH_CHAR}*\/ */
  private pathSegDollarLength(p: number): number {
    const q = this.pathChars(p);
    const t = this.text;
    if (t.charCodeAt(q) === 47 && t.charCodeAt(q + 1) === 36 && t.charCodeAt(q + 2) === 123) return q + 3 - p;
    return 0;
  }

  /** HPATH: \~(\/{PATH_CHAR}+)+\/? */
  private hpathLength(p: number): number {
    const n = this.pathLength(p + 1);
    // pathLength allows leading path chars; a home path has none.
    if (n === 0 || this.text.charCodeAt(p + 1) !== 47) return 0;
    return n + 1;
  }

  /** SPATH: \<{PATH_CHAR}+(\/{PATH_CHAR}+)*\> */
  private spathLength(p: number): number {
    const t = this.text;
    let q = this.pathChars(p + 1);
    if (q === p + 1) return 0;
    while (t.charCodeAt(q) === 47 && is(t.charCodeAt(q + 1), C_PATH)) q = this.pathChars(q + 1);
    return t.charCodeAt(q) === 62 ? q + 1 - p : 0;
  }

  /** URI: [a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+ */
  private uriLength(p: number): number {
    const t = this.text;
    let q = p + 1;
    // Scheme chars are the path chars but '_': the scheme reaches the ':' only
    // if the path-char run from p does and holds no '_' (keeps `a.a.a…` linear).
    const runEnd = this.pathChars(p);
    if (t.charCodeAt(runEnd) !== 58 || this.runLastUnderscore >= p) return 0;
    q = runEnd;
    if (t.charCodeAt(q) !== 58) return 0;
    q++;
    const start = q;
    while (is(t.charCodeAt(q), C_URI)) q++;
    return q > start ? q - p : 0;
  }

  private lexInPath(): number {
    const text = this.text;
    const p = this.pos;
    const c = text.charCodeAt(p);
    if (c === 36 && text.charCodeAt(p + 1) === 123) {
      this.emit(p, p + 2);
      this.stack[this.stack.length - 1] = LexState.InPath;
      this.stack.push(LexState.Default);
      return T.DOLLAR_CURLY;
    }
    // {PATH}|{PATH_SEG}|{PATH_CHAR}+
    let n = this.pathLength(p);
    const charsEnd = this.pathChars(p);
    if (text.charCodeAt(charsEnd) === 47) n = Math.max(n, charsEnd + 1 - p);
    n = Math.max(n, charsEnd - p);
    if (n > 0) {
      this.emit(p, p + n);
      this.stack[this.stack.length - 1] = text.charCodeAt(p + n - 1) === 47 ? LexState.InPathSlash : LexState.InPath;
      this.value = { value: text.slice(p, p + n), hasIndentation: false };
      return T.STR;
    }
    if (this.state === LexState.InPathSlash) {
      // At end of input flex reports the location of the last lexeme.
      this.error("path has a trailing slash", p < text.length ? p : this.tokStart);
    }
    // The path ended: PATH_END takes the previous location (flex's yyless + unstash).
    this.stack.pop();
    if (p >= text.length) {
      this.tokStart = this.prevStart;
      this.tokEnd = this.prevEnd;
    }
    return T.PATH_END;
  }

  private lexString(): number {
    const text = this.text;
    const len = text.length;
    const p = this.pos;
    const c = text.charCodeAt(p);
    if (p >= len) return T.EOF;
    if (c === 34) {
      this.emit(p, p + 1);
      this.stack.pop();
      return charTokens[34]!;
    }
    if (c === 36 && text.charCodeAt(p + 1) === 123) {
      this.emit(p, p + 2);
      this.stack.push(LexState.Default);
      return T.DOLLAR_CURLY;
    }
    // ([^\$\"\\]|\$[^\{\"\\]|\\{ANY}|\$\\{ANY})* with a trailing '$' allowed before '"'.
    let q = p;
    while (q < len) {
      const d = text.charCodeAt(q);
      if (d === 34) break;
      if (d === 92) {
        if (q + 1 < len) q += 2;
        else break;
      } else if (d === 36) {
        const e = text.charCodeAt(q + 1);
        if (q + 1 >= len || e === 123) break;
        if (e === 34) {
          q++;
          break;
        }
        if (e === 92) {
          if (q + 2 < len) q += 3;
          else break;
        } else q += 2;
      } else q++;
    }
    if (q === p) {
      // A lone '$' or '\' before the end of input: Nix returns end-of-file here.
      this.emit(p, len);
      return T.EOF;
    }
    this.emit(p, q);
    const value = unescapeStr(text, p, q);
    if (value.includes("\0")) this.nullByteError(value, p);
    this.value = { value, hasIndentation: false };
    return T.STR;
  }

  private nullByteError(value: string, offset: number): never {
    this.error(
      `input string '${value.replaceAll("\0", "\xe2\x90\x80") /* "␀" as UTF-8 bytes */}' cannot be represented as Nix string because it contains null bytes`,
      offset,
    );
  }

  private lexIndString(): number {
    const text = this.text;
    const len = text.length;
    const p = this.pos;
    if (p >= len) return T.EOF;
    const c = text.charCodeAt(p);
    if (c === 39 && text.charCodeAt(p + 1) === 39) {
      const d = text.charCodeAt(p + 2);
      if (d === 39) return this.indStr(p, p + 3, "''", false);
      if (d === 36) return this.indStr(p, p + 3, "$", false);
      if (d === 92 && p + 3 < len) return this.indStr(p, p + 4, unescapeStr(text, p + 2, p + 4), false);
      this.emit(p, p + 2);
      this.stack.pop();
      return T.IND_STRING_CLOSE;
    }
    if (c === 36 && text.charCodeAt(p + 1) === 123) {
      this.emit(p, p + 2);
      this.stack.push(LexState.Default);
      return T.DOLLAR_CURLY;
    }
    // ([^\$\']|\$[^\{\']|\'[^\'\$])+
    let q = p;
    while (q < len) {
      const d = text.charCodeAt(q);
      if (d === 36) {
        const e = text.charCodeAt(q + 1);
        if (q + 1 >= len || e === 123 || e === 39) break;
        q += 2;
      } else if (d === 39) {
        const e = text.charCodeAt(q + 1);
        if (q + 1 >= len || e === 39 || e === 36) break;
        q += 2;
      } else q++;
    }
    if (q > p) {
      const value = text.slice(p, q);
      if (value.includes("\0")) this.nullByteError(value, p);
      return this.indStr(p, q, value, true);
    }
    return this.indStr(p, p + 1, c === 36 ? "$" : "'", false);
  }

  private indStr(p: number, q: number, value: string, hasIndentation: boolean): number {
    this.emit(p, q);
    this.value = { value, hasIndentation };
    return T.IND_STR;
  }
}

/** Nix's unescapeStr: \n \r \t escapes, any other escaped char stands for itself, CR and CRLF become LF. */
export function unescapeStr(text: string, from: number, to: number): string {
  let out = "";
  let runStart = from;
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 92 || c === 13) {
      out += text.slice(runStart, i);
      if (c === 92) {
        const e = text[i + 1]!;
        out += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e;
        i += 2;
      } else {
        out += "\n";
        i += text.charCodeAt(i + 1) === 10 ? 2 : 1;
      }
      runStart = i;
    } else i++;
  }
  return out + text.slice(runStart, to);
}
