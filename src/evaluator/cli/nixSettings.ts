/**
 * Nix's configuration settings as command-line flags: every setting `name` is also `--name VALUE`
 * (`--name` / `--no-name` for a Boolean one, `--extra-name VALUE` to append to a list) and
 * `--option name VALUE`, as nix-instantiate and `nix eval` accept them (lib/tests/modules.sh passes
 * `--timeout 1`), after the lines of $NIX_CONFIG (nixoci reads no nix.conf). The names and kinds are Nix 2.8's (`nix show-config`), plus the evaluator settings of current Nix
 * that nixoci implements. Most only matter to building or the daemon and are accepted and kept;
 * the evaluator reads pure-eval, system, nix-path, show-trace, max-call-depth, abort-on-warn and
 * the features.
 */

/**
 * A Boolean, any text, an unsigned integer, one that nix-instantiate's own flags for it (--timeout,
 * --cores, --max-silent-time) take with a K/M/G/T suffix, or max-jobs.
 */
type Kind = "bool" | "value" | "int" | "unit" | "jobs";

const all = (kind: Kind, names: readonly string[]): [string, Kind][] => names.map((n) => [n, kind]);

const SETTINGS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ...all("bool", [
    "accept-flake-config", "allow-dirty", "allow-import-from-derivation", "allow-new-privileges", "allow-symlinked-store",
    "allow-unsafe-native-code-during-evaluation", "auto-optimise-store", "builders-use-substitutes", "compress-build-log",
    "enforce-determinism", "eval-cache", "fallback", "filter-syscalls", "fsync-metadata", "http2", "impersonate-linux-26",
    "keep-build-log", "keep-derivations", "keep-env-derivations", "keep-failed", "keep-going", "keep-outputs",
    "preallocate-contents", "print-missing", "pure-eval", "require-sigs", "restrict-eval", "run-diff-hook", "sandbox",
    "sandbox-fallback", "show-trace", "substitute", "sync-before-registering", "trace-function-calls", "use-case-hack",
    "use-registries", "use-sqlite-wal", "warn-dirty",
    // Current Nix's, for builtins.warn (which Nix 2.8 lacks); modules.sh sets it for ABORT_ON_WARN=1.
    "abort-on-warn",
  ]),
  ...all("value", [
    "access-tokens", "allowed-impure-host-deps", "allowed-uris", "allowed-users", "bash-prompt", "bash-prompt-suffix",
    "build-hook", "build-users-group", "builders", "commit-lockfile-summary", "diff-hook", "eval-system", "experimental-features",
    "extra-platforms", "flake-registry", "hashed-mirrors", "ignored-acls", "netrc-file", "nix-path", "plugin-files",
    "post-build-hook", "pre-build-hook", "sandbox-build-dir", "sandbox-dev-shm-size", "sandbox-paths", "secret-key-files",
    "store", "substituters", "system", "system-features", "trusted-public-keys", "trusted-substituters", "trusted-users",
    "user-agent-suffix",
  ]),
  ...all("int", [
    "build-poll-interval", "connect-timeout", "download-attempts", "gc-reserved-space", "http-connections", "log-lines",
    "max-build-log-size", "max-call-depth", "max-free", "min-free", "min-free-check-interval", "nar-buffer-size",
    "narinfo-cache-negative-ttl", "narinfo-cache-positive-ttl", "repeat", "stalled-download-timeout", "tarball-ttl",
  ]),
  ...all("unit", ["cores", "max-silent-time", "timeout"]),
  ["max-jobs", "jobs"],
]);

/** Nix's older names of settings, still accepted as flags, in --option and in configuration. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ["binary-cache-public-keys", "trusted-public-keys"], ["binary-caches", "substituters"],
  ["binary-caches-parallel-connections", "http-connections"], ["build-chroot-dirs", "sandbox-paths"],
  ["build-compress-log", "compress-build-log"], ["build-cores", "cores"], ["build-fallback", "fallback"],
  ["build-impersonate-linux-26", "impersonate-linux-26"], ["build-keep-log", "keep-build-log"],
  ["build-max-jobs", "max-jobs"], ["build-max-log-size", "max-build-log-size"],
  ["build-max-silent-time", "max-silent-time"], ["build-sandbox-paths", "sandbox-paths"], ["build-timeout", "timeout"],
  ["build-use-chroot", "sandbox"], ["build-use-sandbox", "sandbox"], ["build-use-substitutes", "substitute"],
  ["env-keep-derivations", "keep-env-derivations"], ["trusted-binary-caches", "trusted-substituters"],
]);

/** A setting's name for an alias of it, also after "no-" or "extra-". */
function canonicalName(name: string): string {
  const alias = ALIASES.get(name);
  if (alias !== undefined) return alias;
  for (const prefix of ["no-", "extra-"]) {
    const target = name.startsWith(prefix) ? ALIASES.get(name.slice(prefix.length)) : undefined;
    if (target !== undefined) return prefix + target;
  }
  return name;
}

/** Nix's complaint about `value` for a setting of this kind, or undefined when it is fine. */
function invalid(name: string, kind: Kind, value: string, units: boolean): string | undefined {
  switch (kind === "unit" && !units ? "int" : kind) {
    case "bool":
      return value === "true" || value === "false" ? undefined : `Boolean setting '${name}' has invalid value '${value}'`;
    case "int":
      return /^[0-9]+$/.test(value) ? undefined : `setting '${name}' has invalid value '${value}'`;
    case "jobs":
      return value === "auto" || /^[0-9]+$/.test(value) ? undefined : `configuration setting '${name}' should be 'auto' or an integer`;
    case "unit": {
      // string2IntWithUnitPrefix: digits, then at most one of K, M, G, T.
      const last = value.slice(-1).toUpperCase();
      const digits = /[0-9]/.test(last) ? value : value.slice(0, -1);
      if (!/[0-9]/.test(last) && !"KMGT".includes(last)) return `invalid unit specifier '${last}'`;
      return /^[0-9]+$/.test(digits) ? undefined : `'${digits}' is not an integer`;
    }
    default:
      return undefined;
  }
}

/** Current Nix's experimental features: other names in experimental-features get a warning, as in Nix. */
const FEATURES: ReadonlySet<string> = new Set([
  "ca-derivations", "impure-derivations", "flakes", "fetch-tree", "nix-command", "git-hashing", "recursive-nix",
  "fetch-closure", "auto-allocate-uids", "cgroups", "daemon-trust-override", "dynamic-derivations",
  "parse-toml-timestamps", "read-only-local-store", "local-overlay-store", "configurable-impure-env",
  "mounted-ssh-store", "verified-fetches", "pipe-operators", "external-builders", "blake3-hashes",
]);

/** Settings given on the command line, by name; list settings hold their value as Nix joins it (spaces). */
export class NixSettings {
  private readonly values = new Map<string, string>();
  /** Messages Nix prints as warnings while reading the flags. */
  readonly warnings: string[] = [];
  /** nix-path as configuration ($NIX_CONFIG) left it; NIX_PATH overrides it, the flags do not. */
  private configNixPath: string | undefined;
  /** What the flags did to nix-path, in order: replace it (`set`) or append to it. */
  private readonly nixPathFlags: { append: boolean; value: string }[] = [];
  private readingConfig = false;

  /** The settings again after a structured clone (to a worker thread), which keeps the data but not the class. */
  static revive(cloned: NixSettings): NixSettings {
    const s = new NixSettings();
    for (const [k, v] of cloned.values) s.values.set(k, v);
    s.warnings.push(...cloned.warnings);
    s.configNixPath = cloned.configNixPath;
    s.nixPathFlags.push(...cloned.nixPathFlags);
    return s;
  }

  /**
   * The search path after -I, as Nix composes it: NIX_PATH (`envNixPath`, even empty) over the
   * configuration's nix-path, then each --nix-path (replacing) and --extra-nix-path (appending).
   */
  nixPath(envNixPath: string | undefined): string[] {
    let path = envNixPath !== undefined ? envNixPath.split(":") : (this.configNixPath ?? "").split(/\s+/);
    for (const f of this.nixPathFlags) path = [...(f.append ? path : []), ...f.value.split(/\s+/)];
    return path.filter((x) => x !== "");
  }

  /**
   * Settings from `$NIX_CONFIG` (nix.conf lines), which Nix applies before the command line's flags.
   * Unknown names warn as with `--option`; a malformed line or a bad value is a usage error, as in Nix.
   */
  static fromEnv(env: Record<string, string | undefined>, fail: (message: string) => never): NixSettings {
    const s = new NixSettings();
    s.readingConfig = true;
    for (const line of (env.NIX_CONFIG ?? "").split("\n")) {
      const words = line.replace(/#.*/, "").split(/\s+/).filter((w) => w !== "");
      // include/!include name files: nixoci reads no configuration file.
      if (words.length === 0 || words[0] === "include" || words[0] === "!include") continue;
      if (words.length < 2 || words[1] !== "=") fail(`illegal configuration line '${line}' in 'NIX_CONFIG'`);
      const [given, , ...value] = words;
      const name = canonicalName(given!);
      if (!s.known(name)) s.warnings.push(`warning: unknown setting '${name}'`);
      else {
        const problem = s.assign(name, value.join(" "));
        if (problem !== undefined) fail(problem);
      }
    }
    s.readingConfig = false;
    s.configNixPath = s.get("nix-path");
    return s;
  }

  /** What the evaluator reads from the settings (the last flag setting one wins, as in Nix). */
  evalSettings(): { showTrace: boolean; maxCallDepth?: number; experimentalFeatures: string[] } {
    const depth = this.get("max-call-depth");
    return {
      showTrace: this.bool("show-trace") ?? false,
      maxCallDepth: depth === undefined ? undefined : Number(depth),
      experimentalFeatures: (this.get("experimental-features") ?? "").split(/\s+/).filter((f) => f !== ""),
    };
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** builtins.currentSystem, and the flake outputs' system: eval-system unless empty, else system (current Nix). */
  currentSystem(): string | undefined {
    const evalSystem = this.values.get("eval-system");
    return evalSystem !== undefined && evalSystem !== "" ? evalSystem : this.values.get("system");
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : v === "true";
  }

  /**
   * `--option name value`: an unknown name or a bad value is a warning (Nix 2.8 words the latter
   * "warning: error: …") and evaluation goes on.
   */
  set(given: string, value: string): void {
    const name = canonicalName(given);
    if (!this.known(name)) {
      this.warnings.push(`warning: unknown setting '${name}'`);
      return;
    }
    const problem = this.assign(name, value);
    if (problem !== undefined) this.warnings.push(`warning: error: ${problem}`);
  }

  private known(name: string): boolean {
    return SETTINGS.has(name) || (name.startsWith("extra-") && SETTINGS.has(name.slice(6)));
  }

  /** Sets `name` (or appends, for `extra-name`); returns what is wrong with the value, if anything. */
  private assign(name: string, value: string, units = false): string | undefined {
    const extra = name.startsWith("extra-") && !SETTINGS.has(name) ? name.slice(6) : undefined;
    const key = extra ?? name;
    const kind = SETTINGS.get(key);
    if (kind === undefined) return undefined;
    const problem = invalid(key, kind, value, units);
    if (problem !== undefined) return problem;
    if (key === "experimental-features")
      for (const f of value.split(/\s+/)) if (f !== "" && !FEATURES.has(f)) this.warnings.push(`warning: unknown experimental feature '${f}'`);
    const prev = this.values.get(key);
    this.values.set(key, extra !== undefined && prev !== undefined && prev !== "" ? `${prev} ${value}` : value);
    if (key === "nix-path" && !this.readingConfig) this.nixPathFlags.push({ append: extra !== undefined, value });
    return undefined;
  }

  /**
   * The settings flag at `argv[i]`, if it is one (`--option NAME VALUE`, `-j N`, `--NAME VALUE`,
   * `--[no-]NAME`, `--extra-NAME VALUE`): how many of argv it takes (1 to 3), else 0. Calls `fail`
   * (which throws) when a flag lacks its values or a `--NAME` flag has a bad one. nix-instantiate
   * and `nix eval` read these flags alike, so both commands parse them here; `units`: the flags are
   * nix-instantiate's, whose --timeout, --cores and --max-silent-time take a K/M/G/T suffix.
   */
  parseFlag(argv: readonly string[], i: number, fail: (message: string) => never, units = false): number {
    const a = argv[i]!;
    const need = (n: number): void => {
      if (i + n >= argv.length) fail(`flag '${a}' requires ${n} argument(s)`);
    };
    if (a === "--option") {
      need(2);
      this.set(argv[i + 1]!, argv[i + 2]!);
      return 3;
    }
    if (a === "-j") {
      need(1);
      const problem = this.assign("max-jobs", argv[i + 1]!);
      if (problem !== undefined) fail(problem);
      return 2;
    }
    if (!a.startsWith("--")) return 0;
    const name = canonicalName(a.slice(2));
    const kind = SETTINGS.get(name);
    if (kind === "bool") {
      this.values.set(name, "true");
      return 1;
    }
    if (name.startsWith("no-") && SETTINGS.get(name.slice(3)) === "bool") {
      this.values.set(name.slice(3), "false");
      return 1;
    }
    const extra = name.startsWith("extra-") ? name.slice(6) : undefined;
    if (kind !== undefined || (extra !== undefined && SETTINGS.get(extra) === "value")) {
      need(1);
      const problem = this.assign(name, argv[i + 1]!, units);
      if (problem !== undefined) fail(problem);
      return 2;
    }
    return 0;
  }
}
