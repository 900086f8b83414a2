/**
 * The ATerm text of store derivations (`Derive(...)`), written and parsed
 * byte-identically to Nix 2.8 (libstore/derivations.cc): maps and sets
 * sorted by byte order; only builder, args and env strings are escaped
 * (`"` `\` newline, CR, tab); output names, paths, hashes and the system are
 * written as they are.
 */
import { DerivationParseError } from "./errors.js";
import { parseHashAlgo, parseHashUnprefixed } from "./hash.js";
import { compareBytes, DEFAULT_STORE_DIR, DRV_EXTENSION, parseStorePath } from "./storePath.js";
import { classifyOutput, type Derivation, type DerivationOutput } from "./derivationTypes.js";

export interface WriteATermOptions {
  /** Blank output paths and the env entries named like outputs (for hashing, as Nix's maskOutputs). */
  maskOutputs?: boolean;
  /** Replace inputDrvs by this map (hashDerivationModulo puts input hashes here). */
  actualInputs?: Map<string, Iterable<string>>;
}

function escaped(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 34) rep = '\\"';
    else if (c === 92) rep = "\\\\";
    else if (c === 10) rep = "\\n";
    else if (c === 13) rep = "\\r";
    else if (c === 9) rep = "\\t";
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

const quoted = (s: string) => `"${s}"`;
const sortedKeys = <V>(m: Map<string, V>) => [...m.keys()].sort(compareBytes);
const sortedSet = (xs: Iterable<string>) => [...new Set(xs)].sort(compareBytes);

/** Nix's `Derivation::unparse`. */
export function writeDerivationATerm(drv: Derivation, options: WriteATermOptions = {}): string {
  const mask = options.maskOutputs ?? false;
  const parts: string[] = ["Derive(["];
  sortedKeys(drv.outputs).forEach((name, i) => {
    const o = drv.outputs.get(name)!;
    const kind = classifyOutput(o);
    const path = mask && (kind === "inputAddressed" || kind === "fixed") ? "" : o.path;
    parts.push(`${i ? "," : ""}(${quoted(name)},${quoted(path)},${quoted(o.hashAlgo)},${quoted(o.hash)})`);
  });
  parts.push("],[");
  const inputs = options.actualInputs ?? drv.inputDrvs;
  sortedKeys(inputs as Map<string, Iterable<string>>).forEach((p, i) => {
    const outs = sortedSet(inputs.get(p)!).map(quoted).join(",");
    parts.push(`${i ? "," : ""}(${quoted(p)},[${outs}])`);
  });
  parts.push("],[", sortedSet(drv.inputSrcs).map(quoted).join(","), "],");
  parts.push(quoted(drv.system), ",", escaped(drv.builder), ",[", drv.args.map(escaped).join(","), "],[");
  sortedKeys(drv.env).forEach((k, i) => {
    const v = mask && drv.outputs.has(k) ? "" : drv.env.get(k)!;
    parts.push(`${i ? "," : ""}(${escaped(k)},${escaped(v)})`);
  });
  parts.push("])");
  return parts.join("");
}

/** The derivation name from its .drv path (`/nix/store/<h>-hello.drv` → "hello"). */
export function derivationNameFromPath(drvPath: string, storeDir = DEFAULT_STORE_DIR): string {
  const { name } = parseStorePath(drvPath, storeDir);
  return name.endsWith(DRV_EXTENSION) ? name.slice(0, -DRV_EXTENSION.length) : name;
}

/** Byte-level reader mirroring Nix's istream-based parser, with offsets for errors. */
class ATermReader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly drvPath: string | undefined,
    private readonly storeDir: string,
  ) {}

  fail(detail: string, at = this.pos): never {
    throw new DerivationParseError(detail, at, this.drvPath);
  }

  expect(s: string): void {
    const at = this.pos;
    for (let i = 0; i < s.length; i++) {
      if (this.buf[this.pos] !== s.charCodeAt(i)) this.fail(`expected string '${s}'`, at);
      this.pos++;
    }
  }

  string(): string {
    this.expect('"');
    const start = this.pos;
    const chunks: Buffer[] = [];
    let from = this.pos;
    for (;;) {
      if (this.pos >= this.buf.length) this.fail("unterminated string", start - 1);
      const c = this.buf[this.pos]!;
      if (c === 34) break;
      if (c === 92) {
        chunks.push(this.buf.subarray(from, this.pos));
        this.pos++;
        if (this.pos >= this.buf.length) this.fail("unterminated string", start - 1);
        const e = this.buf[this.pos]!;
        chunks.push(Buffer.of(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e));
        from = ++this.pos;
        continue;
      }
      this.pos++;
    }
    chunks.push(this.buf.subarray(from, this.pos));
    this.pos++;
    return Buffer.concat(chunks).toString("utf8");
  }

  path(): string {
    const at = this.pos;
    const s = this.string();
    if (s.length === 0 || s[0] !== "/") this.fail(`bad path '${s}' in derivation`, at);
    return s;
  }

  storePath(): string {
    const at = this.pos;
    const s = this.path();
    try {
      parseStorePath(s, this.storeDir);
    } catch (e) {
      this.fail(`${(e as Error).message}`, at);
    }
    return s;
  }

  /** Nix's endOfList: ',' continues, ']' ends, anything else continues without consuming. */
  endOfList(): boolean {
    const c = this.buf[this.pos];
    if (c === 44) {
      this.pos++;
      return false;
    }
    if (c === 93) {
      this.pos++;
      return true;
    }
    if (c === undefined) this.fail("unexpected end of derivation");
    return false;
  }

  strings(read: () => string): string[] {
    const out = new Set<string>();
    while (!this.endOfList()) out.add(read());
    return [...out];
  }
}

function parseOutput(r: ATermReader, at: number, path: string, hashAlgo: string, hash: string): DerivationOutput {
  if (hashAlgo !== "") {
    const algoText = hashAlgo.startsWith("r:") ? hashAlgo.slice(2) : hashAlgo;
    let algo;
    try {
      algo = parseHashAlgo(algoText);
    } catch (e) {
      r.fail((e as Error).message, at);
    }
    if (hash !== "impure" && hash !== "") {
      if (path === "" || path[0] !== "/") r.fail(`bad path '${path}' in derivation`, at);
      try {
        parseHashUnprefixed(hash, algo);
      } catch (e) {
        r.fail((e as Error).message, at);
      }
    } else if (path !== "") r.fail(`content-addressed output without a fixed hash must have an empty path`, at);
  } else if (path !== "") {
    if (path[0] !== "/") r.fail(`bad path '${path}' in derivation`, at);
  }
  return { path, hashAlgo, hash };
}

/**
 * Nix's `parseDerivation`. `drvPath` (if known) gives the name and error
 * context; otherwise `name` may be passed, else it is taken from env.name.
 */
export function parseDerivationATerm(
  text: string | Uint8Array,
  options: { drvPath?: string; name?: string; storeDir?: string } = {},
): Derivation {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const buf = typeof text === "string" ? Buffer.from(text, "utf8") : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const r = new ATermReader(buf, options.drvPath, storeDir);
  const drv: Derivation = {
    name: "",
    outputs: new Map(),
    inputDrvs: new Map(),
    inputSrcs: [],
    system: "",
    builder: "",
    args: [],
    env: new Map(),
  };
  r.expect("Derive([");
  while (!r.endOfList()) {
    r.expect("(");
    const id = r.string();
    const at = r.pos;
    r.expect(",");
    const path = r.string();
    r.expect(",");
    const hashAlgo = r.string();
    r.expect(",");
    const hash = r.string();
    r.expect(")");
    const output = parseOutput(r, at, path, hashAlgo, hash);
    if (output.path !== "" && output.hashAlgo === "") {
      try {
        parseStorePath(output.path, storeDir);
      } catch (e) {
        r.fail((e as Error).message, at);
      }
    }
    if (!drv.outputs.has(id)) drv.outputs.set(id, output); // emplace: first one wins, as in Nix
  }
  r.expect(",[");
  while (!r.endOfList()) {
    r.expect("(");
    const p = r.storePath();
    r.expect(",[");
    drv.inputDrvs.set(p, r.strings(() => r.string()));
    r.expect(")");
  }
  r.expect(",[");
  drv.inputSrcs = r.strings(() => r.storePath());
  r.expect(",");
  drv.system = r.string();
  r.expect(",");
  drv.builder = r.string();
  r.expect(",[");
  while (!r.endOfList()) drv.args.push(r.string());
  r.expect(",[");
  while (!r.endOfList()) {
    r.expect("(");
    const k = r.string();
    r.expect(",");
    const v = r.string();
    r.expect(")");
    drv.env.set(k, v);
  }
  r.expect(")");
  drv.name = options.name ?? (options.drvPath ? derivationNameFromPath(options.drvPath, storeDir) : (drv.env.get("name") ?? ""));
  return drv;
}
