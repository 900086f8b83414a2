/**
 * Nix's configuration settings as command-line flags: every setting `name` is also `--name VALUE`
 * (`--name` / `--no-name` for a Boolean one, `--extra-name VALUE` to append to a list) and
 * `--option name VALUE`, as nix-instantiate accepts them (lib/tests/modules.sh passes `--timeout 1`).
 * The names and kinds are Nix 2.8's (`nix show-config`), plus the evaluator settings of current Nix
 * that nixoci implements. Most only matter to building or the daemon and are accepted and kept;
 * the evaluator reads pure-eval, system, nix-path, show-trace, max-call-depth, abort-on-warn and
 * the features.
 */

/** A Boolean, any text, an unsigned integer, one with a K/M/G/T suffix (timeout, cores), or max-jobs. */
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
    "build-hook", "build-users-group", "builders", "commit-lockfile-summary", "diff-hook", "experimental-features",
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

/** Nix's complaint about `value` for a setting of this kind, or undefined when it is fine. */
function invalid(name: string, kind: Kind, value: string): string | undefined {
  switch (kind) {
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

/** Settings given on the command line, by name; list settings hold their value as Nix joins it (spaces). */
export class NixSettings {
  private readonly values = new Map<string, string>();
  /** Messages Nix prints as warnings while reading the flags. */
  readonly warnings: string[] = [];

  /** The settings again after a structured clone (to a worker thread), which keeps the data but not the class. */
  static revive(cloned: NixSettings): NixSettings {
    const s = new NixSettings();
    for (const [k, v] of cloned.values) s.values.set(k, v);
    s.warnings.push(...cloned.warnings);
    return s;
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : v === "true";
  }

  /**
   * `--option name value`: an unknown name or a bad value is a warning (Nix 2.8 words the latter
   * "warning: error: …") and evaluation goes on.
   */
  set(name: string, value: string): void {
    const known = SETTINGS.has(name) || (name.startsWith("extra-") && SETTINGS.has(name.slice(6)));
    if (!known) {
      this.warnings.push(`warning: unknown setting '${name}'`);
      return;
    }
    const problem = this.assign(name, value);
    if (problem !== undefined) this.warnings.push(`warning: error: ${problem}`);
  }

  /** Sets `name` (or appends, for `extra-name`); returns what is wrong with the value, if anything. */
  private assign(name: string, value: string): string | undefined {
    const extra = name.startsWith("extra-") && !SETTINGS.has(name) ? name.slice(6) : undefined;
    const key = extra ?? name;
    const kind = SETTINGS.get(key);
    if (kind === undefined) return undefined;
    const problem = invalid(key, kind, value);
    if (problem !== undefined) return problem;
    const prev = this.values.get(key);
    this.values.set(key, extra !== undefined && prev !== undefined && prev !== "" ? `${prev} ${value}` : value);
    return undefined;
  }

  /**
   * The setting flag at `argv[i]`, if it is one: how many of argv it takes (1 or 2), else 0.
   * Calls `fail` (which throws) when a value flag has no value or a bad one.
   */
  parseFlag(argv: readonly string[], i: number, fail: (message: string) => never): number {
    const a = argv[i]!;
    if (!a.startsWith("--")) return 0;
    const name = a.slice(2);
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
      if (i + 1 >= argv.length) fail(`flag '${a}' requires 1 argument(s)`);
      const problem = this.assign(name, argv[i + 1]!);
      if (problem !== undefined) fail(problem);
      return 2;
    }
    return 0;
  }
}
