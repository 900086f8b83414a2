/**
 * Builds that must fail, and sandbox escapes that must not work, checked
 * against Nix 2.8 building the same derivations (tests/fixtures/store/failures.nix).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildError, BuildFailures, LocalStore, buildDerivations } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate, nixRealise } from "./nixOracle.js";

const fixture = join(import.meta.dirname, "../fixtures/store/failures.nix");

describe.skipIf(!haveTools("nix-instantiate", "nix-store", "bwrap"))("failing builds and the sandbox, against Nix 2.8", () => {
  let dir: string;
  let nixRoot: string;
  let store: LocalStore;
  let server: ChildProcess;
  let args: string[];
  let marker: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-fail-"));
    nixRoot = join(dir, "nix");
    marker = join(dir, "marker-dir/marker");
    // A separate process: the Nix oracle runs synchronously and would starve an in-process server.
    server = spawn(process.execPath, [
      "-e",
      'const s=require("net").createServer(c=>c.end("hello from host\\n"));s.listen(0,"127.0.0.1",()=>console.log(s.address().port))',
    ]);
    const port = await new Promise<number>((r) => server.stdout!.once("data", (d: Buffer) => r(Number(d.toString().trim()))));
    args = ["--arg", "port", String(port), "--argstr", "marker", marker];
    store = new LocalStore({ root: join(dir, "ours") });
  });
  afterAll(() => {
    store?.close();
    server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Build attr with Nix and with us; returns Nix's stderr and our error (or undefined on success). */
  async function both(attr: string): Promise<{ drv: string; nix: { ok: boolean; stderr: string }; ours?: BuildError }> {
    const [drv] = nixInstantiate(nixRoot, fixture, ["-A", attr, ...args]);
    const nix = nixRealise(nixRoot, [drv!]);
    importFromNix(store, nixRoot, [drv!]);
    try {
      await buildDerivations(store, [drv!], { maxJobs: 2 });
      return { drv: drv!, nix };
    } catch (err) {
      if (!(err instanceof BuildError)) throw err;
      return { drv: drv!, nix, ours: err };
    }
  }

  /** Nix's "error: …" text, with its display indentation removed. */
  const nixError = (stderr: string) =>
    stderr
      .slice(stderr.lastIndexOf("error: ") + "error: ".length)
      .split("\n")
      .map((l) => l.replace(/^ {7}/, ""))
      .join("\n")
      .trim();

  it.each(["disallowed-ref", "disallowed-requisite", "allowed-ref-violation"])(
    "%s fails with Nix's message (plus the chain to the offending path)",
    async (attr) => {
      const { nix, ours } = await both(attr);
      expect(nix.ok).toBe(false);
      expect(ours).toBeDefined();
      expect(ours!.message.startsWith(nixError(nix.stderr))).toBe(true);
      expect(ours!.message).toMatch(/is not allowed to refer to the following paths:\n {2}\/nix\/store\/\w{32}-fail-base/);
    },
  );

  it.each(["structured-disallowed", "structured-too-big"])("outputChecks under __structuredAttrs: %s fails with Nix's message", async (attr) => {
    const { nix, ours } = await both(attr);
    expect(nix.ok).toBe(false);
    expect(ours!.message.slice(0, nixError(nix.stderr).length)).toBe(nixError(nix.stderr));
  });

  it("keep-going builds what it can and reports every failure; dependents are not built", async () => {
    const drvs = ["exit-code", "no-output", "disallowed-ref"].map((a) => nixInstantiate(nixRoot, fixture, ["-A", a, ...args])[0]!);
    importFromNix(store, nixRoot, drvs);
    const err = await buildDerivations(store, drvs, { keepGoing: true, maxJobs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailures);
    expect((err as BuildFailures).failures.map((f) => f.drvPath).sort()).toEqual(drvs.slice().sort());
    // fail-base, an input of disallowed-ref, was built on the way.
    expect(store.queryAllValidPaths().some((p) => p.endsWith("-fail-base"))).toBe(true);
  });

  it("--no-sandbox refuses a store outside /nix/store", async () => {
    const [drv] = nixInstantiate(nixRoot, fixture, ["-A", "write-host", ...args]);
    importFromNix(store, nixRoot, [drv!]);
    const s2 = new LocalStore({ root: join(dir, "ours-nosandbox") });
    importFromNix(s2, nixRoot, [drv!]);
    await expect(buildDerivations(s2, [drv!], { sandbox: false })).rejects.toThrow(/without a sandbox needs the store at \/nix\/store/);
    s2.close();
  });

  it("names the chain of store paths leading to a disallowed requisite", async () => {
    const { ours } = await both("disallowed-requisite");
    expect(ours!.message).toMatch(/chain to '\/nix\/store\/\w{32}-fail-base':\n {2}\/nix\/store\/\w{32}-disallowed-requisite\n {2}→ \/nix\/store\/\w{32}-fail-left\n {2}→ \/nix\/store\/\w{32}-fail-base/);
  });

  it("an allowed build passes (disallowedReferences not referenced)", async () => {
    const { nix, ours } = await both("write-host");
    expect(nix.ok).toBe(true);
    expect(ours).toBeUndefined();
  });

  it("fixed-output hash mismatch: Nix's message and exit code 102", async () => {
    const { nix, ours } = await both("fod-mismatch");
    expect(ours!.message).toBe(nixError(nix.stderr));
    expect(ours!.exitCode).toBe(102);
  });

  it("failing builder: Nix's message, the log tail, exit code 100", async () => {
    const { nix, ours } = await both("exit-code");
    expect(ours!.message.startsWith(nixError(nix.stderr))).toBe(true);
    expect(ours!.message).toContain("> some output\n> on stderr");
    expect(ours!.exitCode).toBe(100);
  });

  it("missing output: Nix's message", async () => {
    const { nix, ours } = await both("no-output");
    const prefix = (s: string) => s.slice(0, s.indexOf(" at '"));
    expect(prefix(ours!.message)).toBe(prefix(nixError(nix.stderr)));
  });

  it.each(["read-host-file", "read-root", "write-input", "network"])("sandbox: %s fails as under Nix", async (attr) => {
    const { nix, ours } = await both(attr);
    expect(nix.ok).toBe(false);
    expect(ours?.message).toMatch(/failed with exit code/);
  });

  it("sandbox: writes outside $out never reach the host", async () => {
    const { ours } = await both("write-host");
    expect(ours).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
  });

  it("fixed-output derivations may use the network", async () => {
    const { nix, ours } = await both("network-fod");
    expect(nix.ok).toBe(true);
    expect(ours).toBeUndefined();
  });
});
