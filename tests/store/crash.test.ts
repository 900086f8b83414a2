/**
 * Crash safety: `nixoci realise` processes (and their builders) are killed
 * with SIGKILL at random moments, over and over; after each kill the store
 * must verify clean (every registered path complete and unmodified), and at
 * the end every build must succeed when rerun. Also: two processes building
 * the same derivation at once both succeed (locks), and GC keeps roots.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore, verifyStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate } from "./nixOracle.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;
const fixture = join(import.meta.dirname, "../fixtures/store/crash.nix");

// Deterministic pseudo-random delays (a failure must be reproducible).
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function realise(root: string, drvs: string[]) {
  return spawn(process.execPath, [bin, "realise", "--store", root, "--no-out-link", ...drvs], { stdio: ["ignore", "pipe", "pipe"] });
}

/** All descendants of a process, from /proc (parent PID is field 4 of /proc/PID/stat). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      parentOf.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    for (const [child, parent] of parentOf) if (parent === p) (out.push(child), todo.push(child));
  }
  return out;
}

describe.skipIf(!haveTools("nix-instantiate", "bwrap") || !existsSync(new URL("../../dist/cli/main.js", import.meta.url)))(
  "crash safety and concurrency",
  () => {
    let dir: string;
    let root: string;
    let drvs: string[];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "nixoci-crash-"));
      root = join(dir, "ours");
      drvs = nixInstantiate(join(dir, "nix"), fixture, ["--arg", "count", "50", "--argstr", "salt", String(process.pid)]);
      const store = new LocalStore({ root });
      importFromNix(store, join(dir, "nix"), drvs);
      store.close();
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("survives 50 SIGKILLs of the registering process or its builder at random points", async () => {
      const random = rng(42);
      let killedParent = 0;
      let killedBuilder = 0;
      for (let i = 0; i < drvs.length; i++) {
        const child = realise(root, [drvs[i]!]);
        const exited = new Promise<void>((r) => child.on("close", () => r()));
        if (random() < 0.3) {
          // Kill the builder (bwrap and below) while it runs, then the registering process.
          // Wait (however loaded the machine) until the builder runs or the process is done.
          let exitedEarly = false;
          void exited.then(() => (exitedEarly = true));
          let builders: number[] = [];
          for (let t = 0; t < 1000 && builders.length === 0 && !exitedEarly; t++) {
            await new Promise((r) => setTimeout(r, 5));
            builders = descendants(child.pid!);
          }
          await new Promise((r) => setTimeout(r, random() * 80));
          for (const pid of descendants(child.pid!)) {
            try {
              process.kill(pid, "SIGKILL");
              killedBuilder++;
            } catch {
              /* already gone */
            }
          }
          await new Promise((r) => setTimeout(r, random() * 200));
        } else {
          // A run takes about 0.8 s here (process start, two builds, registration): kill anywhere in it.
          await new Promise((r) => setTimeout(r, 50 + random() * 800));
        }
        child.kill("SIGKILL");
        killedParent++;
        await exited;
        const store = new LocalStore({ root }); // opening cleans up what the crash left
        try {
          expect(verifyStore(store, { checkContents: true })).toEqual([]);
          const temps = readdirSync(store.location.realStoreDir).filter((e) => e.startsWith(".nixoci-tmp-"));
          expect(temps).toEqual([]);
          expect(readdirSync(join(store.location.nixociDir, "builds"))).toEqual([]);
        } finally {
          store.close();
        }
      }
      expect(killedParent).toBe(50);
      expect(killedBuilder).toBeGreaterThan(0);

      // A rerun of everything succeeds and the store is still clean.
      const rerun = realise(root, drvs);
      let stderr = "";
      rerun.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => rerun.on("close", (c) => r(c)));
      expect(stderr.split("\n").filter((l) => l.startsWith("error")), stderr).toEqual([]);
      expect(code).toBe(0);
      const store = new LocalStore({ root });
      try {
        expect(verifyStore(store, { checkContents: true })).toEqual([]);
      } finally {
        store.close();
      }
    });

    it("two processes building the same derivations at once both succeed", async () => {
      const [more] = [nixInstantiate(join(dir, "nix"), fixture, ["--arg", "count", "3", "--argstr", "salt", `c${process.pid}`])];
      const s = new LocalStore({ root });
      importFromNix(s, join(dir, "nix"), more);
      s.close();
      const runs = [realise(root, more), realise(root, more)];
      const outs = await Promise.all(
        runs.map(
          (c) =>
            new Promise<{ code: number | null; out: string }>((r) => {
              let out = "";
              c.stdout!.on("data", (d: Buffer) => (out += d.toString()));
              c.on("close", (code) => r({ code, out }));
            }),
        ),
      );
      expect(outs.map((o) => o.code)).toEqual([0, 0]);
      expect(outs[0]!.out).toBe(outs[1]!.out);
      expect(outs[0]!.out.split("\n").filter(Boolean)).toHaveLength(3);
    });
  },
);
