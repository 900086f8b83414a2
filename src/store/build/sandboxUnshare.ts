/**
 * The same sandbox as {@link bwrapArgs}, built with util-linux `unshare`
 * when bubblewrap is not installed: an outer user namespace (mapped root)
 * with private mount, pid, net (unless fixed-output), uts and ipc namespaces
 * runs a host shell script that assembles the root on a tmpfs with bind
 * mounts; a nested user namespace then maps uid/gid 1000/100 to it, chroots
 * and execs the builder, which therefore has no capabilities, as under Nix.
 */
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { SANDBOX_BUILD_DIR, SANDBOX_GID, SANDBOX_UID, type SandboxSpec } from "./sandbox.js";

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const DEV_NODES = ["/dev/full", "/dev/kvm", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero"];

/** Command, arguments and environment that run `spec` under `unshare`; `rootDir` is an empty physical directory. */
export function unshareCommand(spec: SandboxSpec, rootDir: string): { command: string; args: string[]; env: Record<string, string> } {
  const R = q(rootDir);
  const lines: string[] = ["set -e", `mount -t tmpfs -o mode=0750 none ${R}`];
  const dir = (p: string, mode = "0755") => lines.push(`mkdir -p ${q(rootDir + p)}`, `chmod ${mode} ${q(rootDir + p)}`);
  const bind = (src: string, dst: string, ro: boolean, isDir: boolean) => {
    lines.push(`mkdir -p ${q(rootDir + dirname(dst))}`);
    lines.push(isDir ? `mkdir -p ${q(rootDir + dst)}` : `touch ${q(rootDir + dst)}`);
    lines.push(`mount --bind ${q(src)} ${q(rootDir + dst)}`);
    if (ro) lines.push(`mount -o remount,bind,ro ${q(rootDir + dst)}`);
  };
  dir("/etc");
  for (const [name, physical] of spec.etcFiles) bind(physical, `/etc/${name}`, true, false);
  dir("/nix");
  bind(spec.scratchStoreDir, spec.storeDir, false, true);
  for (const [logical, physical] of [...spec.inputs].sort()) {
    // A store object that is itself a symlink: recreate the link (a bind mount would follow it on the host).
    if (lstatSync(physical).isSymbolicLink()) {
      lines.push(`ln -s ${q(readlinkSync(physical))} ${q(rootDir + logical)}`);
      continue;
    }
    lines.push(`if [ -d ${q(physical)} ]; then mkdir -p ${q(rootDir + logical)}; else touch ${q(rootDir + logical)}; fi`,
      `mount --bind ${q(physical)} ${q(rootDir + logical)}`, `mount -o remount,bind,ro ${q(rootDir + logical)}`);
  }
  for (const [target, source] of spec.extraPaths) bind(source, target, true, false);
  bind(spec.buildDir, SANDBOX_BUILD_DIR, false, true);
  dir("/tmp", "1777");
  lines.push(`mount -t tmpfs -o mode=1777 none ${q(rootDir + "/tmp")}`);
  dir("/dev");
  lines.push(`mount -t tmpfs -o mode=0755 none ${q(rootDir + "/dev")}`);
  for (const d of DEV_NODES.filter((d) => existsSync(d))) bind(d, d, false, false);
  for (const [target, link] of [
    ["/proc/self/fd", "/dev/fd"],
    ["/proc/self/fd/0", "/dev/stdin"],
    ["/proc/self/fd/1", "/dev/stdout"],
    ["/proc/self/fd/2", "/dev/stderr"],
    ["/dev/pts/ptmx", "/dev/ptmx"],
  ])
    lines.push(`ln -s ${q(target!)} ${q(rootDir + link!)}`);
  dir("/dev/pts");
  dir("/dev/shm", "1777");
  lines.push(`mount -t tmpfs -o mode=1777 none ${q(rootDir + "/dev/shm")}`);
  dir("/proc");
  lines.push(`mount -t proc proc ${q(rootDir + "/proc")}`);
  lines.push(`mount -o remount,bind,ro ${R}`);
  lines.push("hostname localhost");
  if (!spec.network) lines.push("(ip link set lo up || ifconfig lo up) >/dev/null 2>&1 || true");
  const inner = spec.extraPaths.has("/bin/sh")
    ? ["/bin/sh", "-c", 'unset SHLVL; exec -a "$0" "$@"', basename(spec.builder), spec.builder, ...spec.args]
    : [spec.builder, ...spec.args];
  // The setup shell's own variables must not leak: start the builder from a clean environment.
  const envArgs = Object.entries(spec.env).map(([k, v]) => q(`${k}=${v}`));
  lines.push(
    `exec env -i ${envArgs.join(" ")} "$(command -v unshare)" --user --map-user=${SANDBOX_UID} --map-group=${SANDBOX_GID} --root=${R} --wd=${SANDBOX_BUILD_DIR} -- ${inner.map(q).join(" ")}`,
  );
  return {
    command: "unshare",
    args: [
      "--user",
      "--map-root-user",
      "--mount",
      "--propagation",
      "private",
      "--pid",
      "--fork",
      "--kill-child",
      "--uts",
      "--ipc",
      ...(spec.network ? [] : ["--net"]),
      "--",
      "/bin/sh",
      "-c",
      lines.join("\n"),
    ],
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
  };
}
