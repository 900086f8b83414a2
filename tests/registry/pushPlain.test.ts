/**
 * `nixoci push REF --from-layout …` without commander (src/cli/commands/pushPlain.ts):
 * its parser must hand runPush exactly what commander would, leave anything
 * else to commander, and the CLI must behave the same either way (output,
 * exit codes, requests). `-j4` (an attached short value) is a plain-looking
 * command line the fast parser refuses, so it runs the same push through
 * commander for comparison.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Command } from "commander";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerPush } from "../../src/cli/commands/push.js";
import { parsePlainPushArgs } from "../../src/cli/commands/pushPlain.js";
import { writeLayout } from "../../src/oci/layout.js";
import { haveTools } from "../helpers/tools.js";
import { startFaultProxy, type FaultProxy } from "./helpers/faultProxy.js";
import { isolatedEnv } from "./helpers/isolated.js";
import { startRegistry, type RegistryServer } from "./helpers/registryServer.js";
import { testImage } from "./helpers/testImage.js";

/** What commander hands the push action for `push ARGS`. */
function commanderParse(args: string[]): { ref: string; flags: Record<string, unknown> } {
  const program = new Command("nixoci").exitOverride();
  registerPush(program);
  let got: { ref: string; flags: Record<string, unknown> } | undefined;
  program.commands[0]!.action((ref: string, _flakeref: string | undefined, flags: Record<string, unknown>) => {
    got = { ref, flags };
  });
  program.parse(["node", "nixoci", "push", ...args]);
  return got!;
}

describe("the plain push parser", () => {
  const plain = [
    ["r.example/a/b:1", "--from-layout", "/l:v1"],
    ["--from-layout=/l", "docker://r.example/a/b@sha256:" + "0".repeat(64), "-q"],
    ["r/x", "--from", "oci-archive:/a.tar", "--quiet", "--json", "--digestfile", "/d", "--no-blob-cache"],
    ["r/x", "--from", "docker://q/y:1", "--creds", "u:p", "--tls-verify", "false", "--insecure", "--authfile=/auth.json"],
    ["r/x", "--from-layout", "/l", "-t", "a", "--tag", "b", "--tag=c", "-j", "2", "--jobs=3", "--retries", "7", "--retry-budget", "9"],
    ["r/x", "--from-layout", "/l", "--chunk-size", "16M", "--platform", "linux/arm64/v8", "--debug"],
  ];
  it.each(plain.map((args) => [args]))("parses %j exactly as commander does", (args: string[]) => {
    expect(parsePlainPushArgs(args)).toEqual(commanderParse(args));
  });

  it("leaves anything else to commander", () => {
    for (const args of [
      [],
      ["r/x"],
      ["r/x", "./flake#pkg"],
      ["r/x", "--from-layout", "/l", "./flake"],
      ["r/x", "--from-layout", "/l", "--help"],
      ["r/x", "--from-layout", "/l", "-j4"],
      ["r/x", "--from-layout", "/l", "-qj", "2"],
      ["r/x", "--from-layout", "-q"],
      ["r/x", "--from-layout"],
      ["r/x", "--from-layout", "/l", "--json=1"],
      ["r/x", "--from-layout", "/l", "--base", "oci:/b"],
      ["r/x", "--from-layout", "/l", "--env", "A=1"],
      ["r/x", "--from-layout", "/l", "--"],
      ["r/x", "--from-layout", "/l", "--no-such-flag"],
    ]) {
      expect(parsePlainPushArgs(args), JSON.stringify(args)).toBeUndefined();
    }
  });
});

const run = promisify(execFile);
const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;

describe.skipIf(!haveTools("docker-registry", "skopeo"))("nixoci push without commander", () => {
  let registry: RegistryServer;
  let proxy: FaultProxy;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let layout: string;
  const { image, blobs } = testImage([200_000, 5_000]);

  const nixoci = (...args: string[]) => run(process.execPath, [bin, ...args], { env, encoding: "utf8" });

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.port);
    tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-pushplain-"));
    env = isolatedEnv(tmp);
    layout = path.join(tmp, "layout");
    await writeLayout(layout, image, { tag: "v1" });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => proxy.reset());

  it("pushes, then a no-op push sends ping + one HEAD; output equals commander's", async () => {
    const ref = `${proxy.host}/plain/app:v1`;
    const first = JSON.parse((await nixoci("push", ref, "--from-layout", `${layout}:v1`, "--json")).stdout) as { digest: string; blobs: { pushed: string[] } };
    expect(first.digest).toBe(await image.digest());
    expect(first.blobs.pushed).toHaveLength(blobs.size + 1);

    proxy.reset();
    const digestFile = path.join(tmp, "digest");
    const fast = await nixoci("push", ref, "--from-layout", `${layout}:v1`, "--json", "--digestfile", digestFile);
    expect(proxy.log.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /v2/", "HEAD /v2/plain/app/manifests/v1"]);
    expect(readFileSync(digestFile, "utf8")).toBe(first.digest);
    const viaCommander = await nixoci("push", ref, "--from-layout", `${layout}:v1`, "--json", "--digestfile", digestFile, "-j4");
    expect(fast.stdout).toBe(viaCommander.stdout);
    expect(JSON.parse(fast.stdout)).toMatchObject({ digest: first.digest, requests: 2, blobs: { pushed: [], mounted: [] } });

    // Progress lines and the summary line on stderr, as through commander.
    const human = await nixoci("push", ref, "--from-layout", `${layout}:v1`);
    const humanViaCommander = await nixoci("push", ref, "--from-layout", `${layout}:v1`, "-j4");
    expect(human.stderr).toBe(humanViaCommander.stderr);
    expect(human.stderr).toContain(`Pushed docker://${ref}: ${first.digest} (0 pushed, 0 mounted, ${blobs.size + 1} already present)`);
  });

  it("a plain push runs from its CommonJS bundle: no ES module loader, commander, SQLite or child_process; -j4 loads commander", async () => {
    // A preload module records, at exit, the CommonJS files and Node built-ins the process loaded;
    // a module-resolution hook (in Node's loader thread) records what the ES module loader resolved.
    const hooks = path.join(tmp, "hooks.mjs");
    const register = path.join(tmp, "register.mjs");
    const preload = path.join(tmp, "preload.cjs");
    const log = path.join(tmp, "loaded");
    writeFileSync(
      hooks,
      `import { appendFileSync } from "node:fs";\n` +
        `export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, "esm " + r.url + "\\n"); return r; }\n`,
    );
    writeFileSync(register, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").appendFileSync(${JSON.stringify(log)}, ` +
        `[...Object.keys(require.cache).map((f) => "cjs " + f), ...process.moduleLoadList.map((m) => "node " + m)].join("\\n") + "\\n"));\n`,
    );
    const loaded = async (...extra: string[]): Promise<string[]> => {
      rmSync(log, { force: true });
      await run(process.execPath, ["--require", preload, "--import", register, bin.replace(/\.js$/, ".cjs"), "push", `${proxy.host}/plain/app:v1`, "--from-layout", `${layout}:v1`, "-q", ...extra], { env });
      return readFileSync(log, "utf8").split("\n");
    };
    const fast = await loaded();
    expect(fast.filter((l) => l.startsWith("cjs ") && l.endsWith("/dist/bundle/pushPlain.cjs"))).toHaveLength(1);
    // The ES module loader resolves only --import's module and the entry file (as it does with --import).
    expect(fast.filter((l) => l.startsWith("esm ") && !l.endsWith("/register.mjs") && !l.endsWith("/bin/nixoci.cjs"))).toEqual([]);
    // (worker_threads would tell nothing: --import's hooks run on a worker thread.)
    expect(fast.filter((l) => /\/node_modules\/(commander|better-sqlite3)\/|NativeModule child_process$/.test(l))).toEqual([]);
    const slow = await loaded("-j4");
    expect(slow.some((l) => l.startsWith("esm ") && l.endsWith("/dist/bundle/main.js"))).toBe(true);
    expect(slow.some((l) => l.includes("/node_modules/commander/"))).toBe(true);
  });

  it("errors end as through commander: message, exit code, no stack", async () => {
    for (const args of [
      ["push", "UPPER/Case:v1", "--from-layout", layout],
      ["push", `${proxy.host}/plain/app:v1`, "--from-layout", `${layout}:nosuchtag`],
      ["push", `${proxy.host}/plain/app:v1`, "--from-layout", layout, "--from", "oci:/x"],
    ]) {
      const fast = (await nixoci(...args).catch((e: unknown) => e)) as { code: number; stderr: string };
      const slow = (await nixoci(...args, "-j4").catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(fast.code, args.join(" ")).toBeGreaterThan(0);
      expect(fast.code).toBe(slow.code);
      expect(fast.stderr).toBe(slow.stderr);
      expect(fast.stderr).toMatch(/^error: /);
    }
  });
});
