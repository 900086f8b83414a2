/**
 * A synthetic closure for the OCI tests: plain directories under a temp
 * "store" standing in for /nix/store, with static busybox as the shell.
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Closure {
  /** Host directory holding the store paths (maps /nix/store). */
  storeRoot: string;
  roots: Record<string, string>;
  busybox: string;
  hello: string;
  data: string;
  all: string[];
}

export const BUSYBOX = "/nix/store/0c5b2h9pqpv3dg3rvf0xyzqslpgn3b6x-busybox-1.36.1";
export const HELLO = "/nix/store/1hxk5y2vzgrz6mf6dpwvnjsqm7xzy2ps-hello-1.0";
export const DATA = "/nix/store/2m3r8qmdvb9d0h3w4l5ngfy2c6js1k7z-data";

export function makeClosure(base = mkdtempSync(join(tmpdir(), "nixoci-closure-"))): Closure {
  const storeRoot = join(base, "store");
  const at = (p: string): string => join(storeRoot, p.slice("/nix/store/".length));
  mkdirSync(join(at(BUSYBOX), "bin"), { recursive: true });
  copyFileSync("/usr/bin/busybox", join(at(BUSYBOX), "bin", "busybox"));
  chmodSync(join(at(BUSYBOX), "bin", "busybox"), 0o555);
  for (const tool of ["sh", "echo", "cat", "ls", "id"]) symlinkSync("busybox", join(at(BUSYBOX), "bin", tool));

  mkdirSync(join(at(HELLO), "bin"), { recursive: true });
  writeFileSync(join(at(HELLO), "bin", "hello"), `#!${BUSYBOX}/bin/sh\necho "hello from nixoci $*"\n`);
  chmodSync(join(at(HELLO), "bin", "hello"), 0o555);
  mkdirSync(join(at(HELLO), "etc"), { recursive: true });
  writeFileSync(join(at(HELLO), "etc", "hello.conf"), "greeting=hi\n");
  mkdirSync(join(at(HELLO), "share", "doc"), { recursive: true });
  writeFileSync(join(at(HELLO), "share", "doc", "README"), "docs\n");

  const deep = join(at(DATA), "a".repeat(60), "b".repeat(60), "c".repeat(60));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, `${"long-name-".repeat(12)}.txt`), "long\n");
  writeFileSync(join(at(DATA), "unicodé-ñame"), "utf8\n");
  writeFileSync(join(at(DATA), "first"), "same inode\n");
  linkSync(join(at(DATA), "first"), join(at(DATA), "second"));
  chmodSync(join(at(DATA), "first"), 0o444);
  mkdirSync(join(at(DATA), "empty-dir"));
  // A symlink target longer than ustar's 100 bytes (needs a PAX linkpath).
  symlinkSync(`${BUSYBOX}/${"x".repeat(120)}/target`, join(at(DATA), "long-link"));
  return { storeRoot, roots: { "/nix/store": storeRoot }, busybox: BUSYBOX, hello: HELLO, data: DATA, all: [BUSYBOX, HELLO, DATA] };
}
