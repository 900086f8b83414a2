/**
 * Runtime values of the Nix language.
 *
 * Representation is chosen for speed of the common cases:
 *  - null, booleans, integers and context-free strings are JS primitives;
 *    an integer (64-bit, overflow checked) is a JS number while it is a safe
 *    integer and a bigint only outside ±(2^53-1), so each value has exactly
 *    one representation (=== and < work across both) and small-int arithmetic
 *    allocates nothing;
 *  - strings are "byte strings": every JS char is one byte (0-255), so that
 *    stringLength/substring/regexes/ordering are byte-exact as in Nix. UTF-8
 *    is decoded/encoded only at the edges (source text, files, output);
 *  - lists are plain JS arrays of lazy slots;
 *  - everything else is a small class, so `instanceof` dispatches.
 */
import type { AttrDef, ELambda, Expr, Pos } from "./ast.js";

/** A Nix integer: a safe-integer JS number, or a bigint beyond ±(2^53-1) (never both for one value). */
export type NixInt = number | bigint;

/** The canonical representation of a 64-bit integer (the caller checks the range). */
export function mkInt(b: bigint): NixInt {
  return b >= -0x1fffffffffffffn && b <= 0x1fffffffffffffn ? Number(b) : b;
}

export function isInt(v: unknown): v is NixInt {
  return typeof v === "number" || typeof v === "bigint";
}

export function intToBig(v: NixInt): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

export class NixFloat {
  constructor(readonly value: number) {}
}

/** A string that carries a non-empty string context. Context-free strings are JS strings. */
export class NixString {
  constructor(
    readonly s: string,
    /** Encoded elements: "/nix/store/x" (plain), "!out!/nix/store/x.drv" (output), "=/nix/store/x.drv" (all outputs). */
    readonly ctx: ReadonlySet<string>,
  ) {}
}

export class NixPath {
  constructor(readonly path: string) {}
}

/** The slots beyond the first of an env that has at most one (shared; frozen, so a stray write throws). */
export const NO_SLOTS: Lazy[] = Object.freeze([]) as unknown as Lazy[];

/**
 * A runtime environment: one per scope instance (let, rec, lambda call, with). Slot 0 is a field
 * of its own and the others are in `vals` (slot d at d - 1), so the commonest env, a lambda's
 * one argument, is a single small object with no array.
 */
export class Env {
  constructor(
    readonly up: Env | null,
    /** Slot 0; undefined while unset. */
    public v0: Lazy | undefined,
    /** Slots 1.. (slot d at index d - 1); NO_SLOTS for an env of one slot or none. */
    readonly vals: Lazy[],
    /** For a `with` env: distance to the next enclosing with env, -1 when none; -2 for other envs. */
    readonly prevWith: number = -2,
  ) {}

  /** An env of `n` unset slots. */
  static sized(up: Env | null, n: number): Env {
    return new Env(up, undefined, n > 1 ? envSlots(n - 1) : NO_SLOTS);
  }

  /** An env holding `slots` (slot d = slots[d]). */
  static fromSlots(up: Env | null, slots: readonly Lazy[]): Env {
    const env = Env.sized(up, slots.length);
    for (let d = 0; d < slots.length; d++) env.set(d, slots[d]!);
    return env;
  }

  /** Slot `d`; undefined while unset. */
  get(d: number): Lazy | undefined {
    return d === 0 ? this.v0 : this.vals[d - 1];
  }

  set(d: number, v: Lazy): void {
    if (d === 0) this.v0 = v;
    else this.vals[d - 1] = v;
  }
}

/**
 * A new env's slots 1.., all unset. Every env's array gets the same elements kind (holey, any
 * value) whatever its slots hold, so compiled slot reads see one array map and need not
 * deoptimise when, say, a slot is a small int in one env and a thunk in the next.
 */
export function envSlots(n: number): Lazy[] {
  const a = new Array<Lazy>(n);
  // A non-Smi store makes it HOLEY_ELEMENTS (and, by allocation-site feedback, later arrays).
  if (n > 0) a[0] = undefined as unknown as Lazy;
  return a;
}

export class NixLambda {
  constructor(
    readonly expr: ELambda,
    readonly env: Env,
  ) {}
}

/** Signature of a builtin: receives its arguments unevaluated (it forces what it needs). */
export type PrimOpFn = (args: Lazy[], pos: Pos) => Value;

export class PrimOp {
  /** Which integer builtin this is (IntOp in eval.ts; 0 for none): compiled calls do safe ints inline. */
  intOp = 0;
  /** Errors out of it get a "while calling the 'name' builtin" frame (Nix's PrimOp::addTrace; not addErrorContext's). */
  callFrame = true;
  constructor(
    readonly name: string,
    readonly arity: number,
    readonly fn: PrimOpFn,
    /** Forces all its arguments, first to last, before anything else: callers may pass values instead of thunks. */
    readonly strict: boolean = false,
    /** For a strict binary builtin: the same, given its two arguments' values (no argument array). */
    readonly fn2?: (a: Value, b: Value, pos: Pos) => Value,
  ) {}
}

/** A builtin applied to fewer arguments than its arity. */
export class PrimOpApp {
  constructor(
    readonly op: PrimOp,
    readonly args: Lazy[],
  ) {}
}

export type NixList = Lazy[];

export type Value =
  | null
  | boolean
  | NixInt
  | NixFloat
  | string
  | NixString
  | NixPath
  | NixAttrs
  | NixList
  | NixLambda
  | PrimOp
  | PrimOpApp;

/** Marks a thunk being evaluated (black hole); which one says whether `a` is an expression. */
export const BLACKHOLE_EXPR: object = Object.freeze({ blackhole: "expr" });
export const BLACKHOLE_APP: object = Object.freeze({ blackhole: "app" });

/** In `b` of a forced thunk, whose `a` is then the value. */
export const FORCED: object = Object.freeze({ forced: true });

/**
 * In `b` of a thunk whose value `a` was computed ahead, because that could neither fail nor
 * diverge (safe-int arithmetic on known values, compile.ts speculate): forcing it only flips `b`
 * to FORCED, and until then it is unforced to all that looks (the printer's `<CODE>`), as in Nix.
 */
export const SPECULATED: object = Object.freeze({ speculated: true });

/** In `b` of a thunk whose evaluation failed; `a` is the error, thrown again (a copy) when forced again, as Nix ≥ 2.34 does. */
export const FAILED: object = Object.freeze({ failed: true });

/**
 * A suspended computation; see EvalCore.force. Two fields only (millions of these are live
 * at once in list-heavy code): an expression thunk has `a` = expression, `b` = its Env; an
 * application thunk (`f x`, e.g. genList/map elements) has `a` = function, `b` = argument (never
 * an Env). While forced, `b` is a BLACKHOLE_* marker; once forced, `b` is FORCED and `a` the value
 * (SPECULATED: `a` is the value already, not yet asked for).
 */
export class Thunk {
  constructor(
    public a: Expr | Lazy | null,
    public b: Env | Lazy | object | null,
  ) {}

  /** Result once forced, else undefined. */
  get v(): Value | undefined {
    return this.b === FORCED ? (this.a as Value) : undefined;
  }

  /** Being evaluated right now (forcing it again is infinite recursion). */
  get inProgress(): boolean {
    return this.b === BLACKHOLE_EXPR || this.b === BLACKHOLE_APP;
  }
}

export type Lazy = Value | Thunk;

/** Compare strings by their bytes, as Nix orders attribute names and sorts strings. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where a set's attributes are defined: a literal's definitions, or anything that can say. */
export type PosSource = { get(name: string): AttrDef | Pos | undefined };

const noSources: readonly PosSource[] = [];

/**
 * The names of an attribute-set literal, shared by every set it makes: such a set is just a
 * values array in `names` order (no Map of its own), like a hidden class. Also the names of a
 * set built already sorted (listToAttrs): then looked up by binary search, as Nix does, with no Map.
 */
export class AttrShape {
  private readonly index: Map<string, number> | undefined;
  readonly sorted: readonly string[];
  /** `isSorted`: `names` are distinct and in byte order. */
  constructor(
    readonly names: readonly string[],
    isSorted = false,
  ) {
    if (isSorted) {
      this.index = undefined;
      this.sorted = names;
    } else {
      this.index = new Map(names.map((n, i) => [n, i]));
      // Byte strings: JS code unit order equals byte order.
      this.sorted = [...names].sort();
    }
  }

  /** Position of `name` in `names`, -1 when absent. */
  indexOf(name: string): number {
    const m = this.index;
    if (m !== undefined) {
      const i = m.get(name);
      return i === undefined ? -1 : i;
    }
    const names = this.names;
    let lo = 0;
    let hi = names.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const n = names[mid]!;
      if (n === name) return mid;
      if (n < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/**
 * An attribute set, in one of three forms: a Map (`flat`), a shape plus values array, or a
 * pending `base // overlay`. The whole-set Map is built only when something asks for `map`.
 */
export class NixAttrs {
  private sortedKeys: readonly string[] | undefined;
  private flat: Map<string, Lazy> | undefined;
  // Two fields for the other forms (fewer fields: smaller sets, cheaper GC copies):
  // depth -1: p = shape, q = values; depth > 0: p = base, q = overlay of a pending `base // overlay`.
  private p: AttrShape | NixAttrs | undefined;
  private q: readonly Lazy[] | NixAttrs | undefined;
  private depth: number;

  constructor(
    map: Map<string, Lazy>,
    /** Searched in order for an attribute's definition position (unsafeGetAttrPos, errors). */
    readonly posSources: readonly PosSource[] = noSources,
  ) {
    this.flat = map;
    this.p = undefined;
    this.q = undefined;
    this.depth = 0;
  }

  /** A set with the names of `shape` and `vals[i]` for `shape.names[i]` (the array is kept, not copied). */
  static fromShape(shape: AttrShape, vals: readonly Lazy[], posSources: readonly PosSource[]): NixAttrs {
    const r = new NixAttrs(undefined as unknown as Map<string, Lazy>, posSources);
    r.p = shape;
    r.q = vals;
    r.depth = -1;
    return r;
  }

  /** `base // overlay`, merged lazily; both must be non-empty. */
  static update(base: NixAttrs, overlay: NixAttrs, posSources: readonly PosSource[]): NixAttrs {
    const r = new NixAttrs(undefined as unknown as Map<string, Lazy>, posSources);
    r.p = base;
    r.q = overlay;
    r.depth = Math.max(base.depth, overlay.depth, 0) + 1;
    // Bound lookup chains: merge when layers pile up.
    if (r.depth > 16) r.merge();
    return r;
  }

  private merge(): Map<string, Lazy> {
    if (this.flat !== undefined) return this.flat;
    if (this.depth < 0) {
      // In definition order, as a Map built from the literal would be.
      const m = new Map<string, Lazy>();
      const names = (this.p as AttrShape).names;
      const vals = this.q as readonly Lazy[];
      for (let i = 0; i < names.length; i++) m.set(names[i]!, vals[i]!);
      this.flat = m;
      this.p = undefined;
      this.q = undefined;
      this.depth = 0;
      return m;
    }
    // Walk down the chain of bases to the first merged one: copy it once, then apply the overlays.
    const overlays: NixAttrs[] = [];
    let n: NixAttrs = this;
    while (n.flat === undefined && n.depth > 0) {
      overlays.push(n.q as NixAttrs);
      n = n.p as NixAttrs;
    }
    const m = new Map(n.map);
    for (let i = overlays.length - 1; i >= 0; i--) for (const [k, v] of overlays[i]!.map) m.set(k, v);
    this.flat = m;
    this.p = undefined;
    this.q = undefined;
    this.depth = 0;
    return m;
  }

  /** All attributes (merges a pending `//`). */
  get map(): Map<string, Lazy> {
    return this.flat ?? this.merge();
  }

  get size(): number {
    if (this.flat === undefined && this.depth < 0) return (this.p as AttrShape).names.length;
    return this.map.size;
  }

  isEmpty(): boolean {
    if (this.flat !== undefined) return this.flat.size === 0;
    if (this.depth < 0) return (this.p as AttrShape).names.length === 0;
    return false;
  }

  get(name: string): Lazy | undefined {
    if (this.flat !== undefined) return this.flat.get(name);
    if (this.depth < 0) {
      const i = (this.p as AttrShape).indexOf(name);
      return i < 0 ? undefined : (this.q as readonly Lazy[])[i];
    }
    const v = (this.q as NixAttrs).get(name);
    return v !== undefined ? v : (this.p as NixAttrs).get(name);
  }

  has(name: string): boolean {
    if (this.flat !== undefined) return this.flat.has(name);
    if (this.depth < 0) return (this.p as AttrShape).indexOf(name) >= 0;
    return (this.q as NixAttrs).has(name) || (this.p as NixAttrs).has(name);
  }

  /** Attribute names in Nix's order (sorted by bytes). Shared: callers must not modify it. */
  keys(): readonly string[] {
    if (this.sortedKeys === undefined) {
      // Byte strings: JS code unit order equals byte order.
      this.sortedKeys = this.flat === undefined && this.depth < 0 ? (this.p as AttrShape).sorted : [...this.map.keys()].sort();
    }
    return this.sortedKeys;
  }

  posOf(name: string): Pos | undefined {
    for (const src of this.posSources) {
      const x = src.get(name);
      if (x !== undefined) return "pos" in x ? x.pos : x;
    }
    return undefined;
  }

  static readonly empty: NixAttrs = new NixAttrs(new Map());
}

/** Builds an attribute set from a plain record (builtins return values). */
export function attrsFrom(entries: Iterable<[string, Lazy]>): NixAttrs {
  return new NixAttrs(new Map(entries));
}

const nonAscii = /[^\x00-\x7f]/;

/** JS (UTF-16) text → Nix byte string (UTF-8 bytes as chars). */
export function toBytes(text: string): string {
  return nonAscii.test(text) ? Buffer.from(text, "utf8").toString("latin1") : text;
}

/** Nix byte string → JS text (decoding UTF-8). */
export function fromBytes(bytes: string): string {
  return nonAscii.test(bytes) ? Buffer.from(bytes, "latin1").toString("utf8") : bytes;
}

/** A byte string as a Buffer (for hashing, writing files). */
export function bytesBuffer(bytes: string): Buffer {
  return Buffer.from(bytes, "latin1");
}

/** A string value: plain when the context is empty. */
export function mkString(s: string, ctx: ReadonlySet<string> | null): string | NixString {
  return ctx === null || ctx.size === 0 ? s : new NixString(s, ctx);
}

/** Text of a string value (ignoring context). */
export function strOf(v: string | NixString): string {
  return typeof v === "string" ? v : v.s;
}

/** Nix's pseudo file names, as byte strings like every position's file. */
export const STRING_FILE = toBytes("«string»");
export const STDIN_FILE = toBytes("«stdin»");
export const NONE_FILE = toBytes("«none»");
