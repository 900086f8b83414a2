// nix-instantiate's command line as Nix reads it: settings flags in order (the last one wins),
// compound short flags split where they stand.
import { describe, expect, it } from "vitest";
import { InstantiateUsageError, parseInstantiateArgs } from "../../../src/evaluator/cli/parseArgs.js";

const parse = (...args: string[]) => parseInstantiateArgs(args, "/", {});

describe("parseInstantiateArgs", () => {
  it("gives show-trace the value of the last flag that sets it, --option included", () => {
    expect(parse("--option", "show-trace", "true", "--no-show-trace").showTrace).toBe(false);
    expect(parse("--no-show-trace", "--option", "show-trace", "true").showTrace).toBe(true);
    expect(parse("--show-trace", "--option", "show-trace", "false").showTrace).toBe(false);
    expect(parse("--show-trace").showTrace).toBe(true);
    expect(parse().showTrace).toBe(false);
  });

  it("replaces the experimental features with --experimental-features and appends with --extra-", () => {
    expect(parse("--extra-experimental-features", "flakes", "--experimental-features", "nix-command").experimentalFeatures).toEqual(["nix-command"]);
    expect(parse("--experimental-features", "nix-command", "--extra-experimental-features", "flakes").experimentalFeatures).toEqual(["nix-command", "flakes"]);
    expect(parse("--extra-experimental-features", "flakes", "--option", "experimental-features", "ca-derivations").experimentalFeatures).toEqual(["ca-derivations"]);
  });

  it("takes max-call-depth from the last flag, and refuses a value that is not a number", () => {
    expect(parse("--max-call-depth", "5", "--option", "max-call-depth", "7").maxCallDepth).toBe(7);
    expect(() => parse("--max-call-depth", "deep")).toThrow(InstantiateUsageError);
    expect(() => parse("--max-call-depth", "deep")).toThrow("setting 'max-call-depth' has invalid value 'deep'");
  });

  it("splits compound short flags but never a flag's own argument", () => {
    const o = parse("-vQ", "-A", "ab", "--arg", "x", "-ab", "-E", "1");
    expect(o.attrPaths).toEqual(["ab"]);
    expect(o.args).toEqual([{ name: "x", value: "-ab", isString: false }]);
    expect(o.expr).toBe(true);
    expect(o.inputs).toEqual(["1"]);
    // -vA is -v -A: the -A takes the next argument.
    expect(parse("-vA", "x.y").attrPaths).toEqual(["x.y"]);
    expect(() => parse("-vZ")).toThrow("unrecognised flag '-Z'");
    expect(parse("-I/some/path").includes).toEqual(["/some/path"]);
  });
});
