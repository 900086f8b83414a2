/**
 * Names of Nix's base environment, for tools that parse and bind without an
 * evaluator (the `--parse` entry point, tests). The evaluator owns the real
 * base environment and passes its own names to `bind`.
 */
export const parseOnlyGlobalNames: readonly string[] = [
  "builtins", "true", "false", "null", "import", "abort", "throw", "map", "toString", "derivation",
  "derivationStrict", "baseNameOf", "dirOf", "isNull", "removeAttrs", "fetchTarball", "fetchGit",
  "fetchMercurial", "fetchTree", "fromTOML", "scopedImport", "placeholder", "break",
  "__sub", "__mul", "__div", "__lessThan", "__findFile", "__nixPath", "__currentSystem", "__currentTime",
  "__storeDir", "__nixVersion", "__langVersion", "__toString", "__typeOf", "__add",
];
