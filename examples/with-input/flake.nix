{
  description = "with-input: a flake with a path input pinned in flake.lock";

  inputs.greeting = {
    url = "path:./greeting";
    flake = false;
  };

  outputs = { self, greeting }:
    let
      system = "x86_64-linux";
      busybox = derivation {
        name = "busybox-static";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "mkdir -p $out/bin && cp /bin/sh $out/bin/busybox && ln -s busybox $out/bin/sh" ];
      };
      greet = derivation {
        name = "greet-1.0";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" ''
          mkdir -p $out/bin $out/share
          cp ${greeting}/message.txt $out/share/message.txt
          printf '#!%s/bin/sh\ncat %s/share/message.txt\n' ${busybox} $out > $out/bin/greet
          chmod +x $out/bin/greet
        '' ];
      } // { meta.mainProgram = "greet"; };
    in {
      packages.${system}.default = greet;
    };
}
