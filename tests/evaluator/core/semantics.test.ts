// Behaviour of current Nix that Nix 2.8 (our installed oracle) does not have
// or prints differently; expected texts are current Nix's messages, taken
// from Nix's own language tests (tests/functional/lang/*.err.exp).
import { describe, expect, it } from "vitest";
import { Evaluator } from "../../../src/evaluator/evaluator.js";
import { MemoryStore } from "../../../src/evaluator/memoryStore.js";
import { STRING_FILE, toBytes } from "../../../src/evaluator/values.js";
import { evalError, evalStrict } from "./helpers.js";

describe("evaluator semantics (current Nix)", () => {
  it("reports 64-bit integer overflow", () => {
    expect(evalError("9223372036854775807 + 1")).toBe("integer overflow in adding 9223372036854775807 + 1");
    expect(evalError("(-9223372036854775807) - 2")).toBe("integer overflow in subtracting -9223372036854775807 - 2");
    expect(evalError("4611686018427387904 * 2")).toBe("integer overflow in multiplying 4611686018427387904 * 2");
  });

  it("reports infinite recursion and max-call-depth", () => {
    expect(evalError("let x = x; in x")).toBe("infinite recursion encountered");
    // In-process the JS stack is small; the CLI runs deep evaluations on a big stack (cli.test.ts).
    expect(evalError("let f = n: 1 + f n; in f 0", 300)).toBe("stack overflow; max-call-depth exceeded");
  });

  it("after a max-call-depth error the call depth is back where it was", () => {
    const ev = new Evaluator({ store: new MemoryStore(), env: {} });
    ev.maxCallDepth = 50;
    // Through a lambda call, a builtin's call, deepSeq's and toJSON's levels.
    const deep = [
      "let f = n: 1 + f n; in f 0",
      "let f = n: builtins.add 1 (f n); in f 0",
      "builtins.deepSeq (builtins.foldl' (t: h: { inherit t; }) null (builtins.genList (x: x) 100)) 1",
      "builtins.toJSON (builtins.foldl' (t: h: { inherit t; }) null (builtins.genList (x: x) 100))",
    ];
    for (const e of deep) {
      expect(() => ev.forceDeep(ev.evalExprText(toBytes(e), STRING_FILE, "/"))).toThrow("max-call-depth");
      expect(ev.callDepth).toBe(0);
    }
  });

  it("is lazy and black-holes only while forcing", () => {
    expect(evalStrict("let x = { a = throw \"no\"; b = 1; }; in x.b")).toBe("1");
    expect(evalStrict("(builtins.tryEval (let x = throw \"t\"; in x)).success")).toBe("false");
    // A thunk whose evaluation failed can be forced again (and fails again the same way).
    expect(evalStrict("let x = throw \"t\"; in [ (builtins.tryEval x).success (builtins.tryEval x).success ]")).toBe("[ false false ]");
  });

  it("folds a million elements and keeps deep structures without crashing", () => {
    expect(evalStrict("builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000)")).toBe("499999500000");
    expect(evalStrict("builtins.length (builtins.foldl' (acc: x: [ acc x ]) [ ] (builtins.genList (x: x) 100000))")).toBe("2");
  });

  it("prints sets and lists seen before as «repeated» (printAmbiguous)", () => {
    expect(evalStrict("let a = { x = 1; }; l = [ 1 ]; in [ a a l l ]")).toBe("[ { x = 1; } «repeated» [ 1 ] «repeated» ]");
  });

  it("keeps string context through string operations", () => {
    const f = 'builtins.toFile "f" "x"';
    expect(evalStrict(`builtins.attrNames (builtins.getContext (builtins.substring 0 0 "\${${f}}"))`)).toMatch(/^\[ "\/nix\/store\/[a-z0-9]{32}-f" \]$/);
    expect(evalStrict(`builtins.hasContext (builtins.replaceStrings [ "a" ] [ "\${${f}}" ] "abc")`)).toBe("true");
    expect(evalStrict(`builtins.hasContext (toString [ "\${${f}}" ])`)).toBe("true");
  });

  it("traces to the trace sink", () => {
    const traces: string[] = [];
    expect(evalStrict('builtins.trace "hello" 1', traces)).toBe("1");
    expect(traces).toEqual(["trace: hello"]);
  });

  it("applies __overrides of rec sets", () => {
    expect(evalStrict("(rec { __overrides = { a = 2; }; x = a; a = 1; }).x")).toBe("2");
  });
});
