#!/usr/bin/env node
// Reference scanner alone on in-memory data (no file system): MB/s for binary,
// English-like text and worst-case all-nix32 input. Usage: npm run build && node bench/refscan.bench.mjs [MB=256]
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
const { nix32Encode, RefScanner } = await import(process.env.NIXOCI_FORMAT ?? "../dist/store/format/index.js");

const mb = Number(process.argv[2] ?? 256);
const chunk = 1 << 20;
const candidates = Array.from({ length: 200 }, () => nix32Encode(randomBytes(20)));
const inputs = {
  binary: randomBytes(chunk),
  text: Buffer.from("The quick brown fox jumps over the lazy dog; /usr/lib/libfoo.so.1\n".repeat(chunk / 64)).subarray(0, chunk),
  "all-nix32": Buffer.from(nix32Encode(randomBytes((chunk * 5) / 8))).subarray(0, chunk),
};
for (const [name, buf] of Object.entries(inputs)) {
  const s = new RefScanner(candidates);
  const t0 = performance.now();
  for (let i = 0; i < mb; i++) s.update(buf);
  const secs = (performance.now() - t0) / 1000;
  console.log(`${name.padEnd(10)} ${(mb / secs).toFixed(0).padStart(6)} MB/s`);
}
