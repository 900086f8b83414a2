// Integers are JS numbers while they are safe integers and bigints beyond ±(2^53-1) (values.ts):
// results around both edges (2^53 and 2^63) against Nix 2.8.
import { describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { evalError, evalStrict, nixEval } from "./helpers.js";

const S = "9007199254740991"; // 2^53 - 1
const cases: string[] = [
  `[ (${S} + 1) (${S} + 2) (-${S} - 2) (${S} * 2) (${S} * 1000 / 1000) (-${S} * 3 / 3) ]`,
  `[ (${S} + 1 - 1 == ${S}) (${S} + 1 == 9007199254740992) ((${S} + 1) * 1 == ${S} + 1) ]`,
  `[ (9007199254740993 - 1) (9007199254740993 / 3) (-9007199254740993 / 2) (4611686018427387904 / 4611686018427387904) ]`,
  `[ (${S} + 2 < ${S} + 3) (${S} + 1 < ${S}) (${S} < ${S} + 1) (9007199254740993 < 9007199254740993.0) (9007199254740992 == 9007199254740992.0) ]`,
  "[ (0 * -1) (0 * -1 * 1.0) (-0 / 5) (0 / -5 * 1.0) ((-3) / (-5) * 1.0) (-7 / 2) (7 / -2) (-7 / -2) ]",
  "[ (9223372036854775807 - 1) (-9223372036854775807 - 1) ((-9223372036854775807 - 1) / 2) (3037000499 * 3037000499) ]",
  `[ (builtins.bitAnd 9223372036854775807 ${S}) (builtins.bitOr 9007199254740992 1) (builtins.bitXor (-1) ${S}) (builtins.bitAnd (-1) (-9223372036854775807 - 1)) ]`,
  `builtins.sort builtins.lessThan [ 9007199254740993 3 (-9007199254740993) ${S} 9007199254740992 0 ]`,
  "[ (builtins.sort builtins.lessThan [ 3 (-1) 2147483647 0 (-2147483648) 5 3 ]) (builtins.sort builtins.lessThan [ 3 (-1) 2147483648 0 (-2147483649) 5 ]) ]",
  `builtins.sort (a: b: a < b) [ 9007199254740993 3 (-9007199254740993) ${S} 9007199254740992 0 ]`,
  `[ (builtins.toJSON [ 9007199254740993 ${S} (-5) ]) (builtins.fromJSON "[9007199254740993, 12, -9223372036854775808]") (toString 9007199254740993) "\${toString (${S} + 2)}" ]`,
  `[ (builtins.typeOf (${S} + 2)) (builtins.isInt 9007199254740993) (builtins.elem 9007199254740993 [ 9007199254740993 ]) ([ 9007199254740993 ] == [ (${S} + 2) ]) ]`,
  "[ (builtins.ceil 9007199254740993.0) (builtins.floor (-1.0e18)) (builtins.length (builtins.genList (x: x) 3)) (builtins.elemAt [ 1 2 3 ] 2) ]",
  `builtins.genericClosure { startSet = [ { key = 9007199254740993; } { key = ${S} + 2; } { key = 2; } { key = 2.0; } ]; operator = _: [ ]; }`,
  "builtins.substring 1 9223372036854775807 \"hello\"",
  "[ (builtins.floor 9007199254740992) (builtins.ceil (-9007199254740992)) (builtins.floor (-4611686018427387904)) ]",
];
// Nix 2.8 wraps around on overflow; current Nix (its lang suite: eval-fail-overflowing-*) reports it.
const overflows: [string, string][] = [
  ["9223372036854775807 + 1", "integer overflow in adding 9223372036854775807 + 1"],
  ["(-9223372036854775807) - 2", "integer overflow in subtracting -9223372036854775807 - 2"],
  ["4611686018427387904 * 2", "integer overflow in multiplying 4611686018427387904 * 2"],
  ["(-9223372036854775807 - 1) / (-1)", "integer overflow in dividing -9223372036854775808 / -1"],
  ["builtins.mul 3037000500 3037000500", "integer overflow in multiplying 3037000500 * 3037000500"],
  ["builtins.add 9007199254740991 9223372036854775000", "integer overflow in adding 9007199254740991 + 9223372036854775000"],
  ["1 / 0", "division by zero"],
  // floor/ceil take their argument through a double: an int the double does not hold exactly is
  // an error in current Nix (its result was undefined in Nix 2.8, NixOS/nix#12899). (First lines.)
  [
    "builtins.floor 9223372036854775807",
    "Due to a bug (see https://github.com/NixOS/nix/issues/12899) the NixInt argument 9223372036854775807 caused undefined behavior in previous Nix versions.",
  ],
  [
    "builtins.ceil 9007199254740993",
    "Due to a bug (see https://github.com/NixOS/nix/issues/12899) a loss of precision occurred in previous Nix versions because the NixInt argument 9007199254740993 was rounded to 9007199254740992.",
  ],
  ["builtins.floor 1.0e300", "NixFloat argument 1e+300 is not in the range of NixInt"],
];

describe.skipIf(!haveTools("nix-instantiate"))("integers at the edges of the number representation, vs Nix 2.8", () => {
  it.each(cases)("%s", (expr) => {
    expect(evalStrict(expr)).toBe(nixEval(expr));
  });
});

describe("integer overflow is an error, as in current Nix", () => {
  it.each(overflows)("%s", (expr, message) => {
    expect(evalError(expr)).toBe(message);
  });
});
