# String primitives, escapes, interpolation and coercions.
{
  concat = "foo" + "bar";
  interp = let x = "world"; in "hello ${x}!";
  interpNested = "a${"b${"c"}d"}e";
  interpInt = "n=${toString 42}";
  escapes = "tab\tnl\nquote\"backslash\\dollar\${x}";
  dollarAlone = "$ and $$ and $x";
  indented = ''
    line one
      indented two
    line three
  '';
  indentedEscapes = ''
    dollar ''${x} quote ''' tab ''\t nl ''\n
  '';
  indentedInterp = let v = "X"; in ''
    a ${v} b
  '';
  indentedEmpty = '''';
  indentedFirstLine = ''  leading'';
  indentedTabs = "${''
		tabbed
	''}";
  length = builtins.stringLength "hello";
  lengthUtf8 = builtins.stringLength "héllo";
  lengthEmpty = builtins.stringLength "";
  substring = builtins.substring 1 3 "abcdef";
  substringPastEnd = builtins.substring 4 100 "abcdef";
  substringStartPastEnd = builtins.substring 10 2 "abc";
  substringNegLen = builtins.substring 1 (-1) "abcdef";
  substringZero = builtins.substring 0 0 "abc";
  replace = builtins.replaceStrings [ "a" "b" ] [ "1" "2" ] "aabbcc";
  replaceEmptyPattern = builtins.replaceStrings [ "" ] [ "-" ] "abc";
  replaceLongestFirst = builtins.replaceStrings [ "a" "aa" ] [ "x" "y" ] "aaa";
  replaceOrder = builtins.replaceStrings [ "aa" "a" ] [ "y" "x" ] "aaa";
  replaceNoMatch = builtins.replaceStrings [ "z" ] [ "q" ] "abc";
  replaceToEmpty = builtins.replaceStrings [ "-" ] [ "" ] "a-b-c";
  concatSep = builtins.concatStringsSep ", " [ "a" "b" "c" ];
  concatSepEmpty = builtins.concatStringsSep "," [ ];
  concatSepOne = builtins.concatStringsSep "," [ "x" ];
  toStringInt = toString 42;
  toStringNeg = toString (-42);
  toStringBool = [ (toString true) (toString false) ];
  toStringNull = toString null;
  toStringList = toString [ 1 "a" [ 2 3 ] null true ];
  toStringEmptyList = toString [ ];
  toStringNestedEmpty = toString [ [ ] [ ] ];
  toStringAttrsOutPath = toString { outPath = "/some/where"; };
  toStringAttrsToString = toString { __toString = self: "custom ${self.v}"; v = "value"; };
  interpAttrs = "${{ outPath = "op"; }}";
  interpToString = "${{ __toString = _: "ts"; }}";
  stringCompare = [ ("a" < "b") ("" < "a") ("Z" < "a") ];
  unicode = "ünïcödé → ✓";
  emoji = builtins.stringLength "😀";
  baseName = builtins.baseNameOf "/a/b/c.txt";
  baseNameTrailing = builtins.baseNameOf "/a/b/";
  baseNameRoot = builtins.baseNameOf "/";
  baseNameRel = builtins.baseNameOf "c";
  dirOf = builtins.dirOf "/a/b/c.txt";
  dirOfRoot = builtins.dirOf "/a";
  dirOfRel = builtins.dirOf "a/b";
  dirOfNoSlash = builtins.dirOf "abc";
  dirOfTrailing = builtins.dirOf "/a/b/";
  hashMd5 = builtins.hashString "md5" "hello";
  hashSha1 = builtins.hashString "sha1" "hello";
  hashSha256 = builtins.hashString "sha256" "hello";
  hashSha512 = builtins.hashString "sha512" "hello";
  hashEmpty = builtins.hashString "sha256" "";
  hashUnicode = builtins.hashString "sha256" "é";
  stringsWithContextLen = builtins.stringLength "${builtins.toFile "f" "x"}";
  multilineConcat = builtins.concatStringsSep "\n" [ "a" "b" ];
  crlf = "a\r\nb";
  stringAsAttrName = { "with space" = 1; "dotted.name" = 2; }."with space";
  interpAttrName = let k = "dyn"; in { ${k} = 1; "${k}2" = 2; };
  typeOfString = builtins.typeOf "s";
}
