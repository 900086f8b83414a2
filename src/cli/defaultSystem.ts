/** This machine's Nix system (`x86_64-linux`, `aarch64-darwin`, …): the default of `--system`. */
export function defaultSystem(): string {
  const arch = process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch;
  return `${arch}-${process.platform}`;
}
