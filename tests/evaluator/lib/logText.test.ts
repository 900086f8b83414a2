import { describe, expect, it } from "vitest";
import { filterAnsiEscapes, logText, stderrWantsAnsi } from "../../../src/evaluator/cli/logText.js";

describe("filterAnsiEscapes (Nix's logger)", () => {
  it("drops escape sequences off a terminal, keeps only SGR ones on a colour terminal", () => {
    const s = "a \x1b[1;35mX\x1b[0m \x1b[2Kb \x1b]8;;http://x\x1b\\L\x1b]8;;\x07 \x1bMc";
    expect(filterAnsiEscapes(s, false)).toBe("a X b L c");
    expect(filterAnsiEscapes(s, true)).toBe("a \x1b[1;35mX\x1b[0m b L c");
  });
  it("expands tabs to 8 columns counted from the message start, newlines taking none; drops CR and BEL", () => {
    expect(filterAnsiEscapes("ab\tc", false)).toBe("ab      c");
    expect(filterAnsiEscapes("abc\nd\te", false)).toBe("abc\nd    e");
    expect(filterAnsiEscapes("\xc3\xa9\t|", false)).toBe("\xc3\xa9       |");
    expect(filterAnsiEscapes("x\r\x07y", false)).toBe("xy");
  });
  it("filters each message apart", () => {
    expect(logText(["a\tb\n", "\tc\n"], false)).toBe("a       b\n        c\n");
  });
  it("wants colour only on a terminal with a TERM other than dumb and no NO_COLOR", () => {
    expect(stderrWantsAnsi(true, { TERM: "xterm" })).toBe(true);
    expect(stderrWantsAnsi(false, { TERM: "xterm" })).toBe(false);
    expect(stderrWantsAnsi(true, { TERM: "dumb" })).toBe(false);
    expect(stderrWantsAnsi(true, {})).toBe(false);
    expect(stderrWantsAnsi(true, { TERM: "xterm", NO_COLOR: "" })).toBe(false);
  });
});
