# toJSON / fromJSON / fromTOML / toXML.
{
  toJSONScalars = map builtins.toJSON [ 1 (-5) "s" true false null ];
  toJSONFloat = builtins.toJSON 2.5;
  toJSONList = builtins.toJSON [ 1 [ 2 ] { a = 3; } ];
  toJSONAttrsSorted = builtins.toJSON { b = 1; a = 2; "A" = 3; "é" = 4; "_" = 5; };
  toJSONEscapes = builtins.toJSON "quote\" backslash\\ nl\n tab\t cr\r ctl\u0001 del\u007f é";
  toJSONOutPath = builtins.toJSON { outPath = "/nix/store/x"; other = 1; };
  toJSONToString = builtins.toJSON { __toString = self: "via-toString"; };
  toJSONEmpty = [ (builtins.toJSON { }) (builtins.toJSON [ ]) (builtins.toJSON "") ];
  toJSONNested = builtins.toJSON { a = { b = { c = [ { d = null; } ]; }; }; };
  toJSONPath = builtins.typeOf (builtins.toJSON ./json.nix);
  fromJSONObject = builtins.fromJSON ''{"a": 1, "b": [true, false, null], "c": {"d": "e"}}'';
  fromJSONNumbers = builtins.fromJSON "[0, -1, 12345678901234, 9223372036854775807]";
  fromJSONFloats = map toString (builtins.fromJSON "[1.5, -0.25, 1e3, 2E-2]");
  fromJSONTypes = map builtins.typeOf (builtins.fromJSON "[1, 1.0, 1e0, \"1\"]");
  fromJSONUnicode = builtins.fromJSON ''"\u00e9\u4e2d\ud83d\ude00"'';
  fromJSONEscapes = builtins.fromJSON ''"a\"b\\c\/d\be\ff\ng\rh\ti"'';
  fromJSONWhitespace = builtins.fromJSON " \n\t [ 1 , 2 ] \r\n";
  fromJSONDuplicate = builtins.fromJSON ''{"a": 1, "a": 2}'';
  fromJSONEmptyKey = builtins.fromJSON ''{"": 1}'';
  fromJSONString = builtins.fromJSON ''"plain"'';
  fromJSONNull = builtins.fromJSON "null";
  fromJSONDeep = builtins.fromJSON "[[[[[[[[[[1]]]]]]]]]]";
  roundTrip = builtins.fromJSON (builtins.toJSON { a = [ 1 "x" null ]; b = { c = true; }; });
  roundTripString = builtins.fromJSON (builtins.toJSON "line\nnext\ttab\"q\"");
  fromTOMLBasic = builtins.fromTOML ''
    title = "TOML"
    num = 42
    neg = -17
    hex = 0xff
    oct = 0o17
    bin = 0b101
    under = 1_000
    bool = true
    arr = [ 1, 2, 3 ]
    nested = [ [ "a" ], [ "b", "c" ] ]
  '';
  fromTOMLFloats = builtins.mapAttrs (_: toString) (builtins.fromTOML ''
    f1 = 1.5
    f2 = -0.01
    f3 = 5e+22
    f4 = 6.626e-34
  '');
  fromTOMLTables = builtins.fromTOML ''
    [server]
    host = "localhost"
    port = 8080

    [server.tls]
    enabled = false

    [[users]]
    name = "alice"

    [[users]]
    name = "bob"
    roles = [ "admin" ]
  '';
  fromTOMLDotted = builtins.fromTOML ''
    a.b.c = 1
    a.d = "x"
    "quoted key" = 2
    inline = { x = 1, y = { z = 2 } }
  '';
  fromTOMLStrings = builtins.fromTOML ''
    basic = "tab\tnewline\nunicode\u00e9"
    literal = 'C:\path\no-escape'
    multi = """
    line1
    line2"""
  '';
  fromTOMLMultiLiteral = builtins.fromTOML "m = '''\nraw \\n text'''";
  fromTOMLEmpty = builtins.fromTOML "";
  fromTOMLComments = builtins.fromTOML "# comment\na = 1 # trailing\n";
  toXMLScalars = builtins.toXML { s = "str"; i = 1; b = true; n = null; f = 1.5; l = [ 1 "two" ]; };
  toXMLEscapes = builtins.toXML "<tag> & \"quotes\" 'apos'";
  toXMLFunction = builtins.toXML ({ a, b ? 1, ... }: a);
  toXMLNested = builtins.toXML { a = { b = [ { c = "d"; } ]; }; };
  toXMLEmpty = builtins.toXML { };
}
