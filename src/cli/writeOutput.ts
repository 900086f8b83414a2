import { writeSync } from "node:fs";

/**
 * Writes a command's whole output to stdout (fd 1) or stderr (fd 2) with write(2), without the
 * process.stdout stream: creating that stream loads Node's stream modules, ~3 ms of a small
 * evaluation. A reader that went away (EPIPE, as with `| head`) ends the output quietly, as
 * nix-instantiate does. When the fd cannot take the data now (a non-blocking pipe: EAGAIN) or fails
 * otherwise, the rest goes through the stream, which waits for the pipe and reports errors as before.
 */
export function writeOutput(fd: 1 | 2, data: Buffer): void {
  let done = 0;
  try {
    while (done < data.length) done += writeSync(fd, data, done);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EPIPE") return;
    const stream = fd === 1 ? process.stdout : process.stderr;
    // The reader may still go away while the stream waits: that too ends the output quietly.
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
    stream.write(data.subarray(done));
  }
}

/**
 * A command's buffered result (strings of one char per byte, as "latin1"): written out, its exit code
 * set. stderr first: Nix's traces, warnings and errors reach stderr while it evaluates, and its
 * stdout (a C++ stream, fully buffered on a pipe) only at exit, so `2>&1 | …` sees them in this order.
 */
export function writeResult(r: { readonly stdout: string; readonly stderr: string; readonly exitCode: number }): void {
  writeOutput(2, Buffer.from(r.stderr, "latin1"));
  writeOutput(1, Buffer.from(r.stdout, "latin1"));
  process.exitCode = r.exitCode;
}
