/**
 * The three ways Nix turns a float into text, byte-for-byte:
 *
 * - `formatFloatForPrint`: `nix-instantiate --eval`, `nix eval`, traces and
 *   error messages write the double to a C++ ostream with default flags,
 *   i.e. printf "%g" with precision 6 ("1", "0.1", "1e+06", "3.14159").
 * - `formatFloatToString`: `toString 1.5`, `"${...}"` coercion use
 *   std::to_string, i.e. printf "%f" ("1.500000").
 * - `formatFloatForJson`: `builtins.toJSON` in current Nix serialises with
 *   nlohmann::json: Grisu2 digits (round-trip, usually but not always the
 *   shortest: 654.41019 comes out as 654.4101899999999), fixed notation for
 *   decimal exponents in (-4, 15], a forced ".0" on integral values, "null"
 *   for inf/nan. (Nix ≤ 2.8 wrote "%g" here, like printing; our target is current Nix.)
 *
 * printf rounds the exact binary value, ties to even; JS's toFixed/toPrecision
 * round ties away from zero, so the printf forms are computed exactly with BigInt.
 */

/** x = mantissa * 2^exponent exactly, for finite x (sign dropped). */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) mantissa |= 1n << 52n;
  return { mantissa, exponent: (biased === 0 ? 1 : biased) - 1075 };
}

/** round(|x| * 10^shift) with ties to even, computed exactly. */
function scaledRound(x: number, shift: number): bigint {
  const { mantissa, exponent } = decompose(x);
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  const q = num / den;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/** The sign bit, which glibc prints even for NaN ("-nan", as x86 makes inf - inf). */
function signBit(x: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return (view.getUint8(0) & 0x80) !== 0;
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return signBit(x) ? "-nan" : "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return null;
}

const sign = (x: number): string => (signBit(x) ? "-" : "");

/** printf("%.{precision}f", x). */
export function formatFixed(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const digits = scaledRound(x, precision).toString().padStart(precision + 1, "0");
  const int = digits.slice(0, digits.length - precision);
  const frac = digits.slice(digits.length - precision);
  return sign(x) + int + (precision > 0 ? "." + frac : "");
}

const exponentText = (e: number): string => (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");

/** printf("%.{precision}g", x) (no '#' flag: trailing zeros removed). */
export function formatGeneral(x: number, precision = 6): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return sign(x) + "0";
  // Find the decimal exponent of x rounded to p significant digits.
  let e = Math.floor(Math.log10(Math.abs(x)));
  let q = scaledRound(x, p - 1 - e);
  const low = 10n ** BigInt(p - 1);
  if (q < low) {
    e--;
    q = scaledRound(x, p - 1 - e);
  }
  if (q >= low * 10n) {
    e++;
    q = scaledRound(x, p - 1 - e);
  }
  const strip = (s: string): string => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (e < -4 || e >= p) {
    const d = q.toString();
    return sign(x) + strip(d[0]! + "." + d.slice(1)) + "e" + exponentText(e);
  }
  return strip(formatFixed(x, p - 1 - e));
}

/** How `nix-instantiate --eval` / `nix eval` print a float. */
export function formatFloatForPrint(x: number): string {
  return formatGeneral(x, 6);
}

/** `builtins.toString` of a float and float interpolation: std::to_string. */
export function formatFloatToString(x: number): string {
  return formatFixed(x, 6);
}

// ------------------------------------------------------------------ Grisu2
// nlohmann::json's double-to-text algorithm (Loitsch's Grisu2 with 64-bit
// "do-it-yourself" floats), reproduced step by step so the digits match.

const MASK64 = (1n << 64n) - 1n;
const u64 = (x: bigint): bigint => x & MASK64;

interface DiyFp {
  f: bigint;
  e: number;
}

/** The upper 64 bits of the 128-bit product, rounded (ties up). */
function mulDiy(x: DiyFp, y: DiyFp): DiyFp {
  const M32 = 0xffffffffn;
  const uLo = x.f & M32;
  const uHi = x.f >> 32n;
  const vLo = y.f & M32;
  const vHi = y.f >> 32n;
  const p0 = uLo * vLo;
  const p1 = uLo * vHi;
  const p2 = uHi * vLo;
  const p3 = uHi * vHi;
  let q = (p0 >> 32n) + (p1 & M32) + (p2 & M32);
  q += 1n << 31n;
  return { f: u64(p3 + (p2 >> 32n) + (p1 >> 32n) + (q >> 32n)), e: x.e + y.e + 64 };
}

function normalizeDiy(x: DiyFp): DiyFp {
  let { f, e } = x;
  while (f >> 63n === 0n) {
    f <<= 1n;
    e--;
  }
  return { f, e };
}

/**
 * Cached powers c = f * 2^e ≈ 10^k for k = -300, -292, …, 324, f normalized and rounded to nearest.
 * Computed on the first float printed, not at import: the BigInt work costs 10-30 ms of every start-up.
 */
let powers: ReadonlyArray<{ f: bigint; e: number; k: number }> | undefined;
export function cachedPowers(): ReadonlyArray<{ f: bigint; e: number; k: number }> {
  powers ??= computeCachedPowers();
  return powers;
}

function computeCachedPowers(): ReadonlyArray<{ f: bigint; e: number; k: number }> {
  const out: Array<{ f: bigint; e: number; k: number }> = [];
  const bitLength = (n: bigint): number => n.toString(2).length;
  for (let k = -300; k <= 324; k += 8) {
    const num = k >= 0 ? 10n ** BigInt(k) : 1n;
    const den = k >= 0 ? 1n : 10n ** BigInt(-k);
    // Find e with 2^63 <= 10^k / 2^e < 2^64, then round the quotient to nearest.
    let e = bitLength(num) - bitLength(den) - 64;
    for (;;) {
      const n = e >= 0 ? num : num << BigInt(-e);
      const d = e >= 0 ? den << BigInt(e) : den;
      const q = n / d;
      if (q >= 1n << 64n) e++;
      else if (q < 1n << 63n) e--;
      else {
        out.push({ f: 2n * (n % d) >= d ? q + 1n : q, e, k });
        break;
      }
    }
  }
  return out;
}

function cachedPowerFor(e: number): { f: bigint; e: number; k: number } {
  const alpha = -60;
  const f = alpha - e - 1;
  const k = Math.trunc((f * 78913) / (1 << 18)) + (f > 0 ? 1 : 0);
  const index = Math.trunc((300 + k + 7) / 8);
  return cachedPowers()[index]!;
}

/** Largest power of ten <= n (n < 2^32) and its number of digits. */
function largestPow10(n: bigint): { pow10: bigint; digits: number } {
  let pow10 = 1n;
  let digits = 1;
  while (digits < 10 && n >= pow10 * 10n) {
    pow10 *= 10n;
    digits++;
  }
  return { pow10, digits };
}

/** Decimal digits and exponent of a finite positive double, as nlohmann's grisu2 computes them. */
export function grisu2(value: number): { digits: string; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bitsAll = view.getBigUint64(0);
  const E = Number(bitsAll >> 52n);
  const F = bitsAll & ((1n << 52n) - 1n);
  const hidden = 1n << 52n;
  const v: DiyFp = E === 0 ? { f: F, e: 1 - 1075 } : { f: F + hidden, e: E - 1075 };
  const lowerCloser = F === 0n && E > 1;
  const mPlus = normalizeDiy({ f: 2n * v.f + 1n, e: v.e - 1 });
  const mMinusRaw: DiyFp = lowerCloser ? { f: 4n * v.f - 1n, e: v.e - 2 } : { f: 2n * v.f - 1n, e: v.e - 1 };
  const mMinus: DiyFp = { f: u64(mMinusRaw.f << BigInt(mMinusRaw.e - mPlus.e)), e: mPlus.e };
  const w0 = normalizeDiy(v);

  const cached = cachedPowerFor(mPlus.e);
  const c: DiyFp = { f: cached.f, e: cached.e };
  const w = mulDiy(w0, c);
  const wMinus = mulDiy(mMinus, c);
  const wPlus = mulDiy(mPlus, c);
  const Mminus: DiyFp = { f: wMinus.f + 1n, e: wMinus.e };
  const Mplus: DiyFp = { f: wPlus.f - 1n, e: wPlus.e };
  let exponent = -cached.k;

  // Digit generation.
  let delta = u64(Mplus.f - Mminus.f);
  let dist = u64(Mplus.f - w.f);
  const shift = BigInt(-Mplus.e);
  const one = 1n << shift;
  let p1 = Mplus.f >> shift;
  let p2 = Mplus.f & (one - 1n);
  const buf: number[] = [];
  const round = (distance: bigint, d: bigint, rest: bigint, tenK: bigint): void => {
    while (rest < distance && d - rest >= tenK && (rest + tenK < distance || distance - rest > rest + tenK - distance)) {
      buf[buf.length - 1]!--;
      rest += tenK;
    }
  };
  let { pow10, digits: n } = largestPow10(p1);
  while (n > 0) {
    const d = p1 / pow10;
    p1 %= pow10;
    buf.push(Number(d));
    n--;
    const rest = (p1 << shift) + p2;
    if (rest <= delta) {
      exponent += n;
      round(dist, delta, rest, pow10 << shift);
      return { digits: buf.join(""), exponent };
    }
    pow10 /= 10n;
  }
  let m = 0;
  for (;;) {
    p2 = u64(p2 * 10n);
    const d = p2 >> shift;
    p2 &= one - 1n;
    buf.push(Number(d));
    m++;
    delta = u64(delta * 10n);
    dist = u64(dist * 10n);
    if (p2 <= delta) break;
  }
  exponent -= m;
  round(dist, delta, p2, one);
  return { digits: buf.join(""), exponent };
}

/** `builtins.toJSON` of a float (current Nix, nlohmann::json). */
export function formatFloatForJson(x: number): string {
  if (!Number.isFinite(x)) return "null";
  if (x === 0) return signBit(x) ? "-0.0" : "0.0";
  // v = digits * 10^exponent; k digits, decimal point after n of them.
  const { digits, exponent } = grisu2(Math.abs(x));
  const k = digits.length;
  const n = k + exponent;
  let body: string;
  if (k <= n && n <= 15) body = digits + "0".repeat(n - k) + ".0";
  else if (0 < n && n <= 15) body = digits.slice(0, n) + "." + digits.slice(n);
  else if (-4 < n && n <= 0) body = "0." + "0".repeat(-n) + digits;
  else body = (k === 1 ? digits : digits[0] + "." + digits.slice(1)) + "e" + exponentText(n - 1);
  return (x < 0 ? "-" : "") + body;
}
