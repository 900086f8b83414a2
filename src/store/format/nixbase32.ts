/**
 * Nix's base-32 encoding ("nix32"): a 32-letter alphabet without e, o, u, t,
 * and a bit order that starts from the *last* character, so it is not
 * RFC 4648 base32. Used for store path hash parts and `nix hash --base32`.
 */

export const NIX32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

/** Digit value per ASCII code, -1 when the character is not in the alphabet. */
export const NIX32_DIGIT: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < NIX32_ALPHABET.length; i++) table[NIX32_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Length of the nix32 text for `byteLength` bytes. */
export function nix32EncodedLength(byteLength: number): number {
  return byteLength === 0 ? 0 : Math.floor((byteLength * 8 - 1) / 5) + 1;
}

/** Byte length encoded by a nix32 string of `textLength` characters. */
export function nix32DecodedLength(textLength: number): number {
  return Math.floor((textLength * 5) / 8);
}

export function nix32Encode(bytes: Uint8Array): string {
  const len = nix32EncodedLength(bytes.length);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0);
    out += NIX32_ALPHABET[c & 0x1f];
  }
  return out;
}

/**
 * Decode nix32 text into `byteLength` bytes (default: the natural length).
 * Returns undefined for a character outside the alphabet or for set bits
 * that do not fit, exactly where Nix's parser throws "invalid base-32 hash".
 */
export function nix32DecodeOrUndefined(text: string, byteLength = nix32DecodedLength(text.length)): Buffer | undefined {
  const out = Buffer.alloc(byteLength);
  const len = text.length;
  for (let n = 0; n < len; n++) {
    const code = text.charCodeAt(len - n - 1);
    const digit = code < 256 ? NIX32_DIGIT[code]! : -1;
    if (digit < 0) return undefined;
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    if (i >= byteLength) {
      if (digit !== 0) return undefined;
      continue;
    }
    out[i]! |= (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (i + 1 < byteLength) out[i + 1]! |= carry;
    else if (carry !== 0) return undefined;
  }
  return out;
}

/** Like {@link nix32DecodeOrUndefined} but throws a RangeError on invalid input. */
export function nix32Decode(text: string, byteLength?: number): Buffer {
  const out = nix32DecodeOrUndefined(text, byteLength);
  if (!out) throw new RangeError(`invalid nix32 string '${text}'`);
  return out;
}

/** Whether every character of `text` is in the nix32 alphabet. */
export function isNix32(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const code = text.charCodeAt(k);
    if (code >= 256 || NIX32_DIGIT[code]! < 0) return false;
  }
  return true;
}
