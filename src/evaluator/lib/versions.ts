/**
 * Nix's version-string rules (libstore/names.cc): `builtins.splitVersion`,
 * `builtins.compareVersions` and `builtins.parseDrvName`.
 */

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isSeparator = (c: string): boolean => c === "." || c === "-";
/** isalpha in the C locale: bytes >= 0x80 (any non-ASCII character) are not letters. */
const isAsciiAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/** The next component at `pos`: a run of digits, or a run of non-digit non-separators. */
function nextComponent(s: string, pos: number): { component: string; end: number } {
  let p = pos;
  while (p < s.length && isSeparator(s[p]!)) p++;
  const start = p;
  if (p < s.length && isDigit(s[p]!)) while (p < s.length && isDigit(s[p]!)) p++;
  else while (p < s.length && !isDigit(s[p]!) && !isSeparator(s[p]!)) p++;
  return { component: s.slice(start, p), end: p };
}

export function splitVersion(v: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < v.length) {
    const { component, end } = nextComponent(v, pos);
    if (component === "") break;
    out.push(component);
    pos = end;
  }
  return out;
}

const INT_MAX = 2 ** 31 - 1;

/** A numeric component as Nix's string2Int<int> reads it: all digits and fitting a C int. */
function asInt(c: string): number | null {
  if (c === "" || !/^[0-9]+$/.test(c)) return null;
  const n = Number(c);
  return n <= INT_MAX ? n : null;
}

/** std::string comparison: by UTF-8 bytes, not UTF-16 units. */
function bytesLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")) < 0;
}

function componentLess(c1: string, c2: string): boolean {
  const n1 = asInt(c1);
  const n2 = asInt(c2);
  if (n1 !== null && n2 !== null) return n1 < n2;
  if (c1 === "" && n2 !== null) return true;
  if (c1 === "pre" && c2 !== "pre") return true;
  if (c2 === "pre") return false;
  // "2.3a" < "2.3.1": a number beats a word.
  if (n2 !== null) return true;
  if (n1 !== null) return false;
  return bytesLess(c1, c2);
}

/** -1, 0 or 1, as `builtins.compareVersions`. */
export function compareVersions(v1: string, v2: string): -1 | 0 | 1 {
  let p1 = 0;
  let p2 = 0;
  while (p1 < v1.length || p2 < v2.length) {
    const a = nextComponent(v1, p1);
    const b = nextComponent(v2, p2);
    p1 = a.end;
    p2 = b.end;
    if (componentLess(a.component, b.component)) return -1;
    if (componentLess(b.component, a.component)) return 1;
  }
  return 0;
}

/** `builtins.parseDrvName`: the name ends at the first '-' not followed by a letter. */
export function parseDrvName(s: string): { name: string; version: string } {
  for (let i = 0; i + 1 < s.length; i++) {
    if (s[i] === "-" && !isAsciiAlpha(s[i + 1]!)) return { name: s.slice(0, i), version: s.slice(i + 1) };
  }
  return { name: s, version: "" };
}
