/**
 * `nixoci image build-from-paths` end to end (the compiled CLI, as `npm test`
 * builds it first): output accepted by skopeo/podman, and Ctrl-C leaves no
 * temp files or half-written output.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { haveTools } from "../helpers/tools.js";
import { BUSYBOX, HELLO, makeClosure } from "./closure.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;
const tmp = (): string => mkdtempSync(join(tmpdir(), "nixoci-cli-"));
const nixoci = (args: string[], env: NodeJS.ProcessEnv = {}): string =>
  execFileSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

/** podman is not in the CI tool list: its test runs where it is installed and is skipped elsewhere. */
const havePodman = (() => {
  try {
    execFileSync("sh", ["-c", "command -v podman"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveTools("skopeo"))("nixoci image build-from-paths", () => {
  const closure = makeClosure();
  const common = (dir: string): string[] => [
    "image",
    "build-from-paths",
    "--root",
    `/nix/store=${closure.storeRoot}`,
    "--layer",
    BUSYBOX,
    "--layer",
    HELLO,
    "--copy-to-root",
    BUSYBOX,
    "--entrypoint",
    JSON.stringify([`${HELLO}/bin/hello`, "from", "cli"]),
    "--env",
    "A=1",
    "--port",
    "8080",
    "-t",
    "hello:cli",
    "--cache",
    join(dir, "cache"),
  ];

  it("prints the digest skopeo sees, for every format", () => {
    const dir = tmp();
    const layoutDigest = nixoci([...common(dir), "--format", "layout", "-o", join(dir, "layout")], { SOURCE_DATE_EPOCH: "5" }).trim();
    const info = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${join(dir, "layout")}:cli`], { encoding: "utf8" }));
    expect(info.Digest).toBe(layoutDigest);
    expect(info.Created).toBe("1970-01-01T00:00:05Z");
    const archiveDigest = nixoci([...common(dir), "--format", "oci", "-o", join(dir, "x.tar")], { SOURCE_DATE_EPOCH: "5" }).trim();
    expect(archiveDigest).toBe(layoutDigest);
    // The archive itself is reproducible too.
    const sum = (f: string): string => execFileSync("sha256sum", [f], { encoding: "utf8" }).split(" ")[0]!;
    const first = sum(join(dir, "x.tar"));
    nixoci([...common(dir), "--format", "oci", "-o", join(dir, "x.tar")], { SOURCE_DATE_EPOCH: "5" });
    expect(sum(join(dir, "x.tar"))).toBe(first);
  });

  it.skipIf(!havePodman)("docker-archive loads and runs in podman", () => {
    const dir = tmp();
    nixoci([...common(dir), "--format", "docker", "-o", join(dir, "d.tar")]);
    const podman = ["--root", join(dir, "root"), "--runroot", join(dir, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc"];
    execFileSync("podman", [...podman, "load", "-i", join(dir, "d.tar")], { stdio: "pipe" });
    const out = execFileSync("podman", [...podman, "run", "--rm", "--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", "localhost/hello:cli"], {
      encoding: "utf8",
    });
    expect(out).toBe("hello from nixoci from cli\n");
  });

  it("Ctrl-C during a build leaves no temp file and no output", async () => {
    const dir = tmp();
    const big = "/nix/store/4bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-big";
    const bigDir = join(closure.storeRoot, big.slice(11));
    mkdirSync(bigDir, { recursive: true });
    // Random bytes compress slowly: the build is surely still running when we interrupt it.
    writeFileSync(join(bigDir, "blob"), randomBytes(48 * 1024 * 1024));
    const out = join(dir, "out");
    mkdirSync(out);
    const blobs = join(dir, "cache", "blobs", "sha256");
    const child = spawn(process.execPath, [bin, ...common(dir), "--layer", big, "--format", "oci", "-o", join(out, "image.tar")], { stdio: "ignore" });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    // Interrupt once a layer temp file exists (the process is mid-write).
    for (let i = 0; i < 500; i++) {
      if (existsSync(blobs) && readdirSync(blobs).some((f) => f.includes(".tmp-"))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(readdirSync(blobs).some((f) => f.includes(".tmp-"))).toBe(true);
    child.kill("SIGINT");
    const { signal } = await exited;
    expect(signal).toBe("SIGINT");
    expect(readdirSync(blobs).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });
});
