import { describe, expect, it } from "vitest";
import type { EAttrs, ELambda, ELet, EVar, EWith, Expr } from "../../src/evaluator/ast.js";
import { StaticScope, bind } from "../../src/evaluator/bind.js";
import { parse } from "../../src/evaluator/parser.js";
import { allNodes } from "./helpers.js";

const GLOBALS = ["builtins", "true", "__sub"];

function bound(text: string): Expr {
  const e = parse({ file: "/t.nix", text });
  bind(e, GLOBALS, text);
  return e;
}

/** Resolutions of the variables named `name`, in source order. */
function resolutions(e: Expr, name: string) {
  return allNodes(e)
    .filter((n, i, all): n is EVar => n.kind === "var" && n.name === name && all.indexOf(n) === i)
    .map((v) => v.resolution);
}

describe("binder", () => {
  it("resolves globals to the base env slots", () => {
    expect(resolutions(bound("true"), "true")).toEqual([{ kind: "static", level: 0, displ: 1 }]);
    expect(resolutions(bound("-1"), "__sub")).toEqual([{ kind: "static", level: 0, displ: 2 }]);
  });

  it("lays out lambda envs: arg first, then formals by name", () => {
    const e = bound("args@{ b, a ? b }: [ args a b true ]");
    const lam = e as ELambda;
    expect(lam.formals!.entries.map((f) => f.name)).toEqual(["a", "b"]);
    expect(resolutions(e, "args")).toEqual([{ kind: "static", level: 0, displ: 0 }]);
    expect(resolutions(e, "a")).toEqual([{ kind: "static", level: 0, displ: 1 }]);
    // `b` in a's default and in the body: both in the lambda env.
    expect(resolutions(e, "b")).toEqual([
      { kind: "static", level: 0, displ: 2 },
      { kind: "static", level: 0, displ: 2 },
    ]);
    expect(resolutions(e, "true")).toEqual([{ kind: "static", level: 1, displ: 1 }]);
  });

  it("binds let and rec in one env, `inherit x` in the enclosing one", () => {
    const e = bound("x: let y = x; x = 1; inherit builtins; in rec { z = y; inherit x; w = z; }");
    const let_ = (e as ELambda).body as ELet;
    expect([...let_.attrs.attrs.entries()].map(([n, d]) => [n, d.displ])).toEqual([
      ["y", 0],
      ["x", 1],
      ["builtins", 2],
    ]);
    // `y = x` sees the let's x; so does `inherit x` in the rec set, bound in
    // the env enclosing the rec set (the let's), not in the rec env.
    expect(resolutions(e, "x")).toEqual([
      { kind: "static", level: 0, displ: 1 },
      { kind: "static", level: 0, displ: 1 },
    ]);
    const e2 = bound("let q = 0; a = 1; in rec { inherit a; b = a; }");
    // inherit: let env slot 1; b = a: the rec env's own `a`, slot 0.
    expect(resolutions(e2, "a")).toEqual([
      { kind: "static", level: 0, displ: 1 },
      { kind: "static", level: 0, displ: 0 },
    ]);
    // `inherit builtins` in the let is bound in the lambda env (level 0), so base is level 1.
    expect(resolutions(e, "builtins")).toEqual([{ kind: "static", level: 1, displ: 0 }]);
    const rec = let_.body as EAttrs;
    expect(rec.attrs.get("w")!.displ).toBe(2);
    expect(resolutions(e, "z")).toEqual([{ kind: "static", level: 0, displ: 0 }]);
  });

  it("binds `inherit (e)` sources once, in the rec env for rec sets", () => {
    const e = bound("rec { s = { a = 1; }; inherit (s) a b; }");
    const attrs = e as EAttrs;
    expect(attrs.inheritFromExprs).toHaveLength(1);
    const a = attrs.attrs.get("a")!;
    expect(a.kind).toBe("inheritedFrom");
    expect(a.expr.kind === "select" && a.expr.expr).toBe(attrs.inheritFromExprs![0]);
    expect(resolutions(e, "s")).toEqual([{ kind: "static", level: 0, displ: 0 }]);
  });

  it("resolves through `with` to the innermost with, and records the previous with", () => {
    const e = bound("with builtins; x: with x; [ y x true ]");
    expect(resolutions(e, "y")).toEqual([{ kind: "with", level: 0 }]);
    expect(resolutions(e, "x")).toEqual([
      { kind: "static", level: 0, displ: 0 },
      { kind: "static", level: 1, displ: 0 },
    ]);
    // Lexical bindings win over `with`, even an outer one.
    expect(resolutions(e, "true")).toEqual([{ kind: "static", level: 3, displ: 1 }]);
    const withs = allNodes(e).filter((n): n is EWith => n.kind === "with");
    expect(withs.map((w) => w.prevWith)).toEqual([undefined, 2]);
  });

  it("lets local definitions shadow desugared operators, as Nix does", () => {
    const e = bound("let __sub = a: b: 42; in 1 - 2");
    expect(resolutions(e, "__sub")).toEqual([{ kind: "static", level: 0, displ: 0 }]);
  });

  it("accepts an explicit scope chain", () => {
    const scope = new StaticScope(new Map([["extra", 0]]), false, StaticScope.base(GLOBALS));
    const e = parse({ file: "/t.nix", text: "[ extra true ]" });
    bind(e, scope);
    expect(resolutions(e, "extra")).toEqual([{ kind: "static", level: 0, displ: 0 }]);
    expect(resolutions(e, "true")).toEqual([{ kind: "static", level: 1, displ: 1 }]);
  });

  it("reports the first undefined variable in Nix's order", () => {
    expect(() => bound("let a = q; in r")).toThrow("undefined variable 'q'");
    expect(() => bound("{ x = q; }.${r}")).toThrow("undefined variable 'q'");
    expect(() => bound("(x: x) or")).toThrow("undefined variable 'or'");
    expect(() => bound("{ inherit nope; }")).toThrow("undefined variable 'nope'");
    expect(() => bound("with {}; nope")).not.toThrow();
  });

  it("names lambdas bound to attributes", () => {
    const e = bound("{ f = x: y: x; g.h = z: z; }") as EAttrs;
    const f = e.attrs.get("f")!.expr as ELambda;
    expect(f.name).toBe("f");
    expect((f.body as ELambda).name).toBe("f");
    const g = e.attrs.get("g")!.expr as EAttrs;
    expect((g.attrs.get("h")!.expr as ELambda).name).toBe("h");
  });
});
