/**
 * The command line that runs a builder in a Linux-namespace sandbox shaped
 * like Nix 2.8's: `/` holds only bin build dev etc nix proc tmp; the input
 * closure read-only under /nix/store; a private writable store dir in which
 * the builder creates its outputs; /build as cwd; uid 1000 / gid 100;
 * hostname localhost; only `lo` unless the derivation is fixed-output.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { basename } from "node:path";

export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 100;
export const SANDBOX_BUILD_DIR = "/build";
/** Device nodes Nix binds into the sandbox (kvm only where it exists). */
const DEV_NODES = ["/dev/full", "/dev/kvm", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero"];

export interface SandboxSpec {
  readonly builder: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Physical directory mounted at /build. */
  readonly buildDir: string;
  /** Physical directory mounted (writable) at the logical store dir; outputs are created in it. */
  readonly scratchStoreDir: string;
  readonly storeDir: string;
  /** Store paths visible read-only: logical path → physical path. */
  readonly inputs: ReadonlyMap<string, string>;
  /** `sandbox-paths`: target inside → source outside (`/bin/sh` → busybox). */
  readonly extraPaths: ReadonlyMap<string, string>;
  /** Physical files for /etc: name → physical path (passwd, group, hosts, ...). */
  readonly etcFiles: ReadonlyMap<string, string>;
  /** Fixed-output derivations keep the host network. */
  readonly network: boolean;
}

/** Default `sandbox-paths`: a static busybox as /bin/sh, as Nix's `sandbox-paths = /bin/sh=…busybox`. */
export function defaultSandboxPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const candidate of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (existsSync(candidate)) {
      paths.set("/bin/sh", realpathSync(candidate));
      break;
    }
  }
  return paths;
}

/** Parse Nix's `sandbox-paths` syntax: "TARGET=SOURCE" or "PATH", space separated, "?" suffix = optional. */
export function parseSandboxPaths(spec: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (let item of spec.split(/\s+/).filter((s) => s !== "")) {
    const optional = item.endsWith("?");
    if (optional) item = item.slice(0, -1);
    const eq = item.indexOf("=");
    const [target, source] = eq < 0 ? [item, item] : [item.slice(0, eq), item.slice(eq + 1)];
    if (optional && !existsSync(source)) continue;
    paths.set(target, source);
  }
  return paths;
}

/**
 * bwrap arguments (everything after "bwrap"). argv[0] of the builder is its
 * base name, as Nix's execve; bwrap cannot set it, so when the sandbox has a
 * busybox /bin/sh we let it `exec -a` the builder (SHLVL unset so the
 * builder's shell starts at SHLVL=1 like under Nix).
 */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const a: string[] = [
    "--unshare-user",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(spec.network ? [] : ["--unshare-net"]),
    "--uid", String(SANDBOX_UID),
    "--gid", String(SANDBOX_GID),
    "--hostname", "localhost",
    "--die-with-parent",
    "--new-session",
    "--as-pid-1",
    "--perms", "0750", "--tmpfs", "/",
    "--perms", "0755", "--dir", "/etc",
    "--perms", "0755", "--dir", "/nix",
  ];
  for (const [name, physical] of spec.etcFiles) a.push("--ro-bind", physical, `/etc/${name}`);
  a.push("--bind", spec.scratchStoreDir, spec.storeDir);
  for (const [logical, physical] of [...spec.inputs].sort()) {
    // A store object that is itself a symlink: recreate the link (binding would follow it on the host).
    if (lstatSync(physical).isSymbolicLink()) a.push("--symlink", readlinkSync(physical), logical);
    else a.push("--ro-bind", physical, logical);
  }
  for (const [target, source] of spec.extraPaths) {
    for (const dir of parentDirs(target)) a.push("--perms", "0755", "--dir", dir);
    a.push("--ro-bind", source, target);
  }
  a.push(
    "--bind", spec.buildDir, SANDBOX_BUILD_DIR,
    "--perms", "1777", "--tmpfs", "/tmp",
    // /dev as Nix builds it (bwrap's --dev would add /dev/core and host-specific extras).
    "--perms", "0755", "--tmpfs", "/dev",
    ...DEV_NODES.filter((d) => existsSync(d)).flatMap((d) => ["--dev-bind", d, d]),
    "--symlink", "/proc/self/fd", "/dev/fd",
    "--symlink", "/proc/self/fd/0", "/dev/stdin",
    "--symlink", "/proc/self/fd/1", "/dev/stdout",
    "--symlink", "/proc/self/fd/2", "/dev/stderr",
    "--symlink", "/dev/pts/ptmx", "/dev/ptmx",
    "--perms", "0755", "--dir", "/dev/pts",
    "--perms", "1777", "--tmpfs", "/dev/shm",
    "--proc", "/proc",
    "--remount-ro", "/",
    "--chdir", SANDBOX_BUILD_DIR,
    "--clearenv",
  );
  for (const [k, v] of Object.entries(spec.env)) a.push("--setenv", k, v);
  if (spec.extraPaths.has("/bin/sh")) {
    a.push("--", "/bin/sh", "-c", 'unset SHLVL; exec -a "$0" "$@"', basename(spec.builder), spec.builder, ...spec.args);
  } else {
    a.push("--", spec.builder, ...spec.args);
  }
  return a;
}

function parentDirs(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "");
  const dirs: string[] = [];
  for (let i = 1; i < parts.length; i++) dirs.push("/" + parts.slice(0, i).join("/"));
  return dirs.filter((d) => d !== "/nix" && d !== "/etc");
}

/** The /etc files Nix 2.8 writes into the sandbox. */
export function sandboxEtcFiles(fixedOutput: boolean): Map<string, string> {
  const files = new Map<string, string>([
    ["group", `root:x:0:\nnixbld:!:${SANDBOX_GID}:\nnogroup:x:65534:\n`],
    [
      "passwd",
      `root:x:0:0:Nix build user:${SANDBOX_BUILD_DIR}:/noshell\n` +
        `nixbld:x:${SANDBOX_UID}:${SANDBOX_GID}:Nix build user:${SANDBOX_BUILD_DIR}:/noshell\n` +
        "nobody:x:65534:65534:Nobody:/:/noshell\n",
    ],
  ]);
  if (!fixedOutput) files.set("hosts", "127.0.0.1 localhost\n::1 localhost\n");
  else files.set("nsswitch.conf", "hosts: files dns\nservices: files\n");
  return files;
}

/** Host files a fixed-output derivation sees for name resolution (bound when present). */
export const FIXED_OUTPUT_HOST_ETC = ["resolv.conf", "services", "hosts"] as const;
