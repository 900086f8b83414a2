import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const bin = new URL("../bin/nixoci.js", import.meta.url).pathname;

describe("nixoci command", () => {
  it("prints its version from package.json", () => {
    const out = execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("exits non-zero with help on an unknown command", () => {
    let status = 0;
    try {
      execFileSync(process.execPath, [bin, "no-such-command"], { stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).not.toBe(0);
  });
});
