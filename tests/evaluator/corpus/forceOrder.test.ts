// Live differential test: which argument each builtin forces first. Every builtin of Nix 2.8 is
// called with two and with three arguments that each throw their own message
// (`builtins.X (throw "a0") (throw "a1")`); the message Nix reports names the argument it forced
// first, and ours must name the same one. (The order decides which error a user sees, and whether
// a lazily unused argument is forced at all.)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { evalStrict } from "../core/helpers.js";

const pexec = promisify(execFile);
// Both sides with the flakes features (their builtins are compared too), whatever nix.conf says.
const FEATURES = ["nix-command", "flakes"];
const NIX_ENV = { PATH: process.env.PATH, HOME: "/homeless", NIX_PATH: "", NIX_CONFIG: `experimental-features = ${FEATURES.join(" ")}` };

// Current Nix, which we follow, forces the list first here (and the function only for a
// non-empty list); Nix 2.8 forced the function first.
const CURRENT_NIX_ORDER = new Set(["filter", "sort"]);
// They need the network (and throw that before looking at their arguments).
const NETWORK = new Set(["fetchMercurial"]);

/** The first line of Nix's error, or its output. */
async function nixFirstLine(expr: string): Promise<string> {
  try {
    const r = await pexec("nix-instantiate", ["--eval", "--strict", "-E", expr], { env: NIX_ENV });
    return r.stdout.trim();
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err).split("\n")[0]!;
  }
}

function ourThrown(expr: string): string {
  try {
    return evalStrict(expr, [], FEATURES);
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

describe.skipIf(!haveTools("nix-instantiate"))("the argument a builtin forces first, vs Nix 2.8", () => {
  it("is the same for every builtin called with two or three throwing arguments", async () => {
    const { stdout } = await pexec("nix-instantiate", ["--eval", "--json", "-E", "builtins.attrNames builtins"], { env: NIX_ENV });
    const names = (JSON.parse(stdout) as string[]).filter((n) => !CURRENT_NIX_ORDER.has(n) && !NETWORK.has(n));
    const exprs = names.flatMap((n) => [2, 3].map((k) => `builtins.${n}${Array.from({ length: k }, (_, i) => ` (throw "a${i}")`).join("")}`));
    const nix = new Array<string>(exprs.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < exprs.length) {
          const i = next++;
          nix[i] = await nixFirstLine(exprs[i]!);
        }
      }),
    );
    const differ: string[] = [];
    let compared = 0;
    exprs.forEach((expr, i) => {
      // Only where Nix forced one of the arguments (not where the builtin takes fewer, or none).
      const m = /^error: (a\d)$/.exec(nix[i]!);
      if (m === null) return;
      compared++;
      const ours = ourThrown(expr);
      if (ours !== nix[i]) differ.push(`${expr}\n  nix:  ${nix[i]}\n  ours: ${ours}`);
    });
    expect(differ).toEqual([]);
    // Most builtins take two or more arguments: the comparison covers them.
    expect(compared).toBeGreaterThan(100);
  }, 300_000);
});
