{
  description = "leak: a package that keeps a build-only tool in its runtime closure";

  # `default` embeds the path of build-tools in its output by accident;
  # `nixoci.disallow` makes the image build fail with the why-depends chain.
  # `strict` declares disallowedReferences, so the build itself fails.
  outputs = { self }:
    let
      system = "x86_64-linux";
      buildTools = derivation {
        name = "build-tools-1.0";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "mkdir -p $out/bin && echo 'echo compiling' > $out/bin/cc" ];
      };
      mk = extra: derivation ({
        name = "leaky-app-1.0";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" ''
          mkdir -p $out/share
          echo "built with ${buildTools}/bin/cc" > $out/share/build-info
          echo "app" > $out/share/app.txt
        '' ];
      } // extra);
    in {
      packages.${system} = {
        default = mk { } // { nixoci.disallow = [ "build-tools" ]; };
        strict = mk { disallowedReferences = [ buildTools ]; };
        build-tools = buildTools;
      };
    };
}
