/**
 * An image built from paths substituted out of a binary cache written by
 * Nix 2.8 equals the image built from locally built paths, and nothing is
 * built when the cache has the closure.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { haveTools } from "../helpers/tools.js";
import { runNixBuild } from "../helpers/nixBuild.js";

const repoRoot = new URL("../..", import.meta.url).pathname;

describe.skipIf(!haveTools("nix", "bwrap", "busybox", "git"))("build with --substituters", () => {
  const work = mkdtempSync(join(tmpdir(), "nixoci-subst-"));
  const env = { ...process.env, SOURCE_DATE_EPOCH: "1", XDG_CACHE_HOME: join(work, "cache-home") };
  const nixoci = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, "bin/nixoci.js"), ...args], { cwd: work, env, encoding: "utf8" });

  beforeAll(() => {
    initExampleWorkTree(work);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("substitutes hello's closure from a cache Nix wrote, builds nothing, and gives the same image", () => {
    const nixStore = join(work, "nixstore");
    const out = runNixBuild("nix", ["build", "--store", nixStore, "--no-link", "--json", "./examples/hello"], { cwd: work });
    const outPath = JSON.parse(out)[0].outputs.out as string;
    execFileSync("nix", ["copy", "--store", nixStore, "--to", `file://${join(work, "binary-cache")}`, outPath], { stdio: "pipe" });

    const local = nixoci(["build", "./examples/hello", "--store", join(work, "local"), "-o", join(work, "local.tar"), "--json"]);
    expect(local.status, local.stderr).toBe(0);
    const substituted = nixoci([
      "build", "./examples/hello", "--store", join(work, "fresh"), "-o", join(work, "subst.tar"), "--json",
      "--substituters", `file://${join(work, "binary-cache")}`, "--no-require-sigs",
    ]);
    expect(substituted.status, substituted.stderr).toBe(0);
    expect(substituted.stderr).not.toMatch(/building '/);
    expect(JSON.parse(substituted.stdout).digest).toBe(JSON.parse(local.stdout).digest);
  });
});
