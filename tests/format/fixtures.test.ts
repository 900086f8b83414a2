import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveTools } from "../helpers/tools.js";

// The committed vectors must be what the installed Nix 2.8 produces today:
// rerun the generators into a temporary file and compare.
describe.skipIf(!haveTools("nix", "nix-instantiate", "nix-store"))("committed vectors are reproducible with the installed Nix", () => {
  const dir = mkdtempSync(join(tmpdir(), "nixoci-fixtures-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fixtures = new URL("../fixtures/format/", import.meta.url).pathname;

  it.each(["hashes", "paths"])("%s.json", (name) => {
    const out = join(dir, `${name}.json`);
    execFileSync("node", [join(fixtures, `generate-${name}.mjs`)], { env: { ...process.env, OUT: out }, stdio: ["ignore", "ignore", "pipe"] });
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(fixtures, `${name}.json`), "utf8"));
  });

  it("src-tree.nar", () => {
    const nar = execFileSync("nix-store", ["--dump", join(fixtures, "src-tree")], { maxBuffer: 1 << 24 });
    expect(nar.equals(readFileSync(join(fixtures, "src-tree.nar")))).toBe(true);
  });
});
