/**
 * Acceptance: images built from a synthetic busybox closure are read by the
 * real tools (skopeo, umoci, runc), in all three output formats.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { buildImage } from "../../src/oci/buildImage.js";
import { CustomisationConflictError } from "../../src/oci/customisation.js";
import { readDockerArchive } from "../../src/oci/dockerArchive.js";
import type { Image } from "../../src/oci/image.js";
import { LayerCache } from "../../src/oci/layerCache.js";
import { openLocalImage, writeOutput } from "../../src/oci/output.js";
import { parseImageSettings } from "../../src/oci/settings.js";
import { LayerInputError } from "../../src/oci/tarEntries.js";
import { haveTools } from "../helpers/tools.js";
import { BUSYBOX, DATA, HELLO, makeClosure } from "./closure.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "nixoci-img-"));
const run = (cmd: string, args: string[], opts: { cwd?: string } = {}): string =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
const skopeoInspect = (ref: string, extra: string[] = []): Record<string, unknown> =>
  JSON.parse(run("skopeo", ["inspect", ...extra, ref])) as Record<string, unknown>;

/** Optional oracles not in the CI tool list (.ci/run): used where installed, skipped elsewhere. */
function installed(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const closure = makeClosure();
const settings = parseImageSettings({
  name: "hello",
  tag: "1.0",
  entrypoint: `${HELLO}/bin/hello`,
  cmd: ["world"],
  env: { GREETING: "hi", PATH: "/bin" },
  ports: [8080, "53/udp"],
  labels: { "org.example.kind": "test" },
  workingDir: "/tmp",
  copyToRoot: [BUSYBOX, HELLO],
  linkDirs: ["bin", "etc"],
  addUser: { name: "app", uid: 1000, gid: 1000 },
  perms: [{ regex: "^/nix/store/[^/]+-data/first$", mode: "0600", uid: 1000, gid: 1000, uname: "app", gname: "app" }],
});

function build(cacheDir: string, extra: Partial<Parameters<typeof buildImage>[0]> = {}): Promise<Image> {
  return buildImage({
    layers: [[BUSYBOX], [HELLO], [DATA]],
    roots: closure.roots,
    settings,
    system: "x86_64-linux",
    cache: new LayerCache(cacheDir),
    env: { SOURCE_DATE_EPOCH: "1700000000" },
    ...extra,
  });
}

describe("image config and manifest", () => {
  it("carries the settings", async () => {
    const image = await build(tmp());
    const c = await image.configFile();
    expect(c.created).toBe("2023-11-14T22:13:20Z");
    expect(c.architecture).toBe("amd64");
    expect(c.config).toEqual({
      Env: ["PATH=/bin", "GREETING=hi"],
      ExposedPorts: { "8080/tcp": {}, "53/udp": {} },
      Entrypoint: [`${HELLO}/bin/hello`],
      Cmd: ["world"],
      WorkingDir: "/tmp",
      Labels: { "org.example.kind": "test" },
    });
    expect(c.rootfs.diff_ids).toHaveLength(4);
    expect(c.history!.map((h) => h.created_by)).toEqual([
      `nixoci: store paths: ${BUSYBOX}`,
      `nixoci: store paths: ${HELLO}`,
      `nixoci: store paths: ${DATA}`,
      "nixoci: customisation layer",
    ]);
    const m = await image.manifest();
    expect(m.annotations).toEqual({
      "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
      "org.opencontainers.image.title": "hello",
      "org.opencontainers.image.version": "1.0",
    });
  });

  it("is identical from another cache, cwd and TMPDIR, and rebuilding tars nothing", async () => {
    const cacheDir = tmp();
    const a = await build(cacheDir);
    const digestA = await a.digest();
    const cache = new LayerCache(cacheDir);
    const again = await build(cacheDir, { cache });
    expect(await again.digest()).toBe(digestA);
    expect(cache.stats).toEqual({ built: 0, reused: 4 });
    // Elsewhere: another cwd, TMPDIR, cache, closure location and clock.
    const cwd = process.cwd();
    const tmpdirBefore = process.env.TMPDIR;
    const elsewhere = tmp();
    try {
      process.chdir(elsewhere);
      process.env.TMPDIR = elsewhere;
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date("2031-07-04T13:37:00Z"));
      const b = await build(tmp(), { roots: makeClosure(tmp()).roots });
      expect(await b.digest()).toBe(digestA);
    } finally {
      vi.useRealTimers();
      process.chdir(cwd);
      if (tmpdirBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdirBefore;
    }
    const later = await build(tmp(), { env: { SOURCE_DATE_EPOCH: "1700000001" } });
    expect(await later.digest()).not.toBe(digestA);
  });
});

describe.skipIf(!haveTools("skopeo", "umoci", "runc"))("real tools accept our outputs", () => {
  let image: Image;
  let digest: string;
  const out = tmp();
  beforeAll(async () => {
    image = await build(tmp());
    digest = await image.digest();
    await writeOutput({ format: "layout", output: join(out, "layout"), images: [image], ref: "hello:1.0" });
    await writeOutput({ format: "oci", output: join(out, "image.oci.tar"), images: [image], ref: "hello:1.0" });
    await writeOutput({ format: "docker", output: join(out, "image.docker.tar"), images: [image], ref: "hello:1.0" });
  });

  it("skopeo inspects the layout, the oci-archive and the docker-archive", () => {
    for (const ref of [`oci:${out}/layout:1.0`, `oci-archive:${out}/image.oci.tar:1.0`]) {
      const info = skopeoInspect(ref);
      expect(info.Digest).toBe(digest);
      expect(info.Layers).toHaveLength(4);
      expect(info.Env).toEqual(["PATH=/bin", "GREETING=hi"]);
      expect(info.Architecture).toBe("amd64");
    }
    const d = skopeoInspect(`docker-archive:${out}/image.docker.tar`);
    expect(d.RepoTags).toEqual([]);
    expect(d.Layers).toHaveLength(4);
    expect(d.Labels).toEqual({ "org.example.kind": "test" });
  });

  it("skopeo copies the docker-archive into an OCI layout with the same config", async () => {
    const dest = join(out, "copied");
    run("skopeo", ["copy", `docker-archive:${out}/image.docker.tar:hello:1.0`, `oci:${dest}:copied`]);
    const config = JSON.parse(run("skopeo", ["inspect", "--config", "--raw", `oci:${dest}:copied`]));
    expect(config).toEqual(JSON.parse((await image.rawConfig()).toString()));
  });

  it("umoci unpacks the expected root filesystem and runc runs the entrypoint", () => {
    const bundle = join(out, "bundle");
    run("umoci", ["unpack", "--image", `${out}/layout:1.0`, bundle]);
    const rootfs = join(bundle, "rootfs");
    expect(readlinkSync(join(rootfs, "bin", "sh"))).toBe(`${BUSYBOX}/bin/sh`);
    expect(readlinkSync(join(rootfs, "bin", "hello"))).toBe(`${HELLO}/bin/hello`);
    expect(readlinkSync(join(rootfs, "etc", "hello.conf"))).toBe(`${HELLO}/etc/hello.conf`);
    expect(lstatSync(join(rootfs, "tmp")).mode & 0o7777).toBe(0o1777);
    expect(readFileSync(join(rootfs, "etc", "passwd"), "utf8")).toContain("app:x:1000:1000::/home/app:/bin/sh");
    expect(lstatSync(join(rootfs, "home", "app")).uid).toBe(1000);
    const first = lstatSync(join(rootfs, DATA.slice(1), "first"));
    expect([first.mode & 0o777, first.uid]).toEqual([0o600, 1000]);
    const second = lstatSync(join(rootfs, DATA.slice(1), "second"));
    expect(second.ino).toBe(first.ino);
    const deep = join(rootfs, DATA.slice(1), "a".repeat(60), "b".repeat(60), "c".repeat(60), `${"long-name-".repeat(12)}.txt`);
    expect(readFileSync(deep, "utf8")).toBe("long\n");
    expect(readFileSync(join(rootfs, DATA.slice(1), "unicodé-ñame"), "utf8")).toBe("utf8\n");
    expect(readlinkSync(join(rootfs, DATA.slice(1), "long-link"))).toBe(`${BUSYBOX}/${"x".repeat(120)}/target`);

    const cfgPath = join(bundle, "config.json");
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
    cfg.process.terminal = false;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const id = `nixoci-test-${process.pid}-${Date.now()}`;
    const output = run("runc", ["run", "-b", bundle, id]);
    expect(output).toBe("hello from nixoci world\n");
  });

  it.skipIf(!installed("oci-image-tool"))("oci-image-tool validates the layout", () => {
    expect(run("oci-image-tool", ["validate", "--type", "image", "--ref", "name=1.0", `${out}/layout`])).toContain("Validation succeeded");
  });

  it("reads back every format as the same image", async () => {
    for (const ref of [`oci:${out}/layout:1.0`, `oci-archive:${out}/image.oci.tar:1.0`]) {
      const back = (await openLocalImage(ref)) as Image;
      expect(await back.digest()).toBe(digest);
      expect(await back.rawManifest()).toEqual(await image.rawManifest());
      const layers = await back.layers();
      expect(await Promise.all(layers.map((l) => l.diffId()))).toEqual((await image.configFile()).rootfs.diff_ids);
    }
    const fromDocker = await readDockerArchive(`${out}/image.docker.tar`, "hello:1.0");
    expect(await fromDocker.rawConfig()).toEqual(await image.rawConfig());
    const layers = await fromDocker.layers();
    expect(await Promise.all(layers.map((l) => l.digest()))).toEqual((await image.configFile()).rootfs.diff_ids);
  });

  it("writes a multi-platform index skopeo can choose from", async () => {
    const arm = await build(tmp(), { system: "aarch64-linux" });
    const dir = join(out, "multi");
    await writeOutput({ format: "layout", output: dir, images: [image, arm], ref: "hello:multi" });
    const raw = JSON.parse(run("skopeo", ["inspect", "--raw", `oci:${dir}:multi`]));
    expect(raw.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ]);
    const armConfig = JSON.parse(run("skopeo", ["inspect", "--override-arch", "arm64", "--override-variant", "v8", "--config", "--raw", `oci:${dir}:multi`]));
    expect(armConfig).toEqual(await arm.configFile());
    const amdConfig = JSON.parse(run("skopeo", ["inspect", "--override-arch", "amd64", "--config", "--raw", `oci:${dir}:multi`]));
    expect(amdConfig).toEqual(await image.configFile());
  });

  it("writes Docker v2 schema 2 manifests as skopeo converts ours", async () => {
    const docker = await build(tmp(), { format: "docker" });
    const dir = join(out, "v2s2");
    run("skopeo", ["copy", "-q", "--format", "v2s2", `oci:${out}/layout:1.0`, `dir:${dir}`]);
    const theirs = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(await docker.manifest()).toEqual(theirs);
  });
});

describe("errors leave no output behind", () => {
  it("missing store path", async () => {
    const out = tmp();
    const bad = buildImage({ layers: [["/nix/store/00000000000000000000000000000000-missing"]], roots: closure.roots, settings: {}, cache: new LayerCache(tmp()) });
    await expect(bad).rejects.toThrow(LayerInputError);
    expect(readdirSync(out)).toEqual([]);
  });

  it("conflicting customisation files", async () => {
    const other = makeClosure(tmp());
    // A second package providing bin/hello too.
    const dup = "/nix/store/3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.0";
    execFileSync("cp", ["-r", join(other.storeRoot, HELLO.slice(11)), join(other.storeRoot, dup.slice(11))]);
    const p = buildImage({
      layers: [[HELLO, dup]],
      roots: other.roots,
      settings: { copyToRoot: [HELLO, dup] },
      cache: new LayerCache(tmp()),
    });
    await expect(p).rejects.toThrow(CustomisationConflictError);
    await expect(p).rejects.toThrow(/'\/bin\/hello': provided by both .*hello-1.0 and .*hello-2.0/);
  });

  it("an interrupted write leaves neither the output nor its temp file", async () => {
    const out = tmp();
    const image = await build(tmp());
    const layers = await image.layers();
    const broken: Image = { ...image, layers: async () => [...layers, { ...layers[0]!, path: undefined, compressed: () => Readable.from((async function* () { yield Buffer.from("x"); throw new Error("disk on fire"); })()), digest: async () => `sha256:${"0".repeat(64)}` }] };
    await expect(writeOutput({ format: "oci", output: join(out, "x.tar"), images: [broken] })).rejects.toThrow(/disk on fire/);
    await expect(writeOutput({ format: "layout", output: join(out, "layout"), images: [broken] })).rejects.toThrow(/disk on fire/);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, "x.tar"))).toBe(false);
  });
});
