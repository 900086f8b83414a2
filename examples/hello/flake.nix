{
  description = "hello: a tiny program in a minimal image";

  # No nixpkgs and no network: the only tool is the static busybox that the
  # build sandbox provides as /bin/sh (sandbox-paths = /bin/sh=busybox).
  outputs = { self }:
    let
      system = "x86_64-linux";
      busybox = derivation {
        name = "busybox-static";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "mkdir -p $out/bin && cp /bin/sh $out/bin/busybox && ln -s busybox $out/bin/sh" ];
      };
      hello = derivation {
        name = "hello-1.0";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" ''
          mkdir -p $out/bin
          printf '#!%s/bin/sh\necho "Hello from nixoci!"\n' ${busybox} > $out/bin/hello
          chmod +x $out/bin/hello
        '' ];
      } // {
        meta.mainProgram = "hello";
      };
    in {
      packages.${system} = {
        inherit busybox hello;
        default = hello;
      };
    };
}
