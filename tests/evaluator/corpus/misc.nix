# Remaining builtins: search paths, fetchers on local files, environment-dependent values (by type).
{
  toPath = builtins.toPath "/a/b/../c";
  nixPath = builtins.nixPath;
  findFile = builtins.findFile [ { prefix = "lib"; path = toString ./data/search; } ] "lib/one";
  findFileImport = import (builtins.findFile [ { prefix = ""; path = toString ./data/search; } ] "one");
  currentTimeType = builtins.typeOf builtins.currentTime;
  langVersionType = builtins.typeOf builtins.langVersion;
  nixVersionType = builtins.typeOf builtins.nixVersion;
  builtinsSelf = builtins.typeOf builtins.builtins;
  builtinsHasMap = builtins.builtins ? map;
  fetchurlFile = builtins.fetchurl "file://${toString ./data/hello.txt}";
  fetchurlAttrs = builtins.fetchurl { url = "file://${toString ./data/hello.txt}"; name = "renamed.txt"; };
  fetchTarballFile = builtins.fetchTarball "file://${toString ./data/pkg.tar.gz}";
  fetchTarballReadFile = builtins.readFile "${builtins.fetchTarball "file://${toString ./data/pkg.tar.gz}"}/file.txt";
  importDirectory = import ./data/search/one;
  pathWithSpaces = builtins.baseNameOf "/a b/c d";
  hashStringAlgos = map (a: builtins.stringLength (builtins.hashString a "x")) [ "md5" "sha1" "sha256" "sha512" ];
  storePathDirect = builtins.storePath (builtins.toFile "sp" "x");
  unsafeDiscardOutputDependencyPlain = builtins.unsafeDiscardOutputDependency "plain";
  splitVersionEmpty = builtins.splitVersion "";
  attrNamesOfBuiltinFunctionArgs = builtins.functionArgs builtins.map;
  seqOnAttrs = builtins.seq { a = throw "lazy"; } "attrs are WHNF";
  deepSeqList = builtins.deepSeq [ 1 [ 2 [ 3 ] ] ] "ok";
  genericClosureEmpty = builtins.genericClosure { startSet = [ ]; operator = x: [ ]; };
  # One key is compared with nothing, whatever its type (two sets could not be ordered).
  genericClosureOneSetKey = builtins.genericClosure { startSet = [ { key = { }; } ]; operator = x: [ ]; };
  mapAttrsOnEmpty = builtins.mapAttrs (n: v: v) { };
  zipAttrsWithEmpty = builtins.zipAttrsWith (n: v: v) [ ];
  listToAttrsEmpty = builtins.listToAttrs [ ];
  concatMapEmpty = builtins.concatMap (x: [ x ]) [ ];
  groupByEmpty = builtins.groupBy (x: x) [ ];
  partitionAll = builtins.partition (x: true) [ 1 2 ];
  intersectAttrsEmpty = builtins.intersectAttrs { } { a = 1; };
  removeAttrsAll = builtins.removeAttrs { a = 1; } [ "a" ];
  catAttrsNone = builtins.catAttrs "z" [ { a = 1; } ];
  replaceStringsMultiple = builtins.replaceStrings [ "&" "<" ">" ] [ "&amp;" "&lt;" "&gt;" ] "<a & b>";
  stringLengthOfInt = builtins.stringLength (toString 12345);
  elemAtLast = builtins.elemAt [ 1 2 3 ] 2;
  typeOfPrimopApp = builtins.typeOf (builtins.add 1);
  functionArgsPrimop = builtins.functionArgs builtins.add;
  tryEvalValueFalse = (builtins.tryEval (throw "x")).value;
  readDirSymlink = (builtins.readDir ./data/dir).link;
  pathExistsDirSlash = builtins.pathExists (toString ./data/dir + "/");
}
