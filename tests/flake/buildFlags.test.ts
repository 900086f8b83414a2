/**
 * The flake flags on the build path (EvalRequest: overrideInputs, updateInputs,
 * noWriteLock, impure) against `nix eval … --override-input` (Nix 2.8): the
 * same drvPath and the same "not writing modified lock file" diff.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalRequest } from "../../src/evaluator/flake/evalInstallable.js";
import { evaluateInstallable } from "../../src/evaluator/flake/evaluate.js";
import { parseHashAnyPrefixed, printHash } from "../../src/store/format/index.js";
import { LocalStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";

const repoRoot = new URL("../..", import.meta.url).pathname;
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: gitEnv, encoding: "utf8" });

describe.skipIf(!haveTools("nix", "git"))("--override-input, --no-write-lock-file and --impure on the build path, as nix (Nix 2.8)", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-flags-"));
  const nixStore = join(work, "nixstore");
  let store: LocalStore;
  beforeAll(() => {
    cpSync(join(repoRoot, "examples/with-input"), join(work, "with-input"), { recursive: true });
    mkdirSync(join(work, "other"));
    writeFileSync(join(work, "other/message.txt"), "Overridden\n");
    mkdirSync(join(work, "impure"));
    writeFileSync(
      join(work, "impure/flake.nix"),
      '{ outputs = { self }: { packages.x86_64-linux.default = derivation { name = "e"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; v = builtins.getEnv "NIXOCI_TEST_VAR"; }; }; }\n',
    );
    mkdirSync(join(work, "utf8err"));
    writeFileSync(join(work, "utf8err/flake.nix"), '{ outputs = { self }: { packages.x86_64-linux.default = builtins.trace "héllo «x»" (throw "bäd «y»"); }; }\n');
    git(work, "init", "-q");
    git(work, "add", "-A");
    git(work, "commit", "-qm", "init");
    store = new LocalStore({ root: join(work, "store") });
  });
  afterAll(() => {
    store.close();
    rmSync(work, { recursive: true, force: true });
  });

  const ours = (req: Partial<EvalRequest> & { installable: string }) => {
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    return evaluateInstallable({ cwd: work, system: "x86_64-linux", noEvalCache: true, noFetchCache: true, ...req }, Object.assign(store, { narHashOf }));
  };
  const nix = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const out = execFileSync("nix", ["eval", "--raw", "--store", nixStore, ...args], { cwd: work, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return out;
  };

  it("overrides an input without writing the lock file", () => {
    const lockBefore = readFileSync(join(work, "with-input/flake.lock"), "utf8");
    const expected = nix(["./with-input#packages.x86_64-linux.default.drvPath", "--override-input", "greeting", "./other", "--no-write-lock-file"]);
    const r = ours({ installable: "./with-input", overrideInputs: { greeting: "./other" }, noWriteLock: true });
    expect(r.error).toBeUndefined();
    expect(r.info!.drvPath).toBe(expected);
    expect(r.messages.join("\n")).toMatch(
      /^warning: not writing modified lock file of flake 'git\+file:\/\/.*\?dir=with-input':\n• Updated input 'greeting':\n {4}'path:\.\/greeting\?lastModified=1&narHash=.*' \(1970-01-01\)\n {2}→ 'git\+file:\/\/.*\?dir=other&ref=\w+&rev=[0-9a-f]{40}' \(\d{4}-\d\d-\d\d\)$/m,
    );
    expect(readFileSync(join(work, "with-input/flake.lock"), "utf8")).toBe(lockBefore);
    // Without the override: the pinned input again. (Nix 2.8 itself cannot fetch this relative
    // path input into a fresh store, "because it uses a relative path"; the fixture has its drvPath.)
    const plain = ours({ installable: "./with-input", noWriteLock: true });
    const fixture = JSON.parse(readFileSync(join(repoRoot, "tests/fixtures/examples/expected.json"), "utf8")) as Record<string, { drvPath: string }>;
    expect(plain.info!.drvPath).toBe(fixture["with-input#default"]!.drvPath);
    expect(plain.info!.drvPath).not.toBe(r.info!.drvPath);
  });

  it("returns errors and traces as text, as the build prints them (not UTF-8 bytes read as Latin-1)", () => {
    const r = ours({ installable: "./utf8err#default" });
    expect(r.messages).toContain("trace: héllo «x»");
    expect(r.error).toContain("       … while calling the 'throw' builtin\n");
    expect(r.error).toMatch(/\n {7}error: bäd «y»$/);
  });

  it("lets --impure read the environment", () => {
    const env = { ...process.env, NIXOCI_TEST_VAR: "hello" };
    const prev = process.env.NIXOCI_TEST_VAR;
    process.env.NIXOCI_TEST_VAR = "hello";
    try {
      const impure = ours({ installable: "./impure", impure: true });
      const pure = ours({ installable: "./impure" });
      expect(impure.info!.drvPath).toBe(nix(["--impure", "./impure#packages.x86_64-linux.default.drvPath"], env));
      expect(pure.info!.drvPath).toBe(nix(["./impure#packages.x86_64-linux.default.drvPath"], env));
      expect(impure.info!.drvPath).not.toBe(pure.info!.drvPath);
      // With the caches on, an impure evaluation is never answered from them: the environment counts.
      const cached = { installable: "./impure", impure: true, noEvalCache: false, evalCachePath: join(work, "cache/eval.sqlite") };
      const first = ours(cached);
      process.env.NIXOCI_TEST_VAR = "changed";
      const second = ours(cached);
      expect(second.cached).toBe(false);
      expect(second.info!.drvPath).not.toBe(first.info!.drvPath);
    } finally {
      if (prev === undefined) delete process.env.NIXOCI_TEST_VAR;
      else process.env.NIXOCI_TEST_VAR = prev;
    }
  });
});
