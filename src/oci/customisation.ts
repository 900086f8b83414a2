/**
 * The customisation layer: what goes outside the store paths. Symlinks of
 * packages' top-level directories into `/` (like nixpkgs' buildEnv /
 * copyToRoot: directories present in several packages are merged, two
 * different files for one destination are an error), an optional non-root
 * user in /etc/passwd and /etc/group with /etc/nsswitch.conf, /tmp (1777),
 * and CA-bundle links. It is a small in-memory tree turned into tar entries.
 */
import { lstat, readdir, stat } from "node:fs/promises";
import { NixociError } from "../errors.js";
import { ancestorsOf, compareNames, hostPathOf, normaliseImagePath, type Owner, type RootMap, type TarEntry } from "./tarEntries.js";

export interface UserAccount {
  name: string;
  uid: number;
  gid: number;
  /** Group name (default: the user name). */
  group?: string;
  /** Home directory, created owned by the user (default /home/<name>). */
  home?: string;
  shell?: string;
}

export interface CustomisationSpec {
  /** Store paths whose top-level directories are linked into `/`. */
  copyToRoot?: string[];
  /** Which top-level directories of those paths to link (default: bin). */
  linkDirs?: string[];
  addUser?: UserAccount;
  /** Create /tmp with mode 1777 (default true). */
  tmp?: boolean;
  /** A store path with etc/ssl/certs/ca-bundle.crt (or ca-certificates.crt): linked as both names under /etc/ssl/certs. */
  caCertificates?: string;
}

/** Two sources want the same destination path in the customisation layer. */
export class CustomisationConflictError extends NixociError {
  constructor(
    readonly path: string,
    readonly first: string,
    readonly second: string,
  ) {
    super(`customisation layer conflict at '${path}': provided by both ${first} and ${second}`);
  }
}

export class CustomisationError extends NixociError {}

type Node =
  | { kind: "dir"; children: Map<string, Node>; mode: number; owner?: Partial<Owner>; source: string; explicit: boolean }
  | { kind: "symlink"; target: string; source: string; /** host path of the target when it is a directory (mergeable) */ hostDir?: string }
  | { kind: "file"; content: Buffer; mode: number; source: string };

/** Builds the tree, checking conflicts as it goes; then `entries()` lists it in tar order. */
export class CustomisationTree {
  private readonly root: Node & { kind: "dir" } = { kind: "dir", children: new Map(), mode: 0o755, source: "/", explicit: true };

  constructor(private readonly roots?: RootMap) {}

  private parentOf(path: string, source: string): Node & { kind: "dir" } {
    let dir = this.root;
    for (const a of ancestorsOf(path)) {
      const name = a.slice(a.lastIndexOf("/") + 1);
      let next = dir.children.get(name);
      if (next === undefined) {
        next = { kind: "dir", children: new Map(), mode: 0o755, source, explicit: false };
        dir.children.set(name, next);
      }
      if (next.kind !== "dir") throw new CustomisationConflictError(a, next.source, source);
      dir = next;
    }
    return dir;
  }

  addFile(path: string, content: Buffer | string, source: string, mode = 0o644): void {
    const p = normaliseImagePath(path);
    const parent = this.parentOf(p, source);
    const name = p.slice(p.lastIndexOf("/") + 1);
    const existing = parent.children.get(name);
    if (existing !== undefined) throw new CustomisationConflictError(p, existing.source, source);
    parent.children.set(name, { kind: "file", content: Buffer.from(content), mode, source });
  }

  addDirectory(path: string, source: string, mode = 0o755, owner?: Partial<Owner>): void {
    const p = normaliseImagePath(path);
    const parent = this.parentOf(p, source);
    const name = p.slice(p.lastIndexOf("/") + 1);
    const existing = parent.children.get(name);
    if (existing === undefined) {
      parent.children.set(name, { kind: "dir", children: new Map(), mode, owner, source, explicit: true });
    } else if (existing.kind === "dir" && !existing.explicit) {
      Object.assign(existing, { mode, owner, source, explicit: true });
    } else {
      throw new CustomisationConflictError(p, existing.source, source);
    }
  }

  addSymlink(path: string, target: string, source: string): void {
    const p = normaliseImagePath(path);
    const parent = this.parentOf(p, source);
    const name = p.slice(p.lastIndexOf("/") + 1);
    const existing = parent.children.get(name);
    if (existing !== undefined) {
      if (existing.kind === "symlink" && existing.target === target) return;
      throw new CustomisationConflictError(p, existing.source, source);
    }
    parent.children.set(name, { kind: "symlink", target, source });
  }

  /**
   * Links every entry of `<storePath>/<dir>` as `/<dir>/<entry>`. Where two
   * packages both have a directory at the same place, that place becomes a
   * real directory holding links to both packages' entries (buildEnv's rule).
   */
  async linkTree(storePath: string, dir: string): Promise<void> {
    const hostDir = hostPathOf(`${storePath}/${dir}`, this.roots);
    const st = await stat(hostDir).catch(() => undefined);
    if (st === undefined || !st.isDirectory()) return;
    const parent = this.parentOf(`/${dir}/x`, storePath);
    await this.mergeInto(parent, `/${dir}`, `${storePath}/${dir}`, hostDir, storePath);
  }

  private async mergeInto(dir: Node & { kind: "dir" }, imageDir: string, targetDir: string, hostDir: string, source: string): Promise<void> {
    const names = (await readdir(hostDir)).sort(compareNames);
    for (const name of names) {
      const target = `${targetDir}/${name}`;
      const host = `${hostDir}/${name}`;
      const isDir = (await stat(host).catch(() => undefined))?.isDirectory() ?? false;
      const existing = dir.children.get(name);
      const here = `${imageDir}/${name}`;
      if (existing === undefined) {
        dir.children.set(name, { kind: "symlink", target, source, hostDir: isDir ? host : undefined });
        continue;
      }
      if (existing.kind === "symlink" && existing.target === target) continue;
      if (!isDir) throw new CustomisationConflictError(here, existing.source, source);
      if (existing.kind === "symlink" && existing.hostDir !== undefined) {
        // Replace the link by a directory holding links to both sides.
        const merged: Node & { kind: "dir" } = { kind: "dir", children: new Map(), mode: 0o755, source: existing.source, explicit: false };
        dir.children.set(name, merged);
        await this.mergeInto(merged, here, existing.target, existing.hostDir, existing.source);
        await this.mergeInto(merged, here, target, host, source);
      } else if (existing.kind === "dir") {
        await this.mergeInto(existing, here, target, host, source);
      } else {
        throw new CustomisationConflictError(here, existing.source, source);
      }
    }
  }

  /** The tree as tar entries, parents first, names in byte order. */
  *entries(): Generator<TarEntry> {
    yield* this.walk(this.root, "");
  }

  private *walk(dir: Node & { kind: "dir" }, path: string): Generator<TarEntry> {
    for (const name of [...dir.children.keys()].sort(compareNames)) {
      const node = dir.children.get(name)!;
      const p = `${path}/${name}`;
      if (node.kind === "dir") {
        yield { type: "directory", path: p, mode: node.mode, ...(node.owner === undefined ? {} : { owner: node.owner }) };
        yield* this.walk(node, p);
      } else if (node.kind === "symlink") {
        yield { type: "symlink", path: p, mode: 0o777, target: node.target };
      } else {
        yield { type: "file", path: p, mode: node.mode, size: node.content.length, source: node.content };
      }
    }
  }

  get isEmpty(): boolean {
    return this.root.children.size === 0;
  }
}

const CA_NAMES = ["etc/ssl/certs/ca-bundle.crt", "etc/ssl/certs/ca-certificates.crt", "etc/pki/tls/certs/ca-bundle.crt"];

/** Builds the customisation tree of a spec (reading the linked packages through `roots`). */
export async function customisationTree(spec: CustomisationSpec, roots?: RootMap): Promise<CustomisationTree> {
  const tree = new CustomisationTree(roots);
  for (const storePath of spec.copyToRoot ?? []) {
    const host = hostPathOf(storePath, roots);
    if ((await lstat(host).catch(() => undefined)) === undefined) {
      throw new CustomisationError(`copyToRoot path '${storePath}' does not exist (looked at ${host})`);
    }
    for (const dir of spec.linkDirs ?? ["bin"]) await tree.linkTree(storePath, dir.replace(/^\/+|\/+$/g, ""));
  }
  if (spec.addUser !== undefined) addUser(tree, spec.addUser);
  if (spec.tmp ?? true) tree.addDirectory("/tmp", "/tmp (1777)", 0o1777);
  if (spec.caCertificates !== undefined) {
    let found: string | undefined;
    for (const rel of CA_NAMES) {
      const st = await stat(hostPathOf(`${spec.caCertificates}/${rel}`, roots)).catch(() => undefined);
      if (st?.isFile()) {
        found = `${spec.caCertificates}/${rel}`;
        break;
      }
    }
    if (found === undefined) throw new CustomisationError(`'${spec.caCertificates}' has none of ${CA_NAMES.join(", ")}`);
    tree.addSymlink("/etc/ssl/certs/ca-certificates.crt", found, `CA bundle ${spec.caCertificates}`);
    tree.addSymlink("/etc/ssl/certs/ca-bundle.crt", found, `CA bundle ${spec.caCertificates}`);
  }
  return tree;
}

function addUser(tree: CustomisationTree, u: UserAccount): void {
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(u.name) || u.name === "root") throw new CustomisationError(`invalid user name '${u.name}'`);
  for (const [k, v] of [["uid", u.uid], ["gid", u.gid]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff) throw new CustomisationError(`user ${k} must be a positive integer, got ${v}`);
  }
  const group = u.group ?? u.name;
  const home = u.home ?? `/home/${u.name}`;
  const shell = u.shell ?? "/bin/sh";
  const source = `user '${u.name}'`;
  tree.addFile("/etc/passwd", `root:x:0:0:root:/root:${shell}\n${u.name}:x:${u.uid}:${u.gid}::${home}:${shell}\n`, source);
  tree.addFile("/etc/group", `root:x:0:\n${group}:x:${u.gid}:\n`, source);
  tree.addFile("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n", source);
  tree.addDirectory(home, source, 0o755, { uid: u.uid, gid: u.gid, uname: u.name, gname: group });
}
