/**
 * FNV-1a, 64 bits, over UTF-16 code units, as 16 hex digits: names cache files
 * on paths that must not load node:crypto (the no-op build). Not a security
 * boundary: entries hold their identity verbatim and are compared in full.
 */
export function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}
