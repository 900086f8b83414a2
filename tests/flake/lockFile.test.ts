import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LockFileError, parseLockFile, resolveInputPath, serializeLockFile } from "../../src/evaluator/flake/lockFile.js";

const fixture = new URL("../fixtures/examples/with-input.flake.lock", import.meta.url).pathname;

describe("flake.lock", () => {
  it("round-trips a lock written by Nix 2.8 byte for byte", () => {
    const text = readFileSync(fixture, "utf8");
    expect(serializeLockFile(parseLockFile(text, fixture))).toBe(text);
  });

  it("sorts keys at every level like Nix's JSON writer", () => {
    const text = serializeLockFile({ version: 7, root: "root", nodes: { root: { inputs: { b: "b", a: "a" } }, b: { locked: { z: 1, a: 2 } }, a: { locked: { type: "path", path: "/x" } } } });
    expect(text.indexOf('"a": "a"')).toBeLessThan(text.indexOf('"b": "b"'));
    expect(text.indexOf('"path"')).toBeLessThan(text.indexOf('"type"'));
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("resolves follows paths through the graph", () => {
    const lock = parseLockFile(
      JSON.stringify({
        version: 7,
        root: "root",
        nodes: {
          root: { inputs: { a: "a", b: ["a", "c"] } },
          a: { locked: { type: "path", path: "/a" }, inputs: { c: "c" } },
          c: { locked: { type: "path", path: "/c" } },
        },
      }),
      "x",
    );
    expect(resolveInputPath(lock, ["b"])).toBe("c");
    expect(resolveInputPath(lock, ["a", "c"])).toBe("c");
    expect(resolveInputPath(lock, ["nope"])).toBeUndefined();
  });

  it.each([
    ["not json", "{", /invalid JSON/],
    ["wrong version", '{"version": 3, "root": "root", "nodes": {"root": {}}}', /unsupported version 3/],
    ["no root", '{"version": 7, "root": "r", "nodes": {}}', /no root node/],
    ["dangling input", '{"version": 7, "root": "root", "nodes": {"root": {"inputs": {"a": "missing"}}}}', /missing node/],
    ["unlocked node", '{"version": 7, "root": "root", "nodes": {"root": {"inputs": {"a": "a"}}, "a": {}}}', /not locked/],
  ])("rejects %s with the file name", (_name, text, re) => {
    expect(() => parseLockFile(text, "/p/flake.lock")).toThrow(LockFileError);
    expect(() => parseLockFile(text, "/p/flake.lock")).toThrow(re);
    expect(() => parseLockFile(text, "/p/flake.lock")).toThrow(/\/p\/flake\.lock/);
  });
});
