/**
 * Running a Nix 2.8 command that builds (nix-build, nix-store -r, nix build).
 *
 * Nix 2.8 sometimes reports a builder as "failed due to signal 9 (Killed)":
 * it kills the builder as soon as the log pipe reaches EOF, and on a loaded
 * machine the builder has not finished exiting by then (seen on 1 build in
 * 30 when idle, 1 in 4 with both cores busy). Such a failure says nothing
 * about the derivation, so the command is run again, after a pause that
 * grows, until it ends any other way.
 */
import { execFileSync, type ExecFileSyncOptions } from "node:child_process";

const KILLED = "failed due to signal 9 (Killed)";
const ATTEMPTS = 25;

export class NixCommandError extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} exited with ${status}:\n${stderr}`);
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs cmd with args, retrying Nix's spurious kills; returns stdout, or
 * throws a NixCommandError with stdout and stderr.
 */
export function runNixBuild(cmd: string, args: string[], options: Pick<ExecFileSyncOptions, "cwd" | "env" | "input"> = {}): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync(cmd, args, { ...options, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
    } catch (err) {
      const e = err as { status?: number | null; stdout?: string; stderr?: string };
      const stderr = String(e.stderr ?? "");
      if (attempt < ATTEMPTS && stderr.includes(KILLED)) {
        pause(Math.min(50 * attempt, 500));
        continue;
      }
      throw new NixCommandError(`${cmd} ${args.join(" ")}`, e.status ?? null, String(e.stdout ?? ""), stderr);
    }
  }
}
