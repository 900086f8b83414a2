import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";

const repoRoot = new URL("../..", import.meta.url).pathname;

/**
 * Fill `work` with a copy of examples/ in a fresh git work tree, every file
 * tracked: how a fresh clone looks to a flake (Nix and nixoci see only
 * tracked files).
 */
export function initExampleWorkTree(work: string): void {
  cpSync(join(repoRoot, "examples"), join(work, "examples"), { recursive: true });
  execFileSync("git", ["init", "-q", work]);
  execFileSync("git", ["-C", work, "add", "-A"]);
}
