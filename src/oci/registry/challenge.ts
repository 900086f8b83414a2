/**
 * WWW-Authenticate parsing (RFC 7235): one header may hold several challenges,
 * each `Scheme k=v, k="quoted, with commas"`, or a token68 for some schemes.
 */

export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic", … */
  readonly scheme: string;
  /** Lower-cased parameter names → values (unquoted). */
  readonly params: Readonly<Record<string, string>>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  return headers.flatMap(parseOne);
}

function parseOne(s: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = s.length;
  const skipWs = () => {
    while (i < n && (s[i] === " " || s[i] === "\t")) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && !/[\s,=]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < n) {
    skipWs();
    if (s[i] === ",") {
      i++;
      continue;
    }
    const tok = readToken();
    if (tok === "") {
      i++;
      continue;
    }
    skipWs();
    if (s[i] === "=" && out.length > 0) {
      // A parameter of the current challenge.
      i++;
      skipWs();
      let value: string;
      if (s[i] === '"') {
        i++;
        let v = "";
        while (i < n && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < n) i++;
          v += s[i++];
        }
        i++;
        value = v;
      } else {
        value = readToken();
      }
      out[out.length - 1]!.params[tok.toLowerCase()] = value;
    } else {
      out.push({ scheme: tok.toLowerCase(), params: {} });
    }
  }
  return out;
}
