/**
 * The error message block of Nix-style stderr, "error: …" and the lines after it, as Nix 2.8
 * prints it (message first) whatever the format: current Nix and nixoci print the trace frames
 * first and the message last, indented under a bare "error:".
 */
export function finalError(stderr: string): string {
  const lines = stderr.split("\n");
  let i = lines.length - 1;
  while (i >= 0 && !/^( {7})?error: \S/.test(lines[i]!)) i--;
  if (i < 0) return "";
  // The lines after it are indented the same either way (the whole block is, once).
  return [lines[i]!.trimStart(), ...lines.slice(i + 1)].join("\n");
}
