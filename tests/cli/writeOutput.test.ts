// src/cli/writeOutput.ts through the CLI: `instantiate` writes its output with write(2), yet every
// byte arrives through a non-blocking pipe read late (EAGAIN: the rest goes through the stream), and
// a reader that leaves early (`| head`) ends the command quietly with exit 0, as nix-instantiate does.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const bin = new URL("../../bin/nixoci", import.meta.url).pathname;
const expr = "builtins.genList (x: x) 300000";
// [ 0 1 … 299999 ] and a newline.
const expected = `[ ${Array.from({ length: 300000 }, (_, i) => i).join(" ")} ]\n`;

describe("instantiate's output", () => {
  it("arrives whole through a non-blocking pipe that is read late", () => {
    // Python makes the pipe's write end non-blocking before the CLI inherits it; Node cannot.
    const py = String.raw`
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, False)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.3)
out = b""
while True:
    chunk = os.read(r, 1 << 16)
    if not chunk:
        break
    out += chunk
sys.stdout.write(str(p.wait()) + " " + str(len(out)) + " " + str(out == sys.stdin.buffer.read()))
`;
    const r = execFileSync("python3", ["-c", py, bin, "instantiate", "--eval", "--strict", "-E", expr], { input: expected, encoding: "utf8" });
    expect(r).toBe(`0 ${expected.length} True`);
  });

  it("ends quietly, with exit 0, when the reader goes away", () => {
    const r = execFileSync("bash", ["-c", `"$@" 2>&1 | head -c 4; echo " $\{PIPESTATUS[0]}"`, "_", bin, "instantiate", "--eval", "--strict", "-E", expr], { encoding: "utf8" });
    expect(r).toBe("[ 0  0\n");
  });
});
