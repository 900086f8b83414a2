import { createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { FileSource } from "./tarFile.js";

/** A FileSource over a directory (an OCI layout on disk). */
export function dirSource(dir: string): FileSource {
  return {
    description: dir,
    has: async (name) => access(join(dir, name)).then(() => true, () => false),
    read: (name) => readFile(join(dir, name)),
    open: (name): Readable => createReadStream(join(dir, name)),
    localPath: (name) => join(dir, name),
  };
}
