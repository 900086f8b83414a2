import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StoreDatabase } from "../../src/store/database.js";

const dirs: string[] = [];
function tempDb(): StoreDatabase {
  const dir = mkdtempSync(join(tmpdir(), "nixoci-db-"));
  dirs.push(dir);
  return new StoreDatabase(join(dir, "db"));
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const A = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a";
const B = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b";
const D = "/nix/store/dddddddddddddddddddddddddddddddd-b.drv";
const H = "sha256:" + "0".repeat(64);

describe("StoreDatabase", () => {
  it("writes Nix's schema version file and registers paths with references in one batch", () => {
    const db = tempDb();
    expect(readFileSync(join(db.dbDir, "schema"), "utf8")).toBe("10");
    db.registerValidPaths([
      { path: B, narHash: H, narSize: 8, references: [A, B], deriver: D },
      { path: A, narHash: H, narSize: 4, references: [] },
    ]);
    expect(db.isValidPath(A)).toBe(true);
    const info = db.queryPathInfo(B)!;
    expect(info.references).toEqual([A, B]);
    expect(info.deriver).toBe(D);
    expect(db.queryReferrers(A)).toEqual([B]);
    expect(() => db.invalidatePath(A)).toThrow();
    db.invalidatePath(B);
    db.invalidatePath(A);
    expect(db.isValidPath(A)).toBe(false);
    db.close();
  });

  it("rejects a reference to an invalid path and registers nothing of the batch", () => {
    const db = tempDb();
    expect(() => db.registerValidPaths([{ path: B, narHash: H, narSize: 1, references: [A] }])).toThrow(/not valid/);
    expect(db.isValidPath(B)).toBe(false);
    db.close();
  });

  it("records derivation outputs and valid derivers", () => {
    const db = tempDb();
    db.registerValidPaths([{ path: D, narHash: H, narSize: 1, references: [] }], new Map([[D, new Map([["out", B]])]]));
    expect(db.queryDerivationOutputs(D)).toEqual(new Map([["out", B]]));
    expect(db.queryValidDerivers(B)).toEqual([D]);
    db.close();
  });
});
