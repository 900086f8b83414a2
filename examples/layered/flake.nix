{
  description = "layered: an app with a three-level dependency chain and a diamond";

  # app -> liba -> libbase, app -> libb -> libbase: libbase is the most
  # popular path, so popularity layering gives it a layer of its own.
  outputs = { self }:
    let
      system = "x86_64-linux";
      sh = "/bin/sh";
      busybox = derivation {
        name = "busybox-static";
        inherit system;
        builder = sh;
        args = [ "-c" "mkdir -p $out/bin && cp /bin/sh $out/bin/busybox && ln -s busybox $out/bin/sh" ];
      };
      # A "library": a data file plus a reference to each dependency.
      lib = name: deps: derivation {
        inherit name system;
        builder = sh;
        deps = deps;
        args = [ "-c" ''
          mkdir -p $out/share
          echo "${name}" > $out/share/${name}.txt
          for d in $deps; do
            echo "$d" >> $out/share/deps
            if [ -d $d/share ]; then cat $d/share/*.txt >> $out/share/${name}.txt; fi
          done
        '' ];
      };
      libbase = lib "libbase-2.1" [ busybox ];
      liba = lib "liba-1.0" [ libbase ];
      libb = lib "libb-0.3" [ libbase ];
      app = derivation {
        name = "layered-app-1.2";
        inherit system;
        builder = sh;
        args = [ "-c" ''
          mkdir -p $out/bin
          cat > $out/bin/layered-app <<EOS
          #!${busybox}/bin/sh
          echo "app uses:"
          cat ${liba}/share/liba-1.0.txt ${libb}/share/libb-0.3.txt
          EOS
          chmod +x $out/bin/layered-app
        '' ];
      } // {
        meta.mainProgram = "layered-app";
        nixoci = {
          maxLayers = 4;
          env = { GREETING = "layers"; };
          labels = { "org.example.kind" = "demo"; };
        };
      };
    in {
      packages.${system} = {
        inherit busybox libbase liba libb;
        default = app;
      };
    };
}
