/**
 * The Nix-language side of flake evaluation. Locking and fetching happen in
 * TypeScript; the result is a lock graph whose every node has a fetched
 * `sourceInfo`. This expression turns that graph into the flake value that
 * `outputs` functions see, the same shape Nix gives them:
 *   self = outputs // sourceInfo // { inputs; outputs; sourceInfo; }
 * (Nix 2.8 has no `_type = "flake"`; later versions add it.)
 * and a non-flake input is just its sourceInfo.
 *
 * Source paths arrive as plain strings in JSON; `appendContext` gives them
 * their store-path context back so that `"${self}"` or `"${input}"` in a
 * derivation makes the source an input of it, as in Nix.
 */
export const callFlakeExpr = String.raw`
graphJson:
let
  graph = builtins.fromJSON graphJson;
  withContext = p: builtins.appendContext p { ${"${p}"} = { path = true; }; };

  # An input edge is a node key, or a "follows" path of input names from the root.
  resolve = ref:
    if builtins.isList ref
    then builtins.foldl' (key: name: resolve graph.nodes.${"${key}"}.inputs.${"${name}"}) graph.root ref
    else ref;

  sourceInfoOf = node:
    node.sourceInfo // { outPath = withContext node.sourceInfo.outPath; };

  nodes = builtins.mapAttrs (key: node:
    let
      sourceInfo = sourceInfoOf node;
      dir = if node.dir or "" == "" then "" else "/" + node.dir;
      flake = import (sourceInfo.outPath + dir + "/flake.nix");
      inputs = builtins.mapAttrs (name: ref: nodes.${"${resolve ref}"}) (node.inputs or { });
      outputs = flake.outputs (inputs // { self = result; });
      result = outputs // sourceInfo // {
        inherit inputs outputs sourceInfo;
      };
    in
      if node.flake or true then result else sourceInfo
  ) graph.nodes;
in
  nodes.${"${graph.root}"}
`;
