import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildImage, TooManyLayersError } from "../../src/oci/buildImage.js";
import { CustomisationConflictError, customisationTree } from "../../src/oci/customisation.js";
import type { Image } from "../../src/oci/image.js";
import { buildImageConfig } from "../../src/oci/imageConfig.js";
import { LayerCache } from "../../src/oci/layerCache.js";
import { mergeImageSettings, parseImageSettings } from "../../src/oci/settings.js";
import { BUSYBOX, HELLO, makeClosure } from "./closure.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "nixoci-set-"));

describe("parseImageSettings", () => {
  it("accepts every attribute in its documented forms", () => {
    const s = parseImageSettings({
      name: "web",
      tag: "1",
      entrypoint: "/bin/web",
      cmd: ["--port", "80"],
      env: ["A=1", "B=x=y"],
      ports: [80, "53/udp", "8080/tcp"],
      user: "1000:1000",
      workingDir: "/srv",
      labels: { a: "b" },
      annotations: { "org.opencontainers.image.source": "https://example.org/x" },
      volumes: ["/data"],
      stopSignal: "SIGTERM",
      maxLayers: 20,
      layering: "popularity",
      disallow: ["/nix/store/x-gcc"],
      created: "2024-01-02T03:04:05Z",
      copyToRoot: "/nix/store/x-busybox",
      linkDirs: ["bin", "share"],
      addUser: { name: "web", uid: 1000, gid: 100 },
      tmp: false,
      caCertificates: "/nix/store/x-cacert",
      perms: [{ regex: "^/srv", mode: "0750", uid: 1000 }],
    });
    expect(s.entrypoint).toEqual(["/bin/web"]);
    expect(s.env).toEqual({ A: "1", B: "x=y" });
    expect(s.ports).toEqual(["80/tcp", "53/udp", "8080/tcp"]);
    expect(s.created).toBe(1704164645);
    expect(s.copyToRoot).toEqual(["/nix/store/x-busybox"]);
    expect(s.perms).toEqual([{ regex: "^/srv", mode: 0o750, uid: 1000 }]);
    expect(parseImageSettings({ created: "now" }).created).toBe("now");
  });

  it.each([
    [{ entrypoint: 3 }, /passthru\.nixoci\.entrypoint: expected a list of strings or a string, got number 3/],
    [{ cmd: ["a", 1] }, /passthru\.nixoci\.cmd\[1\]: expected a string/],
    [{ env: { A: 1 } }, /passthru\.nixoci\.env\.A: expected a string, got number 1/],
    [{ env: ["NOEQUALS"] }, /env\[0\]: expected "NAME=value"/],
    [{ ports: ["http"] }, /ports\[0\]: expected a port like 8080/],
    [{ ports: [70000] }, /ports\[0\]/],
    [{ maxLayers: 0 }, /maxLayers: must be between 1 and 127/],
    [{ maxLayers: "3" }, /maxLayers: expected an integer, got string "3"/],
    [{ workingDir: "srv" }, /workingDir: expected an absolute path/],
    [{ created: "yesterday" }, /created: expected "now", seconds since the epoch, or an RFC 3339 time/],
    [{ addUser: { name: "x", uid: 0, gid: 1 } }, /addUser\.uid: must be between 1/],
    [{ perms: [{ regex: "(" }] }, /perms\[0\]\.regex: invalid regular expression/],
    [{ perms: [{ regex: "x", colour: "red" }] }, /perms\[0\]\.colour: unknown attribute/],
    [{ entryPoint: "/x" }, /passthru\.nixoci\.entryPoint: unknown attribute/],
    [[], /passthru\.nixoci: expected an attribute set, got a list/],
  ])("rejects %j", (value, message) => {
    expect(() => parseImageSettings(value)).toThrow(message);
  });

  it("lets later settings win, merging env and labels per key", () => {
    const m = mergeImageSettings({ env: { A: "1", B: "2" }, cmd: ["a"], labels: { x: "1" } }, { env: { B: "3" }, cmd: ["b"] });
    expect(m).toEqual({ env: { A: "1", B: "3" }, cmd: ["b"], labels: { x: "1" } });
  });
});

describe("customisation layer", () => {
  it("merges directories present in several packages, like buildEnv", async () => {
    const root = tmp();
    for (const [pkg, file] of [["a-one", "share/man/one.1"], ["b-two", "share/man/two.1"], ["c-three", "share/doc/x"]] as const) {
      mkdirSync(join(root, pkg, file, ".."), { recursive: true });
      writeFileSync(join(root, pkg, file), "x");
    }
    const tree = await customisationTree(
      { copyToRoot: ["/nix/store/a-one", "/nix/store/b-two", "/nix/store/c-three"], linkDirs: ["share"], tmp: false },
      { "/nix/store": root },
    );
    expect([...tree.entries()].map((e) => (e.type === "symlink" ? `${e.path} -> ${e.target}` : `${e.path}/`))).toEqual([
      "/share/",
      "/share/doc -> /nix/store/c-three/share/doc",
      "/share/man/",
      "/share/man/one.1 -> /nix/store/a-one/share/man/one.1",
      "/share/man/two.1 -> /nix/store/b-two/share/man/two.1",
    ]);
  });

  it("links a CA bundle under both usual names and conflicts are typed errors", async () => {
    const root = tmp();
    mkdirSync(join(root, "x-cacert", "etc", "ssl", "certs"), { recursive: true });
    writeFileSync(join(root, "x-cacert", "etc", "ssl", "certs", "ca-bundle.crt"), "PEM");
    mkdirSync(join(root, "y-passwd", "etc"), { recursive: true });
    writeFileSync(join(root, "y-passwd", "etc", "passwd"), "root:x:0:0::/:/bin/sh\n");
    const roots = { "/nix/store": root };
    const tree = await customisationTree({ caCertificates: "/nix/store/x-cacert" }, roots);
    const links = [...tree.entries()].filter((e) => e.type === "symlink");
    expect(links.map((e) => [e.path, e.type === "symlink" && e.target])).toEqual([
      ["/etc/ssl/certs/ca-bundle.crt", "/nix/store/x-cacert/etc/ssl/certs/ca-bundle.crt"],
      ["/etc/ssl/certs/ca-certificates.crt", "/nix/store/x-cacert/etc/ssl/certs/ca-bundle.crt"],
    ]);
    expect([...tree.entries()].find((e) => e.path === "/tmp")?.mode).toBe(0o1777);
    await expect(
      customisationTree({ copyToRoot: ["/nix/store/y-passwd"], linkDirs: ["etc"], addUser: { name: "app", uid: 1, gid: 1 } }, roots),
    ).rejects.toThrow(CustomisationConflictError);
  });
});

describe("base images", () => {
  const closure = makeClosure();

  async function base(): Promise<Image> {
    return buildImage({
      layers: [[BUSYBOX]],
      roots: closure.roots,
      settings: { env: { PATH: "/usr/local/bin:/bin", LANG: "C" }, cmd: ["sh"], labels: { base: "yes" }, tmp: false },
      cache: new LayerCache(tmp()),
    });
  }

  it("puts the base layers first and merges the config (ours wins, PATH joined)", async () => {
    const b = await base();
    const img = await buildImage({
      layers: [[HELLO]],
      roots: closure.roots,
      settings: { env: { LANG: "C.UTF-8", PATH: "/app/bin" }, entrypoint: ["/bin/hello"], tmp: false },
      base: b,
      cache: new LayerCache(tmp()),
    });
    const c = await img.configFile();
    expect(c.config?.Env).toEqual(["PATH=/app/bin:/usr/local/bin:/bin", "LANG=C.UTF-8"]);
    expect(c.config?.Entrypoint).toEqual(["/bin/hello"]);
    expect(c.config?.Cmd).toBeUndefined();
    expect(c.config?.Labels).toEqual({ base: "yes" });
    const baseLayers = await b.layers();
    const layers = await img.layers();
    expect(await layers[0]!.digest()).toBe(await baseLayers[0]!.digest());
    expect(c.rootfs.diff_ids[0]).toBe((await b.configFile()).rootfs.diff_ids[0]);
    expect(c.history).toHaveLength(2);
  });

  it("counts base layers against maxLayers", async () => {
    const b = await base();
    await expect(
      buildImage({ layers: [[HELLO]], roots: closure.roots, settings: { maxLayers: 2 }, base: b, cache: new LayerCache(tmp()) }),
    ).rejects.toThrow(TooManyLayersError);
  });

  it("defaults PATH when none is given", () => {
    const c = buildImageConfig({ settings: {}, system: "aarch64-linux", created: 1, layerHistory: [] });
    expect(c.config?.Env).toEqual(["PATH=/bin:/usr/bin:/sbin:/usr/sbin"]);
    expect([c.architecture, c.variant, c.created]).toEqual(["arm64", "v8", "1970-01-01T00:00:01Z"]);
  });

});
