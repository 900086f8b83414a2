// The build path and the flake commands print an evaluation error's text as is (no logger in
// between): it comes without the colour escapes some messages carry, as Nix prints to a pipe.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateInstallable } from "../../src/evaluator/flake/evaluate.js";
import { LocalStore } from "../../src/store/index.js";

describe("an evaluation error on the build path", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-errtext-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("has no escape sequences, and keeps toml11's indented empty last line", () => {
    mkdirSync(join(work, "f"));
    writeFileSync(join(work, "f/flake.nix"), '{ outputs = { self }: { packages.x86_64-linux.default = builtins.fromTOML "a = 9223372036854775808"; }; }\n');
    const store = Object.assign(new LocalStore({ root: join(work, "store") }), { narHashOf: () => "" });
    const r = evaluateInstallable({ cwd: work, installable: "path:./f", system: "x86_64-linux", noEvalCache: true, noFetchCache: true, noWriteLock: true }, store);
    expect(r.error).toBeDefined();
    expect(r.error).not.toMatch(/\x1b/);
    expect(r.error).toMatch(/\^-- must be < 2\^63\n {7}$/);
  });
});
