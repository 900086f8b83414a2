import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  classifyOutput,
  computeDerivation,
  computeDerivationPath,
  DerivationParseError,
  DrvHashCache,
  fixedOutputHash,
  hashDerivationModulo,
  InvalidDerivationError,
  parseDerivationATerm,
  writeDerivationATerm,
  type Derivation,
  type DerivationSpec,
  type HashAlgo,
  downstreamPlaceholder,
} from "../../src/store/format/index.js";
import { pathVectors } from "./pathsFixture.js";

const drvFiles = pathVectors.drvFiles;
const read = (p: string): Derivation => {
  const text = drvFiles[p];
  if (text === undefined) throw new Error(`no fixture for ${p}`);
  return parseDerivationATerm(text, { drvPath: p });
};

describe("ATerm round trip of every .drv Nix 2.8 wrote", () => {
  it.each(Object.keys(drvFiles).map((p) => [p]))("%s", (p) => {
    const drv = read(p);
    expect(writeDerivationATerm(drv)).toBe(drvFiles[p]);
    expect(computeDerivationPath(drv)).toBe(p);
  });
});

/** Rebuild what derivationStrict collected from a finished derivation. */
function specOf(drv: Derivation): DerivationSpec {
  const env = new Map(drv.env);
  for (const o of drv.outputs.keys()) env.delete(o);
  const out = drv.outputs.get("out");
  const fixed = out && classifyOutput(out) === "fixed" ? fixedOutputHash(out) : undefined;
  const first = [...drv.outputs.values()][0]!;
  const floating =
    classifyOutput(first) === "floating"
      ? { method: first.hashAlgo.startsWith("r:") ? ("recursive" as const) : ("flat" as const), algo: first.hashAlgo.replace(/^r:/, "") as HashAlgo }
      : undefined;
  return {
    name: drv.name,
    system: drv.system,
    builder: drv.builder,
    args: drv.args,
    env,
    outputs: [...drv.outputs.keys()],
    inputDrvs: drv.inputDrvs,
    inputSrcs: drv.inputSrcs,
    fixedOutput: fixed,
    contentAddressed: floating,
  };
}

describe("computeDerivation (derivationStrict) reproduces Nix 2.8's drvPath, outputs and .drv bytes", () => {
  const cases = pathVectors.drvs.map((d) => [d.case, d] as const);
  it.each(cases)("%s", (_, d) => {
    // A fresh cache per case: every input derivation's modulo hash is recomputed from its .drv.
    const cache = new DrvHashCache(read);
    const result = computeDerivation(specOf(read(d.drvPath)), cache);
    expect(result.aterm).toBe(drvFiles[d.drvPath]);
    expect(result.drvPath).toBe(d.drvPath);
    expect(Object.fromEntries(result.outputPaths)).toEqual(d.outputs);
    expect(cache.get(d.drvPath)).toBe(result.hashModulo);
  });

  it("known value from oracles.md", () => {
    const r = computeDerivation(
      {
        name: "hello",
        system: "x86_64-linux",
        builder: "/bin/sh",
        args: ["-c", "echo hi > $out"],
        env: { name: "hello", system: "x86_64-linux", builder: "/bin/sh" },
      },
      new DrvHashCache(read),
    );
    expect(r.drvPath).toBe("/nix/store/76w21n1f03fs5kw8fnffphx7qrqffw6r-hello.drv");
    expect(r.outputPaths.get("out")).toBe("/nix/store/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-hello");
  });

  it("two fixed-output inputs with the same output share one modulo entry", () => {
    const twins = pathVectors.drvs.find((d) => d.case === "dependsOnTwins")!;
    const drv = read(twins.drvPath);
    expect(drv.inputDrvs.size).toBe(2);
    const seen: string[] = [];
    hashDerivationModulo(drv, true, (p) => (seen.push(p), new DrvHashCache(read).get(p)));
    expect(seen).toHaveLength(2);
  });
});

describe("floating content-addressed and deferred derivations (ca-derivations, experimental in 2.8)", () => {
  const caDrvs = (pathVectors as unknown as { caDrvs: typeof pathVectors.drvs }).caDrvs;
  it.each(caDrvs.map((d) => [d.case, d] as const))("%s", (_, d) => {
    const cache = new DrvHashCache(read);
    const result = computeDerivation(specOf(read(d.drvPath)), cache);
    expect(result.aterm).toBe(drvFiles[d.drvPath]);
    expect(result.drvPath).toBe(d.drvPath);
    expect(result.hashModulo.kind).toBe("deferred");
    // Unknown outputs read as Nix's downstream placeholders.
    for (const [o, p] of Object.entries(d.outputs)) {
      expect(result.outputPaths.get(o)).toBe("");
      expect(downstreamPlaceholder(d.drvPath, o)).toBe(p);
    }
  });
});

// Nix's own expected .drv files, when a checkout of Nix's tests is at hand (NIX_SRC, default
// /tmp/nixsrc); never committed here, so this is an extra check, not a fixture.
describe("Nix's own derivation test files", () => {
  const dir = `${process.env.NIX_SRC ?? "/tmp/nixsrc"}/tests/functional/derivation/ia`;
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".drv")) : [];
  it.skipIf(files.length === 0)("our ATerm writer reproduces tests/functional/derivation/ia/*.drv", () => {
    for (const f of files) {
      const expected = readFileSync(`${dir}/${f}`, "utf8");
      expect(writeDerivationATerm(parseDerivationATerm(expected, { drvPath: `/nix/store/${"0".repeat(32)}-${f}` }))).toBe(expected);
    }
  });
});

describe("malformed derivations give typed errors with offsets", () => {
  const good = drvFiles[pathVectors.drvs.find((d) => d.case === "hello")!.drvPath]!;
  it.each([
    ["empty", "", 0, "expected string 'Derive(['"],
    ["wrong head", "Derivx([", 0, "expected string 'Derive(['"],
    ["truncated", good.slice(0, 40), 15, "unterminated string"],
    ["missing paren", good.slice(0, -1), good.length - 1, "expected string ')'"],
    ["relative input src", good.replace("[],[],", '[],["relative"],'), good.indexOf("[],[],") + 4, "bad path 'relative'"],
    ["bad store path", good.replace("[],[],", '[],["/nix/store/bad"],'), good.indexOf("[],[],") + 4, "too short"],
    ["unknown hash algo", 'Derive([("out","/nix/store/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-x","foo","00")],[],[],"s","b",[],[])', 14, "unknown hash algorithm 'foo'"],
    ["bad fixed hash", 'Derive([("out","/nix/store/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-x","sha256","00")],[],[],"s","b",[],[])', 14, "wrong length"],
  ])("%s", (_, text, offset, message) => {
    let err: unknown;
    try {
      parseDerivationATerm(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DerivationParseError);
    expect((err as DerivationParseError).offset).toBe(offset);
    expect((err as Error).message).toContain(message);
  });

  it("rejects ill-formed derivation specs like Nix", () => {
    const cache = new DrvHashCache(read);
    const base = { name: "x", system: "s", builder: "/b", args: [], env: {} };
    expect(() => computeDerivation({ ...base, builder: "" }, cache)).toThrow("required attribute 'builder' missing");
    expect(() => computeDerivation({ ...base, name: "x.drv" }, cache)).toThrow(InvalidDerivationError);
    expect(() => computeDerivation({ ...base, outputs: ["out", "out"] }, cache)).toThrow("duplicate derivation output 'out'");
  });
});
