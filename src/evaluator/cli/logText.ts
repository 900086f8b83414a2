/**
 * What Nix's logger does to each message before it reaches stderr (filterANSIEscapes): escape
 * sequences that Nix code puts in its messages (nixpkgs' module system colours type names) are
 * removed unless stderr is a colour terminal, where only SGR (`ESC[…m`) ones are kept; tabs become
 * spaces up to the next multiple of 8 columns, counted from the start of the message, not of the
 * line, as Nix counts (a newline takes no column); CR and BEL are dropped. Messages are byte strings (one char per byte).
 */

/** Nix's test for colour: stderr is a terminal, TERM is set and not "dumb", no NO_COLOR/NOCOLOR. */
export function stderrWantsAnsi(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return isTTY === true && (env.TERM ?? "dumb") !== "dumb" && env.NO_COLOR === undefined && env.NOCOLOR === undefined;
}

const ESC = 0x1b;

export function filterAnsiEscapes(s: string, ansi: boolean): string {
  // Fast path: most messages have nothing to filter.
  if (!/[\x1b\t\r\x07]/.test(s)) return s;
  let out = "";
  let width = 0;
  let i = 0;
  const at = (j: number): number => (j < s.length ? s.charCodeAt(j) : -1);
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === ESC) {
      const start = i++;
      let final = 0;
      if (at(i) === 0x5b /* [ */) {
        i++;
        while (at(i) >= 0x30 && at(i) <= 0x3f) i++; // parameter bytes
        while (at(i) >= 0x20 && at(i) <= 0x2f) i++; // intermediate bytes
        if (at(i) >= 0x40 && at(i) <= 0x7e) final = s.charCodeAt(i++);
      } else if (at(i) === 0x5d /* ] */) {
        // OSC, ended by ESC \ or BEL
        i++;
        while (i < s.length && at(i) !== ESC && at(i) !== 0x07) i++;
        if (i < s.length) {
          const end = s.charCodeAt(i++);
          if (end === ESC && at(i) === 0x5c) final = s.charCodeAt(i++);
        }
      } else if (at(i) >= 0x40 && at(i) <= 0x5f) {
        i++;
      }
      if (ansi && final === 0x6d /* m */) out += s.slice(start, i);
    } else if (c === 0x09) {
      do {
        out += " ";
        width++;
      } while (width % 8 !== 0);
      i++;
    } else if (c === 0x0d || c === 0x07) {
      i++;
    } else {
      const n = utf8Length(s, i);
      width += n === 1 && (c < 0x20 || c === 0x7f) ? 0 : 1;
      out += s.slice(i, i + n);
      i += n;
    }
  }
  return out;
}

/**
 * Bytes in the UTF-8 character at `i` (1 for an invalid one, as Nix counts it). Its width is taken as
 * one column (Nix asks wcwidth: East Asian wide characters take two, combining ones none).
 */
function utf8Length(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const n = c < 0x80 ? 1 : (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : (c & 0xf8) === 0xf0 ? 4 : 1;
  for (let k = 1; k < n; k++) if (i + k >= s.length || (s.charCodeAt(i + k) & 0xc0) !== 0x80) return 1;
  return n;
}

/** Each message of `messages` (each ending in "\n") as Nix writes it to stderr. */
export function logText(messages: readonly string[], ansi: boolean): string {
  return messages.map((m) => (m.endsWith("\n") ? `${filterAnsiEscapes(m.slice(0, -1), ansi)}\n` : filterAnsiEscapes(m, ansi))).join("");
}
