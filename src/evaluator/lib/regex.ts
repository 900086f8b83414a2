/**
 * POSIX extended regular expressions exactly as Nix's `builtins.match` and
 * `builtins.split` see them.
 *
 * Nix compiles patterns with `std::regex(re, std::regex::extended)` and runs
 * them with libstdc++'s depth-first executor on the string's UTF-8 bytes.
 * That engine is neither leftmost-first (JS) nor textbook leftmost-longest:
 * alternations try both sides and keep the longest match found, but a greedy
 * repetition that found any match never tries fewer iterations, and a
 * repetition may take at most two consecutive empty iterations. A JS RegExp
 * translation cannot reproduce that, so this module builds the same NFA
 * shape (alternation, repeat, sub-expression and matcher states, dummy
 * elimination, cloned states for `{n,m}`) and explores it in the same order
 * with an explicit stack (no recursion, so long inputs cannot overflow the
 * JS stack). Bytes are compared as signed `char`s for bracket ranges, and
 * character classes are those of the "C" locale, as in Nix.
 *
 * Facts checked against Nix 2.8 (tests/evaluator/lib/regex.test.ts).
 */
import { InvalidRegexError } from "./libErrors.js";

// ---------------------------------------------------------------- automaton

const enum Op {
  Dummy,
  Match,
  Alternative,
  Repeat,
  SubexprBegin,
  SubexprEnd,
  LineBegin,
  LineEnd,
  Accept,
}

interface State {
  op: Op;
  next: number;
  /** Alternative/Repeat: the other branch ("match once more" for Repeat). */
  alt: number;
  /** Sub-expression index for SubexprBegin/End. */
  subexpr: number;
  /** Match: which of the 256 byte values are accepted. */
  table: Uint8Array | null;
}

const NO_STATE = -1;
/** libstdc++'s _GLIBCXX_REGEX_STATE_LIMIT. */
const STATE_LIMIT = 100_000;

class SyntaxFailure extends Error {}
class SpaceFailure extends Error {}

class Nfa {
  readonly states: State[] = [];
  subexprCount = 0;
  private readonly parenStack: number[] = [];

  insert(op: Op, fields: Partial<State> = {}): number {
    this.states.push({ op, next: NO_STATE, alt: NO_STATE, subexpr: 0, table: null, ...fields });
    if (this.states.length > STATE_LIMIT) throw new SpaceFailure("state limit");
    return this.states.length - 1;
  }

  insertSubexprBegin(): number {
    const id = this.subexprCount++;
    this.parenStack.push(id);
    return this.insert(Op.SubexprBegin, { subexpr: id });
  }

  insertSubexprEnd(): number {
    return this.insert(Op.SubexprEnd, { subexpr: this.parenStack.pop()! });
  }

  hasAlt(s: State): boolean {
    return s.op === Op.Alternative || s.op === Op.Repeat;
  }

  /** Short-circuit every link that points at a Dummy state. */
  eliminateDummies(): void {
    for (const s of this.states) {
      while (s.next >= 0 && this.states[s.next]!.op === Op.Dummy) s.next = this.states[s.next]!.next;
      if (this.hasAlt(s)) {
        while (s.alt >= 0 && this.states[s.alt]!.op === Op.Dummy) s.alt = this.states[s.alt]!.next;
      }
    }
  }
}

/** A fragment of the automaton with one entry and one exit state. */
class Seq {
  constructor(
    private readonly nfa: Nfa,
    public start: number,
    public end: number = start,
  ) {}

  append(id: number): void {
    this.nfa.states[this.end]!.next = id;
    this.end = id;
  }

  appendSeq(s: Seq): void {
    this.nfa.states[this.end]!.next = s.start;
    this.end = s.end;
  }

  /** Copy every state reachable from start (not following end's next). */
  clone(): Seq {
    const nfa = this.nfa;
    const map = new Map<number, number>();
    const stack = [this.start];
    while (stack.length > 0) {
      const u = stack.pop()!;
      const dup = { ...nfa.states[u]! };
      nfa.states.push(dup);
      if (nfa.states.length > STATE_LIMIT) throw new SpaceFailure("state limit");
      map.set(u, nfa.states.length - 1);
      if (nfa.hasAlt(dup) && dup.alt !== NO_STATE && !map.has(dup.alt)) stack.push(dup.alt);
      if (u === this.end) continue;
      if (dup.next !== NO_STATE && !map.has(dup.next)) stack.push(dup.next);
    }
    for (const v of map.values()) {
      const s = nfa.states[v]!;
      if (s.next !== NO_STATE) s.next = map.get(s.next)!;
      if (nfa.hasAlt(s) && s.alt !== NO_STATE) s.alt = map.get(s.alt)!;
    }
    return new Seq(nfa, map.get(this.start)!, map.get(this.end)!);
  }
}

// ------------------------------------------------------------------ scanner

const enum Tok {
  Eof,
  OrdChar,
  AnyChar,
  SubexprBegin,
  SubexprEnd,
  BracketBegin,
  BracketNegBegin,
  BracketEnd,
  BracketDash,
  IntervalBegin,
  IntervalEnd,
  DupCount,
  Comma,
  LineBegin,
  LineEnd,
  Closure0,
  Closure1,
  Opt,
  Or,
  CollSymbol,
  EquivClassName,
  CharClassName,
}

/** Characters special outside brackets in POSIX ERE (libstdc++'s list). */
const SPECIAL = new Set([..."." + "[\\()*+?{|^$"].map((c) => c.charCodeAt(0)));
const ch = (c: string): number => c.charCodeAt(0);
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

const enum ScanState {
  Normal,
  InBracket,
  InBrace,
}

class Scanner {
  private pos = 0;
  private state = ScanState.Normal;
  private atBracketStart = false;
  token = Tok.Eof;
  value: number[] = [];

  constructor(private readonly re: Uint8Array) {
    this.advance();
  }

  advance(): void {
    if (this.pos === this.re.length) {
      this.token = Tok.Eof;
      return;
    }
    if (this.state === ScanState.Normal) this.scanNormal();
    else if (this.state === ScanState.InBracket) this.scanInBracket();
    else this.scanInBrace();
  }

  private scanNormal(): void {
    const c = this.re[this.pos++]!;
    if (!SPECIAL.has(c) && c !== 0) {
      this.token = Tok.OrdChar;
      this.value = [c];
      return;
    }
    if (c === ch("\\")) {
      if (this.pos === this.re.length) throw new SyntaxFailure("escape at end");
      const e = this.re[this.pos]!;
      // Only the special characters may be escaped (Nix is built with
      // __STRICT_ANSI__, so `\d`, `\]`, `\n` … are errors).
      if (!SPECIAL.has(e)) throw new SyntaxFailure("bad escape");
      this.pos++;
      this.token = Tok.OrdChar;
      this.value = [e];
      return;
    }
    switch (c) {
      case ch("("):
        this.token = Tok.SubexprBegin;
        return;
      case ch(")"):
        this.token = Tok.SubexprEnd;
        return;
      case ch("["):
        this.state = ScanState.InBracket;
        this.atBracketStart = true;
        if (this.pos < this.re.length && this.re[this.pos] === ch("^")) {
          this.token = Tok.BracketNegBegin;
          this.pos++;
        } else this.token = Tok.BracketBegin;
        return;
      case ch("{"):
        this.state = ScanState.InBrace;
        this.token = Tok.IntervalBegin;
        return;
      case 0:
        throw new SyntaxFailure("NUL in pattern");
      case ch("^"):
        this.token = Tok.LineBegin;
        return;
      case ch("$"):
        this.token = Tok.LineEnd;
        return;
      case ch("."):
        this.token = Tok.AnyChar;
        return;
      case ch("*"):
        this.token = Tok.Closure0;
        return;
      case ch("+"):
        this.token = Tok.Closure1;
        return;
      case ch("?"):
        this.token = Tok.Opt;
        return;
      case ch("|"):
        this.token = Tok.Or;
        return;
    }
    throw new SyntaxFailure("unexpected special character");
  }

  private scanInBracket(): void {
    if (this.pos === this.re.length) throw new SyntaxFailure("unterminated bracket");
    const c = this.re[this.pos++]!;
    if (c === ch("-")) this.token = Tok.BracketDash;
    else if (c === ch("[")) {
      if (this.pos === this.re.length) throw new SyntaxFailure("incomplete [[");
      const k = this.re[this.pos]!;
      if (k === ch(".") || k === ch(":") || k === ch("=")) {
        this.token = k === ch(".") ? Tok.CollSymbol : k === ch(":") ? Tok.CharClassName : Tok.EquivClassName;
        this.pos++;
        this.eatClass(k);
      } else {
        this.token = Tok.OrdChar;
        this.value = [c];
      }
    } else if (c === ch("]") && !this.atBracketStart) {
      // A ']' right after '[' or '[^' is literal.
      this.token = Tok.BracketEnd;
      this.state = ScanState.Normal;
    } else {
      // No escapes inside POSIX brackets: '\' is an ordinary character.
      this.token = Tok.OrdChar;
      this.value = [c];
    }
    this.atBracketStart = false;
  }

  private eatClass(delim: number): void {
    this.value = [];
    while (this.pos < this.re.length && this.re[this.pos] !== delim) this.value.push(this.re[this.pos++]!);
    if (this.pos === this.re.length || this.re[this.pos++] !== delim) throw new SyntaxFailure("bad class");
    if (this.pos === this.re.length || this.re[this.pos++] !== ch("]")) throw new SyntaxFailure("bad class");
  }

  private scanInBrace(): void {
    if (this.pos === this.re.length) throw new SyntaxFailure("unterminated brace");
    const c = this.re[this.pos++]!;
    if (isDigit(c)) {
      this.token = Tok.DupCount;
      this.value = [c];
      while (this.pos < this.re.length && isDigit(this.re[this.pos]!)) this.value.push(this.re[this.pos++]!);
    } else if (c === ch(",")) this.token = Tok.Comma;
    else if (c === ch("}")) {
      this.state = ScanState.Normal;
      this.token = Tok.IntervalEnd;
    } else throw new SyntaxFailure("bad brace");
  }
}

// ---------------------------------------------------------- character sets

/** "C"-locale ctype classes, by the names std::regex_traits accepts. */
const CLASS_TESTS: Record<string, (b: number) => boolean> = (() => {
  const digit = (b: number) => b >= 0x30 && b <= 0x39;
  const upper = (b: number) => b >= 0x41 && b <= 0x5a;
  const lower = (b: number) => b >= 0x61 && b <= 0x7a;
  const alpha = (b: number) => upper(b) || lower(b);
  const alnum = (b: number) => alpha(b) || digit(b);
  const space = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  const graph = (b: number) => b >= 0x21 && b <= 0x7e;
  return {
    d: digit,
    w: (b) => alnum(b) || b === 0x5f,
    s: space,
    alnum,
    alpha,
    blank: (b) => b === 0x20 || b === 0x09,
    cntrl: (b) => b < 0x20 || b === 0x7f,
    digit,
    graph,
    lower,
    print: (b) => b >= 0x20 && b <= 0x7e,
    punct: (b) => graph(b) && !alnum(b),
    space,
    upper,
    xdigit: (b) => digit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66),
  };
})();

/** Names usable in `[[.x.]]` / `[[=x=]]`, indexed by the ASCII code they denote. */
const COLLATE_NAMES: readonly string[] = [
  "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "alert", "backspace", "tab", "newline",
  "vertical-tab", "form-feed", "carriage-return", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4",
  "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "IS4", "IS3", "IS2", "IS1", "space",
  "exclamation-mark", "quotation-mark", "number-sign", "dollar-sign", "percent-sign", "ampersand",
  "apostrophe", "left-parenthesis", "right-parenthesis", "asterisk", "plus-sign", "comma", "hyphen",
  "period", "slash", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
  "colon", "semicolon", "less-than-sign", "equals-sign", "greater-than-sign", "question-mark",
  "commercial-at", ..."ABCDEFGHIJKLMNOPQRSTUVWXYZ", "left-square-bracket", "backslash",
  "right-square-bracket", "circumflex", "underscore", "grave-accent", ..."abcdefghijklmnopqrstuvwxyz",
  "left-curly-bracket", "vertical-line", "right-curly-bracket", "tilde", "DEL",
];

const asciiName = (bytes: readonly number[]): string => String.fromCharCode(...bytes);
/** std::regex compares `char`, which is signed on the platforms Nix targets. */
const signed = (b: number): number => (b < 128 ? b : b - 256);
const toLowerC = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 32 : b);

function lookupCollate(name: readonly number[]): number {
  const i = COLLATE_NAMES.indexOf(asciiName(name));
  if (i < 0) throw new SyntaxFailure("bad collating element");
  return i;
}

class BracketBuilder {
  private readonly chars = new Set<number>();
  private readonly ranges: Array<[number, number]> = [];
  private readonly classes: Array<(b: number) => boolean> = [];
  private readonly equivs: number[] = [];

  addChar(b: number): void {
    this.chars.add(b);
  }
  addRange(lo: number, hi: number): void {
    if (signed(lo) > signed(hi)) throw new SyntaxFailure("bad range");
    this.ranges.push([signed(lo), signed(hi)]);
  }
  addClass(name: readonly number[]): void {
    const test = CLASS_TESTS[asciiName(name.map(toLowerC))];
    if (test === undefined) throw new SyntaxFailure("bad class name");
    this.classes.push(test);
  }
  addEquiv(name: readonly number[]): void {
    this.equivs.push(toLowerC(lookupCollate(name)));
  }

  table(negate: boolean): Uint8Array {
    const t = new Uint8Array(256);
    for (let b = 0; b < 256; b++) {
      const s = signed(b);
      const hit =
        this.chars.has(b) ||
        this.ranges.some(([lo, hi]) => lo <= s && s <= hi) ||
        this.classes.some((test) => test(b)) ||
        this.equivs.includes(toLowerC(b));
      t[b] = hit !== negate ? 1 : 0;
    }
    return t;
  }
}

// ----------------------------------------------------------------- compiler

class Compiler {
  private readonly scanner: Scanner;
  private value: number[] = [];
  private readonly stack: Seq[] = [];
  readonly nfa = new Nfa();
  readonly start: number;

  constructor(re: Uint8Array) {
    this.scanner = new Scanner(re);
    const nfa = this.nfa;
    const r = new Seq(nfa, nfa.insertSubexprBegin());
    this.disjunction();
    if (!this.matchToken(Tok.Eof)) throw new SyntaxFailure("unbalanced parenthesis");
    r.appendSeq(this.pop());
    r.append(nfa.insertSubexprEnd());
    r.append(nfa.insert(Op.Accept));
    nfa.eliminateDummies();
    this.start = r.start;
  }

  private pop(): Seq {
    return this.stack.pop()!;
  }

  private matchToken(t: Tok): boolean {
    if (this.scanner.token !== t) return false;
    this.value = this.scanner.value;
    this.scanner.advance();
    return true;
  }

  private disjunction(): void {
    this.alternative();
    while (this.matchToken(Tok.Or)) {
      const alt1 = this.pop();
      this.alternative();
      const alt2 = this.pop();
      const end = this.nfa.insert(Op.Dummy);
      alt1.append(end);
      alt2.append(end);
      // alt (tried first) is the left alternative.
      this.stack.push(new Seq(this.nfa, this.nfa.insert(Op.Alternative, { next: alt2.start, alt: alt1.start }), end));
    }
  }

  /** A concatenation of terms, closed by a dummy state (libstdc++ recurses; we loop). */
  private alternative(): void {
    const terms: Seq[] = [];
    while (this.term()) terms.push(this.pop());
    const tail = new Seq(this.nfa, this.nfa.insert(Op.Dummy));
    if (terms.length === 0) {
      this.stack.push(tail);
      return;
    }
    // Right-fold exactly as the recursive version links them.
    let rest = tail;
    for (let i = terms.length - 1; i >= 0; i--) {
      const t = terms[i]!;
      t.appendSeq(rest);
      rest = t;
    }
    this.stack.push(rest);
  }

  private term(): boolean {
    if (this.assertion()) return true;
    if (this.atom()) {
      while (this.quantifier());
      return true;
    }
    return false;
  }

  private assertion(): boolean {
    if (this.matchToken(Tok.LineBegin)) this.stack.push(new Seq(this.nfa, this.nfa.insert(Op.LineBegin)));
    else if (this.matchToken(Tok.LineEnd)) this.stack.push(new Seq(this.nfa, this.nfa.insert(Op.LineEnd)));
    else return false;
    return true;
  }

  private repeat(next: number, alt: number): number {
    return this.nfa.insert(Op.Repeat, { next, alt });
  }

  private quantifier(): boolean {
    const nfa = this.nfa;
    if (this.matchToken(Tok.Closure0)) {
      const e = this.pop();
      const r = new Seq(nfa, this.repeat(NO_STATE, e.start));
      e.appendSeq(r);
      this.stack.push(r);
    } else if (this.matchToken(Tok.Closure1)) {
      const e = this.pop();
      e.append(this.repeat(NO_STATE, e.start));
      this.stack.push(e);
    } else if (this.matchToken(Tok.Opt)) {
      const e = this.pop();
      const end = nfa.insert(Op.Dummy);
      const r = new Seq(nfa, this.repeat(NO_STATE, e.start));
      e.append(end);
      r.append(end);
      this.stack.push(r);
    } else if (this.matchToken(Tok.IntervalBegin)) {
      if (!this.matchToken(Tok.DupCount)) throw new SyntaxFailure("bad brace");
      const r = this.pop();
      const e = new Seq(nfa, nfa.insert(Op.Dummy));
      const min = this.intValue();
      let infinite = false;
      let extra = 0;
      if (this.matchToken(Tok.Comma)) {
        if (this.matchToken(Tok.DupCount)) extra = this.intValue() - min;
        else infinite = true;
      }
      if (!this.matchToken(Tok.IntervalEnd)) throw new SyntaxFailure("bad brace");
      for (let i = 0; i < min; i++) e.appendSeq(r.clone());
      if (infinite) {
        const tmp = r.clone();
        const s = new Seq(nfa, this.repeat(NO_STATE, tmp.start));
        tmp.appendSeq(s);
        e.appendSeq(s);
      } else {
        if (extra < 0) throw new SyntaxFailure("bad brace");
        const end = nfa.insert(Op.Dummy);
        const repeats: number[] = [];
        for (let i = 0; i < extra; i++) {
          const tmp = r.clone();
          const alt = this.repeat(tmp.start, end);
          repeats.push(alt);
          e.appendSeq(new Seq(nfa, alt, tmp.end));
        }
        e.append(end);
        // Built with "skip" as alt; swap so alt is "match once more".
        for (const id of repeats) {
          const s = nfa.states[id]!;
          [s.next, s.alt] = [s.alt, s.next];
        }
      }
      this.stack.push(e);
    } else return false;
    return true;
  }

  /** libstdc++ accumulates in a long and returns an int. */
  private intValue(): number {
    let v = 0n;
    for (const d of this.value) v = v * 10n + BigInt(d - 0x30);
    return Number(BigInt.asIntN(32, v));
  }

  private atom(): boolean {
    const nfa = this.nfa;
    if (this.matchToken(Tok.AnyChar)) {
      const t = new Uint8Array(256).fill(1);
      t[0] = 0;
      this.stack.push(new Seq(nfa, nfa.insert(Op.Match, { table: t })));
    } else if (this.matchToken(Tok.OrdChar)) {
      const t = new Uint8Array(256);
      t[this.value[0]!] = 1;
      this.stack.push(new Seq(nfa, nfa.insert(Op.Match, { table: t })));
    } else if (this.matchToken(Tok.SubexprBegin)) {
      const r = new Seq(nfa, nfa.insertSubexprBegin());
      this.disjunction();
      if (!this.matchToken(Tok.SubexprEnd)) throw new SyntaxFailure("unbalanced parenthesis");
      r.appendSeq(this.pop());
      r.append(nfa.insertSubexprEnd());
      this.stack.push(r);
    } else return this.bracketExpression();
    return true;
  }

  private bracketExpression(): boolean {
    const negate = this.matchToken(Tok.BracketNegBegin);
    if (!negate && !this.matchToken(Tok.BracketBegin)) return false;
    const m = new BracketBuilder();
    // The pending single character that may start a range (>= 0), or NONE,
    // or AFTER_CLASS when the previous item was a class.
    const NONE = -1;
    const AFTER_CLASS = -2;
    let last = NONE;
    if (this.matchToken(Tok.OrdChar)) last = this.value[0]!;
    else if (this.matchToken(Tok.BracketDash)) last = ch("-");
    const pushChar = (b: number): void => {
      if (last >= 0) m.addChar(last);
      last = b;
    };
    const pushClass = (): void => {
      if (last >= 0) m.addChar(last);
      last = AFTER_CLASS;
    };
    for (;;) {
      if (this.matchToken(Tok.BracketEnd)) break;
      if (this.matchToken(Tok.CollSymbol)) pushChar(lookupCollate(this.value));
      else if (this.matchToken(Tok.EquivClassName)) {
        pushClass();
        m.addEquiv(this.value);
      } else if (this.matchToken(Tok.CharClassName)) {
        pushClass();
        m.addClass(this.value);
      } else if (this.matchToken(Tok.OrdChar)) pushChar(this.value[0]!);
      else if (this.matchToken(Tok.BracketDash)) {
        if (this.matchToken(Tok.BracketEnd)) {
          pushChar(ch("-"));
          break;
        } else if (last === AFTER_CLASS) throw new SyntaxFailure("range starts with a class");
        else if (last >= 0) {
          if (this.matchToken(Tok.OrdChar)) m.addRange(last, this.value[0]!);
          else if (this.matchToken(Tok.BracketDash)) m.addRange(last, ch("-"));
          else throw new SyntaxFailure("bad range end");
          last = NONE;
        } else throw new SyntaxFailure("misplaced '-' in bracket");
      } else throw new SyntaxFailure("unexpected token in bracket");
    }
    if (last >= 0) m.addChar(last);
    this.stack.push(new Seq(this.nfa, this.nfa.insert(Op.Match, { table: m.table(negate) })));
    return true;
  }
}

// ----------------------------------------------------------------- executor

const enum Flag {
  NotNull = 1,
  Continuous = 2,
  PrevAvail = 4,
}

const enum Task {
  Visit,
  RestoreCur,
  RestoreSubFirst,
  RestoreSubEnd,
  RestoreRep,
  DecRep,
  VisitIfNoSolution,
  AlternativeRight,
  AlternativeEnd,
}

/** Byte offsets of each sub-expression (0 = whole match); -1 start = unmatched. */
type Groups = Int32Array;

let sharedTasks = new Float64Array(1024);

class Executor {
  private cur = 0;
  private begin = 0;
  private flags = 0;
  private hasSol = false;
  private solPos = -1;
  private readonly curStart: Int32Array;
  private readonly curEnd: Int32Array;
  private results: Groups | null = null;
  private readonly repPos: Int32Array;
  private readonly repCount: Int32Array;
  /** Explicit DFS stack (shared: matching never re-enters), 4 slots per task: kind, a, b, c. */
  private tasks = sharedTasks;
  private top = 0;

  constructor(
    private readonly states: readonly State[],
    private readonly startState: number,
    private readonly nsub: number,
    /** Bytes a match can begin with, or null when a match may be empty. */
    private readonly firstBytes: Uint8Array | null,
  ) {
    this.curStart = new Int32Array(nsub);
    this.curEnd = new Int32Array(nsub);
    this.repPos = new Int32Array(states.length);
    this.repCount = new Int32Array(states.length);
  }

  private input: Uint8Array = new Uint8Array(0);

  /** Reused for every call on the same compiled pattern (matching never re-enters). */
  withInput(input: Uint8Array): this {
    this.input = input;
    return this;
  }

  /** regex_match: the whole input. */
  matchExact(): Groups | null {
    this.begin = 0;
    this.flags = 0;
    return this.main(true) ? this.results : null;
  }

  /** Whether a match could start at position p (a position no match can start at is skipped: same result). */
  private mayStartAt(p: number): boolean {
    const f = this.firstBytes;
    return f === null || (p < this.input.length && f[this.input[p]!] === 1);
  }

  /** regex_search from `from` with the given flags. */
  search(from: number, flags: number): Groups | null {
    this.begin = from;
    this.flags = flags;
    if (this.mayStartAt(from) && this.main(false)) return this.results;
    if (flags & Flag.Continuous) return null;
    this.flags |= Flag.PrevAvail;
    while (this.begin !== this.input.length) {
      this.begin++;
      if (this.mayStartAt(this.begin) && this.main(false)) return this.results;
    }
    return null;
  }

  private main(exact: boolean): boolean {
    this.cur = this.begin;
    this.hasSol = false;
    this.solPos = -1;
    this.curStart.fill(-1);
    this.curEnd.fill(-1);
    this.repCount.fill(0);
    this.run(exact);
    return this.hasSol;
  }

  private push(kind: Task, a: number, b = 0, c = 0): void {
    if (this.top + 4 > this.tasks.length) {
      const bigger = new Float64Array(this.tasks.length * 2);
      bigger.set(this.tasks);
      this.tasks = sharedTasks = bigger;
    }
    const t = this.tasks;
    t[this.top] = kind;
    t[this.top + 1] = a;
    t[this.top + 2] = b;
    t[this.top + 3] = c;
    this.top += 4;
  }

  private run(exact: boolean): void {
    const { states, input } = this;
    const end = input.length;
    this.push(Task.Visit, this.startState);
    while (this.top > 0) {
      this.top -= 4;
      const tasks = this.tasks;
      const kind = tasks[this.top]! as Task;
      const a = tasks[this.top + 1]!;
      const b = tasks[this.top + 2]!;
      const c = tasks[this.top + 3]!;
      switch (kind) {
        case Task.RestoreCur:
          this.cur = a;
          continue;
        case Task.RestoreSubFirst:
          this.curStart[a] = b;
          continue;
        case Task.RestoreSubEnd:
          this.curEnd[a] = b;
          continue;
        case Task.RestoreRep:
          this.repPos[a] = b;
          this.repCount[a] = c;
          continue;
        case Task.DecRep:
          this.repCount[a]!--;
          continue;
        case Task.VisitIfNoSolution:
          if (!this.hasSol) this.push(Task.Visit, a);
          continue;
        case Task.AlternativeRight:
          // POSIX: try the right side too, remembering whether the left matched.
          this.push(Task.AlternativeEnd, this.hasSol ? 1 : 0);
          this.hasSol = false;
          this.push(Task.Visit, a);
          continue;
        case Task.AlternativeEnd:
          if (a) this.hasSol = true;
          continue;
        case Task.Visit:
          break;
      }
      const s = states[a]!;
      switch (s.op) {
        case Op.Repeat: {
          // Greedy: once more first; the exit only if that found nothing.
          this.push(Task.VisitIfNoSolution, s.next);
          if (this.repCount[a] === 0 || this.repPos[a] !== this.cur) {
            this.push(Task.RestoreRep, a, this.repPos[a], this.repCount[a]);
            this.repPos[a] = this.cur;
            this.repCount[a] = 1;
            this.push(Task.Visit, s.alt);
          } else if (this.repCount[a]! < 2) {
            this.repCount[a]!++;
            this.push(Task.DecRep, a);
            this.push(Task.Visit, s.alt);
          }
          break;
        }
        case Op.SubexprBegin:
          this.push(Task.RestoreSubFirst, s.subexpr, this.curStart[s.subexpr]);
          this.curStart[s.subexpr] = this.cur;
          this.push(Task.Visit, s.next);
          break;
        case Op.SubexprEnd:
          this.push(Task.RestoreSubEnd, s.subexpr, this.curEnd[s.subexpr]);
          this.curEnd[s.subexpr] = this.cur;
          this.push(Task.Visit, s.next);
          break;
        case Op.LineBegin:
          if (this.cur === this.begin && !(this.flags & Flag.PrevAvail)) this.push(Task.Visit, s.next);
          break;
        case Op.LineEnd:
          if (this.cur === end) this.push(Task.Visit, s.next);
          break;
        case Op.Match:
          if (this.cur !== end && s.table![input[this.cur]!]) {
            this.push(Task.RestoreCur, this.cur);
            this.cur++;
            this.push(Task.Visit, s.next);
          }
          break;
        case Op.Alternative:
          this.push(Task.AlternativeRight, s.next);
          this.push(Task.Visit, s.alt);
          break;
        case Op.Accept:
          this.accept(exact);
          break;
        case Op.Dummy:
          this.push(Task.Visit, s.next);
          break;
      }
    }
  }

  private accept(exact: boolean): void {
    this.hasSol = exact ? this.cur === this.input.length : true;
    if (this.cur === this.begin && this.flags & Flag.NotNull) this.hasSol = false;
    if (!this.hasSol) return;
    // POSIX: keep the longest match seen so far (first found wins ties).
    if (this.solPos === -1 || this.solPos - this.begin < this.cur - this.begin) {
      this.solPos = this.cur;
      const g = new Int32Array(this.nsub * 2);
      for (let i = 0; i < this.nsub; i++) {
        const matched = this.curEnd[i]! >= 0;
        g[2 * i] = matched ? this.curStart[i]! : -1;
        g[2 * i + 1] = matched ? this.curEnd[i]! : -1;
      }
      this.results = g;
    }
  }
}

// --------------------------------------------------------------- public API

const encoder = new TextEncoder();
const decoder = new TextDecoder();
type Decode = (b: Uint8Array) => string;
const utf8: Decode = (b) => decoder.decode(b);
const latin1: Decode = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/** One match found by `splitAll`. */
export interface RegexMatch {
  /** Offset in the input string (UTF-16 units) where the match starts. */
  readonly index: number;
  /** The non-matching text between the previous match (or the start) and this one. */
  readonly before: string;
  readonly match: string;
  /** Sub-expressions 1..n: the matched text, or null when the group did not take part. */
  readonly groups: (string | null)[];
}

export interface CompiledRegex {
  /** Number of parenthesised sub-expressions. */
  readonly groupCount: number;
  /** `builtins.match`: null if the whole string does not match, else the groups. */
  matchWhole(s: string): (string | null)[] | null;
  /** Every match std::cregex_iterator yields, in order. */
  splitAll(s: string): RegexMatch[];
  /** `builtins.split`'s result: strings interleaved with the group lists of the matches. */
  split(s: string): Array<string | (string | null)[]>;
  /**
   * The same on byte strings (one char per byte, as Buffer's "latin1"), results likewise:
   * exact even when a match boundary falls inside a UTF-8 sequence or the input is not UTF-8.
   */
  matchWholeBytes(s: string): (string | null)[] | null;
  splitBytes(s: string): Array<string | (string | null)[]>;
}

/**
 * The bytes that can be consumed first on any path from `start`, or null if
 * Accept is reachable without consuming a byte (then every position must be tried).
 */
function firstBytesOf(states: readonly State[], start: number): Uint8Array | null {
  const first = new Uint8Array(256);
  const seen = new Set<number>();
  const todo = [start];
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (i < 0 || seen.has(i)) continue;
    seen.add(i);
    const s = states[i]!;
    if (s.op === Op.Accept) return null;
    if (s.op === Op.Match) {
      for (let b = 0; b < 256; b++) if (s.table![b]) first[b] = 1;
      continue;
    }
    todo.push(s.next);
    if (s.op === Op.Alternative || s.op === Op.Repeat) todo.push(s.alt);
  }
  return first;
}

class PosixRegex implements CompiledRegex {
  readonly groupCount: number;
  private readonly executor: Executor;

  constructor(
    private readonly states: readonly State[],
    private readonly start: number,
    private readonly nsub: number,
  ) {
    this.groupCount = nsub - 1;
    this.executor = new Executor(states, start, nsub, firstBytesOf(states, start));
  }

  private groupsOf(bytes: Uint8Array, g: Groups, decode: Decode = utf8): (string | null)[] {
    const out: (string | null)[] = [];
    for (let i = 1; i < this.nsub; i++) {
      out.push(g[2 * i]! < 0 ? null : decode(bytes.subarray(g[2 * i]!, g[2 * i + 1]!)));
    }
    return out;
  }

  private matchIn(bytes: Uint8Array, decode: Decode): (string | null)[] | null {
    const g = this.executor.withInput(bytes).matchExact();
    return g === null ? null : this.groupsOf(bytes, g, decode);
  }

  matchWhole(s: string): (string | null)[] | null {
    return this.matchIn(encoder.encode(s), utf8);
  }

  matchWholeBytes(s: string): (string | null)[] | null {
    return this.matchIn(Buffer.from(s, "latin1"), latin1);
  }

  /** Byte offsets of every match std::cregex_iterator yields, in order. */
  private scan(bytes: Uint8Array): Groups[] {
    const exec = this.executor.withInput(bytes);
    const out: Groups[] = [];
    // std::regex_iterator: after an empty match, first retry at the same
    // place demanding a non-empty match, then search on from the next byte.
    let flags = 0;
    let g = exec.search(0, flags);
    while (g !== null) {
      out.push(g);
      let start = g[1]!;
      if (g[0] === g[1]) {
        if (start === bytes.length) break;
        const again = exec.search(start, flags | Flag.NotNull | Flag.Continuous);
        if (again !== null) {
          g = again;
          continue;
        }
        start++;
      }
      flags |= Flag.PrevAvail;
      g = exec.search(start, flags);
    }
    return out;
  }

  splitAll(s: string): RegexMatch[] {
    const bytes = encoder.encode(s);
    const out: RegexMatch[] = [];
    let index = 0;
    let prevEnd = 0;
    for (const g of this.scan(bytes)) {
      const before = decoder.decode(bytes.subarray(prevEnd, g[0]!));
      index += before.length;
      const match = decoder.decode(bytes.subarray(g[0]!, g[1]!));
      out.push({ index, before, match, groups: this.groupsOf(bytes, g) });
      index += match.length;
      prevEnd = g[1]!;
    }
    return out;
  }

  private splitIn(s: string, bytes: Uint8Array, decode: Decode): Array<string | (string | null)[]> {
    const matches = this.scan(bytes);
    if (matches.length === 0) return [s];
    const out: Array<string | (string | null)[]> = [];
    let prevEnd = 0;
    for (const g of matches) {
      out.push(decode(bytes.subarray(prevEnd, g[0]!)), this.groupsOf(bytes, g, decode));
      prevEnd = g[1]!;
    }
    out.push(decode(bytes.subarray(prevEnd)));
    return out;
  }

  split(s: string): Array<string | (string | null)[]> {
    return this.splitIn(s, encoder.encode(s), utf8);
  }

  splitBytes(s: string): Array<string | (string | null)[]> {
    return this.splitIn(s, Buffer.from(s, "latin1"), latin1);
  }
}

const cache = new Map<string, CompiledRegex>();

/**
 * Compile a POSIX ERE as Nix does (cached, like Nix's regex cache).
 * Throws InvalidRegexError with Nix's message for patterns std::regex rejects.
 */
export function compileRegex(pattern: string): CompiledRegex {
  return compileFrom(pattern, encoder.encode(pattern), pattern);
}

/** compileRegex for a pattern given as a byte string (one char per byte). */
export function compileRegexFromBytes(pattern: string): CompiledRegex {
  return compileFrom("\0bytes:" + pattern, Buffer.from(pattern, "latin1"), Buffer.from(pattern, "latin1").toString("utf8"));
}

function compileFrom(key: string, bytes: Uint8Array, shown: string): CompiledRegex {
  const pattern = shown;
  let re = cache.get(key);
  if (re === undefined) {
    let compiler: Compiler;
    try {
      compiler = new Compiler(bytes);
    } catch (e) {
      if (e instanceof SpaceFailure) throw new InvalidRegexError(pattern, "space", e.message);
      if (e instanceof SyntaxFailure) throw new InvalidRegexError(pattern, "syntax", e.message);
      throw e;
    }
    re = new PosixRegex(compiler.nfa.states, compiler.start, compiler.nfa.subexprCount);
    cache.set(key, re);
  }
  return re;
}
