/**
 * The no-op `nixoci build` (src/cli/noopBuild.ts, src/cli/buildCache.ts): the
 * same build again with nothing changed prints what the full build printed
 * and leaves the output alone; any change that could change the image (the
 * flake, a flag, the output file, the store paths, the clock in the image)
 * builds for real, and a no-op's digest is always the full build's.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerBuild } from "../../src/cli/commands/build.js";
import { buildProbe, type BuildFlags } from "../../src/cli/buildCache.js";
import { parsePlainBuildArgs } from "../../src/cli/noopBuild.js";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { haveTools } from "../helpers/tools.js";

/** What commander hands the build action for `build ARGS`. */
function commanderParse(args: string[]): { installable: string; flags: Record<string, unknown> } {
  const program = new Command("nixoci").exitOverride();
  registerBuild(program);
  let got: { installable: string; flags: Record<string, unknown> } | undefined;
  program.commands[0]!.action((installable: string, flags: Record<string, unknown>) => {
    got = { installable, flags };
  });
  program.parse(["node", "nixoci", "build", ...args]);
  return got!;
}

describe("the no-op path's command-line parser", () => {
  const plain = [
    [],
    ["./examples/hello"],
    ["./examples/hello#default", "--store", "/s", "-o", "x.tar", "--json"],
    ["-o", "a", "--output", "b", "--output=c", "--format", "layout", "-t", "n:1", "--tag=m:2"],
    ["--env", "A=1", "--env=B=2", "--label", "k=v", "--port", "80/tcp", "--disallow", "gcc", "--disallow", "perl"],
    ["--entrypoint", '["/bin/sh"]', "--cmd", "x", "--user", "app", "--workdir", "/w", "--max-layers", "3", "--layering", "size"],
    ["-L", "--print-build-logs", "--show-trace", "--no-sandbox", "--no-require-sigs", "--no-write-lock-file", "--system", "aarch64-linux"],
    ["--max-jobs", "2", "-j", "3", "--substituters", "file:///c", "--trusted-public-keys", "k:v", "--backend", "native", ".#x"],
    ["--backend=nix"],
  ];
  it.each(plain.map((args) => [args]))("parses %j exactly as commander does", (args: string[]) => {
    const parsed = parsePlainBuildArgs(args);
    expect(parsed).toEqual(commanderParse(args));
    // Every option it knows is one the cache covers (only the nix backend is refused).
    expect(buildProbe(parsed!.installable, parsed!.flags, "/w", {}) === undefined).toBe(args.includes("--backend=nix"));
  });

  it("caches no build with an option it does not know to be covered, a base image or impure inputs", () => {
    const { installable, flags } = commanderParse([]);
    expect(buildProbe(installable, flags as BuildFlags, "/w", {})).toBeDefined();
    for (const extra of [{ someNewOption: "x" }, { from: "docker://x" }, { impure: true }, { evalCache: false }, { overrideInput: ["a", "b"] }, { updateInput: ["a"] }, { backend: "nix" }, { format: "tgz" }]) {
      expect(buildProbe(installable, { ...flags, ...extra } as BuildFlags, "/w", {}), JSON.stringify(extra)).toBeUndefined();
    }
  });

  it("leaves anything else to commander", () => {
    for (const args of [["--help"], ["-h"], ["a", "b"], ["-ox.tar"], ["-Lo", "x"], ["--json=1"], ["--output"], ["-o", "-x"], ["--from", "oci:x"], ["--impure"], ["--no-eval-cache"], ["--override-input", "a", "b"], ["--update-input", "a"], ["--"], ["--no-such-flag"]]) {
      expect(parsePlainBuildArgs(args), JSON.stringify(args)).toBeUndefined();
    }
  });
});

const repoRoot = new URL("../..", import.meta.url).pathname;
// The launcher's entry: it answers no-ops from the no-op path's CommonJS bundle, misses from the main bundle.
const bin = join(repoRoot, "bin/nixoci.cjs");

describe.skipIf(!haveTools("bwrap", "busybox", "git"))("nixoci build, run again", () => {
  const work = mkdtempSync(join(tmpdir(), "nixoci-noop-"));
  const store = join(work, "store");
  const env = { ...process.env, XDG_CACHE_HOME: join(work, "cache"), GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
  const git = (...args: string[]) => execFileSync("git", ["-C", work, ...args], { env, stdio: "pipe" });
  const nixociWith = (extraEnv: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, "build", "--store", store, ...args], { cwd: work, env: { ...env, ...extraEnv }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`nixoci build ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
  };
  const nixoci = (...args: string[]) => nixociWith({}, ...args);
  /** inode and ctime: a full build writes the output again (new ctime), a no-op does not touch it. */
  const stamp = (file: string) => {
    const st = lstatSync(join(work, file), { bigint: true });
    return `${st.ino}:${st.ctimeNs}`;
  };
  const digestOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { digest: string }).digest;

  beforeAll(() => {
    initExampleWorkTree(work);
    git("commit", "-qm", "examples");
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("prints the full build's summary again without writing anything, with the same digest", () => {
    const full = nixoci("./examples/hello", "-o", "a.tar");
    expect(full.stderr).toMatch(/building/);
    const before = stamp("a.tar");
    const noop = nixoci("./examples/hello", "-o", "a.tar");
    expect(noop).toEqual({ stdout: "", stderr: full.stderr.replace(/^building .*\n/gm, "") });
    expect(stamp("a.tar")).toBe(before);

    // The JSON summary too, and the digest is what a build that never uses any cache gives.
    const json = nixoci("./examples/hello", "-o", "a.tar", "--json");
    expect(stamp("a.tar")).not.toBe(before);
    const again = nixoci("./examples/hello", "-o", "a.tar", "--json");
    expect(again).toEqual(json);
    const uncached = nixoci("./examples/hello", "-o", "b.tar", "--json", "--no-eval-cache");
    expect(digestOf(again)).toBe(digestOf(uncached));
    expect(readFileSync(join(work, "a.tar")).equals(readFileSync(join(work, "b.tar")))).toBe(true);
  });

  it("builds again when a flag changes, and answers each flag set on its own", () => {
    const plain = nixoci("./examples/hello", "-o", "f.tar", "--json");
    const labelled = nixoci("./examples/hello", "-o", "f.tar", "--json", "--label", "a=b");
    expect(digestOf(labelled)).not.toBe(digestOf(plain));
    const s = stamp("f.tar");
    expect(nixoci("./examples/hello", "-o", "f.tar", "--json", "--label", "a=b")).toEqual(labelled);
    expect(stamp("f.tar")).toBe(s);
    // Back to the first flags: the file on disk is the labelled image now, so it is written again.
    expect(digestOf(nixoci("./examples/hello", "-o", "f.tar", "--json"))).toBe(digestOf(plain));
    expect(stamp("f.tar")).not.toBe(s);
    // The environment the image depends on: SOURCE_DATE_EPOCH sets its timestamps.
    const epoch = nixociWith({ SOURCE_DATE_EPOCH: "1000" }, "./examples/hello", "-o", "f.tar", "--json");
    expect(digestOf(epoch)).not.toBe(digestOf(plain));
    expect(digestOf(nixoci("./examples/hello", "-o", "f.tar", "--json"))).toBe(digestOf(plain));
    const layout = nixoci("./examples/hello", "-o", "lay", "--format", "layout", "--json");
    expect(digestOf(layout)).toBe(digestOf(plain));
    const l = stamp("lay/index.json");
    expect(nixoci("./examples/hello", "-o", "lay", "--format", "layout", "--json")).toEqual(layout);
    expect(stamp("lay/index.json")).toBe(l);
  });

  it("writes the output again when it was changed, removed, or a layout's blob was touched", () => {
    const first = nixoci("./examples/hello", "-o", "o.tar", "--json");
    const bytes = readFileSync(join(work, "o.tar"));
    appendFileSync(join(work, "o.tar"), "x");
    expect(nixoci("./examples/hello", "-o", "o.tar", "--json")).toEqual(first);
    expect(readFileSync(join(work, "o.tar")).equals(bytes)).toBe(true);
    rmSync(join(work, "o.tar"));
    expect(nixoci("./examples/hello", "-o", "o.tar", "--json")).toEqual(first);
    expect(readFileSync(join(work, "o.tar")).equals(bytes)).toBe(true);

    nixoci("./examples/hello", "-o", "L", "--format", "layout");
    const index = readFileSync(join(work, "L/index.json"), "utf8");
    const manifest = (JSON.parse(index) as { manifests: { digest: string }[] }).manifests[0]!.digest.replace(":", "/");
    const blob = join(work, "L/blobs", manifest);
    const good = readFileSync(blob);
    writeFileSync(blob, "{}");
    nixoci("./examples/hello", "-o", "L", "--format", "layout");
    expect(readFileSync(blob).equals(good)).toBe(true);
  });

  it("evaluates and builds again when the flake changes (committed or not), and warns about a dirty tree each time", () => {
    const flake = join(work, "examples/hello/flake.nix");
    const original = readFileSync(flake, "utf8");
    const before = digestOf(nixoci("./examples/hello", "-o", "c.tar", "--json"));
    writeFileSync(flake, original.replace("Hello from nixoci!", "Hello again!"));
    const dirty = nixoci("./examples/hello", "-o", "c.tar", "--json");
    expect(dirty.stderr).toMatch(/building '.*hello-1.0.drv'/);
    expect(dirty.stderr).toMatch(/warning: Git tree '.*' is dirty/);
    expect(digestOf(dirty)).not.toBe(before);
    const s = stamp("c.tar");
    const dirtyAgain = nixoci("./examples/hello", "-o", "c.tar", "--json");
    expect(dirtyAgain).toEqual({ stdout: dirty.stdout, stderr: `warning: Git tree '${work}' is dirty\n` });
    expect(stamp("c.tar")).toBe(s);
    git("commit", "-qam", "again");
    const committed = nixoci("./examples/hello", "-o", "c.tar", "--json");
    expect(committed.stderr).not.toMatch(/dirty/);
    expect(digestOf(committed)).toBe(digestOf(dirty));
    writeFileSync(flake, original);
    git("commit", "-qam", "back");
    expect(digestOf(nixoci("./examples/hello", "-o", "c.tar", "--json"))).toBe(before);
  });

  it("builds again when store paths of the image were deleted (the rebuild's inodes are new)", () => {
    const first = nixoci("./examples/hello", "-o", "g.tar", "--json");
    const gc = spawnSync(process.execPath, [bin, "store", "gc", "--store", store], { cwd: work, env, encoding: "utf8" });
    expect(gc.status, gc.stderr).toBe(0);
    const rebuilt = nixoci("./examples/hello", "-o", "g.tar", "--json");
    expect(rebuilt.stderr).toMatch(/building/);
    expect(rebuilt.stdout).toBe(first.stdout);
  });

  it("never answers from the cache for an image that takes the clock (created = \"now\")", () => {
    const flake = join(work, "examples/hello/flake.nix");
    const original = readFileSync(flake, "utf8");
    writeFileSync(flake, original.replace('meta.mainProgram = "hello";', 'meta.mainProgram = "hello";\n        nixoci.created = "now";'));
    git("commit", "-qam", "now");
    try {
      nixoci("./examples/hello", "-o", "n.tar");
      const s = stamp("n.tar");
      nixoci("./examples/hello", "-o", "n.tar");
      expect(stamp("n.tar")).not.toBe(s);
    } finally {
      writeFileSync(flake, original);
      git("commit", "-qam", "not now");
    }
  });
});
