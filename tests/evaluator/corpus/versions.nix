# Version strings and derivation names.
{
  compare = map (p: builtins.compareVersions (builtins.elemAt p 0) (builtins.elemAt p 1)) [
    [ "1.0" "2.3" ] [ "2.1" "2.3" ] [ "2.3" "2.3" ] [ "2.5" "2.3" ] [ "3.1" "2.3" ]
    [ "2.3.1" "2.3" ] [ "2.3.1" "2.3a" ] [ "2.3pre1" "2.3" ] [ "2.3pre3" "2.3pre12" ] [ "2.3a" "2.3c" ]
    [ "2.3pre1" "2.3c" ] [ "2.3pre1" "2.3q" ] [ "1.0" "1.0.0" ] [ "" "1" ] [ "a" "b" ] [ "1.0-rc1" "1.0" ]
    [ "unstable-2021-01-01" "unstable-2020-12-31" ] [ "10" "9" ] [ "1.10" "1.9" ] [ "0.0.1" "0.0.01" ]
  ];
  splitVersion = map builtins.splitVersion [ "1.2.3" "2.3pre1" "1.0-rc.2" "" "abc" "1..2" "-1" "5.0.0beta" "2021-01-01" ];
  parseDrvName = map builtins.parseDrvName [ "hello-2.10" "nix-2.8.0pre" "foo-bar-1.0" "foo" "foo-" "-1" "python3.10-requests-2.28.1" "gcc-wrapper-12.2.0" ];
  sortByVersion = builtins.sort (a: b: builtins.compareVersions a b < 0) [ "1.10" "1.2" "1.9" "1.10pre" "0.9" ];
  nameFromDrvName = (builtins.parseDrvName "openssl-3.0.8").name;
}
