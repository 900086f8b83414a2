/**
 * Garbage collection and queries against Nix 2.8: the same derivations are
 * built in a Nix store and in ours, the same output is rooted by an out-link,
 * both stores are collected, and the surviving paths must be the same. The
 * query commands print what `nix-store -q` / `nix path-info` print.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore, defaultSandboxPaths } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate, nixRealise } from "./nixOracle.js";
import { runNixBuild } from "../helpers/nixBuild.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;
const corpus = join(import.meta.dirname, "../fixtures/store/corpus.nix");
const attrs = ["chain", "diamond", "hello", "multi", "uses-multi-lib", "uses-multi-all", "script-src"];

const nixoci = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe.skipIf(!haveTools("nix-instantiate", "nix-store", "nix", "bwrap") || !existsSync(new URL("../../dist/cli/main.js", import.meta.url)))(
  "gc, roots and queries against Nix 2.8",
  () => {
    let dir: string;
    let nixRoot: string;
    let ourRoot: string;
    let drvs: string[];
    let chainOut: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "nixoci-gc-"));
      nixRoot = join(dir, "nix");
      ourRoot = join(dir, "ours");
      drvs = nixInstantiate(nixRoot, corpus, attrs.flatMap((a) => ["-A", a]));
      expect(nixRealise(nixRoot, drvs).stderr).toBe("");
      const store = new LocalStore({ root: ourRoot });
      importFromNix(store, nixRoot, drvs);
      store.close(); // drops this process's temporary roots
      nixoci("realise", "--store", ourRoot, "--no-out-link", ...drvs);
      chainOut = sh("nix-store", "--store", nixRoot, "-q", "--outputs", drvs[0]!).trim();
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("query --requisites / --references / --referrers / --deriver print what nix-store -q prints", () => {
      const multiLib = sh("nix-store", "--store", nixRoot, "-q", "--outputs", drvs[4]!).trim();
      for (const [flag, path] of [
        ["--requisites", drvs[1]!],
        ["--requisites", chainOut],
        ["--references", drvs[1]!],
        ["--referrers", sh("nix-store", "--store", nixRoot, "-q", "--references", chainOut).trim().split("\n")[0]!],
        ["--deriver", multiLib],
        ["--tree", sh("nix-store", "--store", nixRoot, "-q", "--outputs", drvs[1]!).trim()],
        ["--graph", chainOut],
      ] as const) {
        expect(nixoci("store", "query", "--store", ourRoot, flag, path), `${flag} ${path}`).toBe(
          sh("nix-store", "--store", nixRoot, "-q", flag, path),
        );
      }
    });

    it("path-info -r -s -S and --json print what nix path-info prints", () => {
      expect(nixoci("path-info", "--store", ourRoot, "-r", "-s", "-S", chainOut)).toBe(
        sh("nix", "path-info", "--store", nixRoot, "-r", "-s", "-S", chainOut),
      );
      expect(nixoci("path-info", "--store", ourRoot, "-rsSh", chainOut)).toBe(sh("nix", "path-info", "--store", nixRoot, "-rsSh", chainOut));
      const strip = (s: string) => JSON.parse(s).map((o: Record<string, unknown>) => ({ ...o, registrationTime: 0 }));
      expect(strip(nixoci("path-info", "--store", ourRoot, "--json", "-r", chainOut))).toEqual(
        strip(sh("nix", "path-info", "--store", nixRoot, "--json", "-r", chainOut)),
      );
    });

    it("realise -L streams prefixed build logs; log shows the stored log; a failed build exits 100", () => {
      const failures = join(import.meta.dirname, "../fixtures/store/failures.nix");
      const [drv] = nixInstantiate(nixRoot, failures, ["-A", "exit-code"]);
      const store = new LocalStore({ root: ourRoot });
      importFromNix(store, nixRoot, [drv!]);
      store.close();
      let status = 0;
      let stderr = "";
      try {
        execFileSync(process.execPath, [bin, "realise", "--store", ourRoot, "-L", drv!], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (err) {
        status = (err as { status: number }).status;
        stderr = (err as { stderr: string }).stderr;
      }
      expect(status).toBe(100);
      expect(stderr).toContain("exit-code> some output\nexit-code> on stderr\n");
      expect(stderr).toContain(`error: builder for '${drv}' failed with exit code 3`);
      expect(nixoci("log", "--store", ourRoot, drv!)).toBe("some output\non stderr\n");
    });

    it.skipIf(!existsSync("/etc/hostname"))("realise --sandbox-paths exposes extra host paths, as Nix's sandbox-paths", () => {
      const failures = join(import.meta.dirname, "../fixtures/store/failures.nix");
      const [drv] = nixInstantiate(nixRoot, failures, ["-A", "read-host-file"]);
      const store = new LocalStore({ root: ourRoot });
      importFromNix(store, nixRoot, [drv!]);
      store.close();
      const sh = defaultSandboxPaths().get("/bin/sh")!;
      const out = nixoci("realise", "--store", ourRoot, "--no-out-link", "--sandbox-paths", `/bin/sh=${sh} /etc/hostname /no/such/path?`, drv!).trim();
      expect(readFileSync(join(ourRoot, out), "utf8")).toBe(readFileSync("/etc/hostname", "utf8"));
    });

    it("gc keeps exactly what Nix keeps for the same out-link root", () => {
      const ourLink = join(dir, "our-result");
      const nixLink = join(dir, "nix-result");
      nixoci("realise", "--store", ourRoot, "-o", ourLink, drvs[0]!);
      expect(readlinkSync(ourLink)).toBe(join(ourRoot, chainOut));
      runNixBuild("nix-store", ["--store", nixRoot, "-r", "--add-root", nixLink, drvs[0]!]);
      sh("nix-store", "--store", nixRoot, "--gc");
      const out = nixoci("store", "gc", "--store", ourRoot);
      expect(out).toMatch(/^\d+ store paths deleted, \d+\.\d\d MiB freed\n$/);
      const nixLeft = (JSON.parse(sh("nix", "path-info", "--store", nixRoot, "--all", "--json")) as { path: string }[]).map((i) => i.path).sort();
      const store = new LocalStore({ root: ourRoot, readOnly: true });
      const ourLeft = store.queryAllValidPaths().sort();
      store.close();
      expect(ourLeft).toEqual(nixLeft);
      expect(ourLeft).toContain(chainOut);
      expect(nixoci("store", "verify", "--store", ourRoot, "--check-contents")).toBe("");
      // Without the root, everything goes.
      rmSync(ourLink);
      nixoci("store", "gc", "--store", ourRoot);
      const after = new LocalStore({ root: ourRoot, readOnly: true });
      expect(after.queryAllValidPaths()).toEqual([]);
      after.close();
    });

    it("gc spares the temporary roots of a live process", () => {
      const store = new LocalStore({ root: ourRoot });
      const held = store.addTextToStore("held-by-live-process", "temp root\n", []);
      nixoci("store", "gc", "--store", ourRoot);
      expect(store.isValidPath(held)).toBe(true);
      store.close(); // temp roots go with the process's store handle
      nixoci("store", "gc", "--store", ourRoot);
      const after = new LocalStore({ root: ourRoot, readOnly: true });
      expect(after.isValidPath(held)).toBe(false);
      after.close();
    });
  },
);
