/**
 * The fetch cache and the warm path: an unchanged flake is answered without
 * copying its tree again (fetch cache) or evaluating at all (warm path), and
 * any change to the tree, its lock file or an absolute path input is noticed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalRequest } from "../../src/evaluator/flake/evalInstallable.js";
import { evaluateInstallable } from "../../src/evaluator/flake/evaluate.js";
import { FetchCache } from "../../src/evaluator/flake/fetchCache.js";
import { fetchTree } from "../../src/evaluator/flake/fetchTree.js";
import { lookupWarm } from "../../src/evaluator/flake/warmPath.js";
import { parseHashAnyPrefixed, printHash } from "../../src/store/format/index.js";
import { LocalStore } from "../../src/store/index.js";
import { hasTool } from "../helpers/tools.js";

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: gitEnv, encoding: "utf8" });

const flakeNix = (inputUrl: string) => `{
  inputs.data = { url = "${inputUrl}"; flake = false; };
  outputs = { self, data }: {
    packages.x86_64-linux.default = derivation {
      name = "w"; system = "x86_64-linux"; builder = "/bin/sh";
      args = [ "-c" "cat \${data}/d.txt \${self}/msg > $out" ];
    };
  };
}
`;

describe.skipIf(!hasTool("git"))("fetch cache and warm path", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-warm-"));
  const storeRoot = join(work, "store");
  const evalCachePath = join(work, "cache/eval.sqlite");
  let store: LocalStore;
  const req = (): EvalRequest => ({ installable: join(work, "root"), cwd: work, system: "x86_64-linux", evalCachePath });
  const evaluate = (r: EvalRequest = req()) => {
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    return evaluateInstallable(r, Object.assign(store, { narHashOf }));
  };

  beforeAll(() => {
    mkdirSync(join(work, "data"));
    writeFileSync(join(work, "data/d.txt"), "one\n");
    mkdirSync(join(work, "root"));
    writeFileSync(join(work, "root/flake.nix"), flakeNix(`path:${work}/data`));
    writeFileSync(join(work, "root/msg"), "hi\n");
    git(join(work, "root"), "init", "-q");
    git(join(work, "root"), "add", "-A");
    git(join(work, "root"), "commit", "-qm", "init");
    store = new LocalStore({ root: storeRoot });
  });
  afterAll(() => {
    store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("copies an unchanged tree once and notices a changed one", () => {
    const cache = new FetchCache(join(work, "fc.sqlite"));
    let copies = 0;
    const counting = Object.assign(Object.create(store) as LocalStore, {
      addPathToStore: (...args: Parameters<LocalStore["addPathToStore"]>) => {
        copies++;
        return store.addPathToStore(...args);
      },
    });
    const ctx = { store: counting, baseDir: work, fetchCache: cache, narHashOf: (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri") };
    const ref = { type: "git", url: `file://${work}/root` };
    const a = fetchTree(ref, ctx);
    const b = fetchTree(ref, ctx);
    expect(b).toEqual(a);
    expect(copies).toBe(1);
    expect(a.sourceInfo.rev).toBe(git(join(work, "root"), "rev-parse", "HEAD").trim());

    // A dirty tree: new contents, no rev; the same dirty state again is cached.
    writeFileSync(join(work, "root/msg"), "changed\n");
    const c = fetchTree(ref, ctx);
    expect(c.sourceInfo.outPath).not.toBe(a.sourceInfo.outPath);
    expect(c.sourceInfo.rev).toBeUndefined();
    fetchTree(ref, ctx);
    expect(copies).toBe(2);
    // Changed again with the same size: still noticed (mtime/ctime).
    writeFileSync(join(work, "root/msg"), "CHANGED\n");
    expect(fetchTree(ref, ctx).sourceInfo.outPath).not.toBe(c.sourceInfo.outPath);
    git(join(work, "root"), "checkout", "--", "msg");
    expect(fetchTree(ref, ctx).sourceInfo.outPath).toBe(a.sourceInfo.outPath);

    // path: trees are keyed by an lstat walk.
    const p1 = fetchTree({ type: "path", path: `${work}/data` }, ctx);
    expect(fetchTree({ type: "path", path: `${work}/data` }, ctx)).toEqual(p1);
    writeFileSync(join(work, "data/new.txt"), "x");
    expect(fetchTree({ type: "path", path: `${work}/data` }, ctx).sourceInfo.narHash).not.toBe(p1.sourceInfo.narHash);
    rmSync(join(work, "data/new.txt"));
    cache.close();
  });

  it("answers an unchanged flake without evaluating, and evaluates again after any change", () => {
    const first = evaluate();
    expect(first.error).toBeUndefined();
    // The lock file was just created (and git-added): the next evaluation records the warm entry.
    expect(lookupWarm(req(), storeRoot)).toBeUndefined();
    const second = evaluate();
    expect(second.info!.drvPath).toBe(first.info!.drvPath);
    const warm = lookupWarm(req(), storeRoot);
    expect(warm?.cached).toBe(true);
    expect(warm?.info).toEqual(first.info);
    expect(warm?.messages).toEqual([`warning: Git tree '${work}/root' is dirty`]);

    // A change in the flake's own tree.
    writeFileSync(join(work, "root/msg"), "bye\n");
    expect(lookupWarm(req(), storeRoot)).toBeUndefined();
    const changed = evaluate();
    expect(changed.info!.drvPath).not.toBe(first.info!.drvPath);
    evaluate();
    expect(lookupWarm(req(), storeRoot)?.info?.drvPath).toBe(changed.info!.drvPath);

    // A change in an absolute path input: no warm answer; evaluating again uses the locked copy
    // already in the store (as Nix does), so the result is unchanged.
    writeFileSync(join(work, "data/d.txt"), "two\n");
    expect(lookupWarm(req(), storeRoot)).toBeUndefined();
    expect(evaluate().info!.drvPath).toBe(changed.info!.drvPath);
    writeFileSync(join(work, "data/d.txt"), "one\n");
    expect(evaluate().error).toBeUndefined();

    // Other attributes, systems, --impure and --no-eval-cache have their own entries or none.
    expect(lookupWarm({ ...req(), installable: `${join(work, "root")}#other` }, storeRoot)).toBeUndefined();
    expect(lookupWarm({ ...req(), impure: true }, storeRoot)).toBeUndefined();
    // --impure is never cached: the environment may change the result.
    evaluate({ ...req(), impure: true });
    expect(lookupWarm({ ...req(), impure: true }, storeRoot)).toBeUndefined();
    expect(lookupWarm({ ...req(), noEvalCache: true }, storeRoot)).toBeUndefined();
    // A different store does not have the .drv.
    expect(lookupWarm(req(), join(work, "other-store"))).toBeUndefined();
  });
});
