/**
 * The three ways Nix turns a float into text, byte-for-byte:
 *
 * - `formatFloatForPrint`: `nix-instantiate --eval`, `nix eval`, traces and
 *   error messages write the double to a C++ ostream with default flags,
 *   i.e. printf "%g" with precision 6 ("1", "0.1", "1e+06", "3.14159").
 * - `formatFloatToString`: `toString 1.5`, `"${...}"` coercion use
 *   std::to_string, i.e. printf "%f" ("1.500000").
 * - `formatFloatForJson`: `builtins.toJSON` in current Nix serialises with
 *   nlohmann::json: shortest round-trip digits, fixed notation for decimal
 *   exponents in (-4, 15], a forced ".0" on integral values, "null" for
 *   inf/nan. (Nix ≤ 2.8 wrote "%g" here, like printing; our target is current Nix.)
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

/** `builtins.toJSON` of a float (current Nix, nlohmann::json). */
export function formatFloatForJson(x: number): string {
  if (!Number.isFinite(x)) return "null";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // Shortest round-trip digits and decimal exponent: v = digits * 10^(n - k).
  const [mant, expText] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const k = digits.length;
  const n = Number(expText) + 1;
  let body: string;
  if (k <= n && n <= 15) body = digits + "0".repeat(n - k) + ".0";
  else if (0 < n && n <= 15) body = digits.slice(0, n) + "." + digits.slice(n);
  else if (-4 < n && n <= 0) body = "0." + "0".repeat(-n) + digits;
  else body = (k === 1 ? digits : digits[0] + "." + digits.slice(1)) + "e" + exponentText(n - 1);
  return (x < 0 ? "-" : "") + body;
}
