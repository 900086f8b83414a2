/**
 * Deterministic layer tar writer: a stream of `TarEntry` in, a tar stream out
 * (tar-stream's ustar, PAX `path`/`linkpath` records when a name does not
 * fit). Nothing of the host leaks: mtime is fixed (SOURCE_DATE_EPOCH,
 * default 1), owner is root:root unless a rule says otherwise, no atime,
 * ctime, device numbers or host user names. File bodies are streamed from
 * disk, so memory does not grow with file size.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import tar, { type Header } from "tar-stream";
import { NixociError } from "../errors.js";
import { LayerInputError, type Owner, type TarEntry } from "./tarEntries.js";

/** Like nix2container's `perms`: headers of matching paths get these values. */
export interface PermRule {
  /** Regular expression tested against the absolute image path (add ^…$ to anchor). */
  regex: string;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
}

export interface TarOptions {
  /** Seconds since the epoch for every entry (default: SOURCE_DATE_EPOCH, else 1). */
  mtime?: number;
  /** Owner when no rule and no entry owner applies (default root:root, 0:0). */
  owner?: Partial<Owner>;
  perms?: PermRule[];
}

export class PermRuleError extends NixociError {}

export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === "") return 1;
  if (!/^\d+$/.test(v)) throw new NixociError(`SOURCE_DATE_EPOCH must be a number of seconds, got '${v}'`);
  return Number(v);
}

interface CompiledRule extends PermRule {
  re: RegExp;
}

function compileRules(rules: PermRule[] = []): CompiledRule[] {
  return rules.map((r) => {
    try {
      return { ...r, re: new RegExp(r.regex, "u") };
    } catch (err) {
      throw new PermRuleError(`invalid permission rule regex '${r.regex}': ${(err as Error).message}`, { cause: err });
    }
  });
}

/** The tar stream of `entries`. Errors (unreadable file, …) destroy the stream with a typed error. */
export function layerTarStream(entries: AsyncIterable<TarEntry>, opts: TarOptions = {}): Readable {
  const pack = tar.pack();
  const mtime = new Date((opts.mtime ?? sourceDateEpoch()) * 1000);
  const rules = compileRules(opts.perms);
  const base: Owner = { uid: 0, gid: 0, uname: "root", gname: "root", ...opts.owner };

  const run = async (): Promise<void> => {
    for await (const e of entries) {
      let mode = e.mode & 0o7777;
      const owner: Owner = { ...base, ...e.owner };
      for (const r of rules) {
        if (!r.re.test(e.path)) continue;
        if (r.mode !== undefined) mode = r.mode & 0o7777;
        if (r.uid !== undefined) owner.uid = r.uid;
        if (r.gid !== undefined) owner.gid = r.gid;
        if (r.uname !== undefined) owner.uname = r.uname;
        if (r.gname !== undefined) owner.gname = r.gname;
      }
      const header: Partial<Header> & { name: string } = {
        // Directory names end in '/', as GNU tar and Docker write them.
        name: e.path.replace(/^\/+/, "") + (e.type === "directory" ? "/" : ""),
        mode,
        mtime,
        uid: owner.uid,
        gid: owner.gid,
        uname: owner.uname,
        gname: owner.gname,
        type: e.type,
      };
      if (e.type === "symlink") header.linkname = e.target;
      if (e.type === "link") header.linkname = e.target.replace(/^\/+/, "");
      if (e.type !== "file") {
        await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      header.size = e.size;
      if (Buffer.isBuffer(e.source)) {
        const body = e.source;
        await new Promise<void>((resolve, reject) => pack.entry(header, body, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      const hostPath = e.source;
      // Written by hand rather than with pipeline(): the sink is a streamx stream, and on a read
      // error we want our typed error (not the sink's) to end the pack.
      let sink!: ReturnType<typeof pack.entry>;
      const done = new Promise<void>((resolve, reject) => {
        sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      });
      // Failures arrive through the entry callback; these keep an abandoned entry from crashing the process.
      sink.on("error", () => {});
      done.catch(() => {});
      try {
        for await (const chunk of createReadStream(hostPath)) {
          if (!sink.write(chunk as Buffer)) await new Promise<void>((resolve) => sink.once("drain", () => resolve()));
        }
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new LayerInputError(`cannot read '${hostPath}' (for ${e.path}): ${why}`, hostPath, e.path, { cause: err });
      }
      (sink as unknown as { end(): void }).end();
      await done.catch((err: Error) => {
        throw new LayerInputError(
          err.message === "Size mismatch" ? `'${hostPath}' (for ${e.path}) changed size while it was being read` : `cannot pack '${hostPath}': ${err.message}`,
          hostPath,
          e.path,
          { cause: err },
        );
      });
    }
    pack.finalize();
  };
  run().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
