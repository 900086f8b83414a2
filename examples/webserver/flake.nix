{
  description = "webserver: busybox httpd serving a static site as a non-root user";

  outputs = { self }:
    let
      system = "x86_64-linux";
      busybox = derivation {
        name = "busybox-static";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "mkdir -p $out/bin && cp /bin/sh $out/bin/busybox && ln -s busybox $out/bin/sh" ];
      };
      site = builtins.toFile "index.html" ''
        <!doctype html>
        <title>nixoci</title>
        <p>Served by busybox httpd from a nixoci image.</p>
      '';
      server = derivation {
        name = "webserver-0.1";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" ''
          mkdir -p $out/bin $out/www
          cp ${site} $out/www/index.html
          printf '#!%s/bin/sh\nexec %s/bin/busybox httpd -f -v -p "''${PORT:-8080}" -h %s/www "$@"\n' ${busybox} ${busybox} $out > $out/bin/webserver
          chmod +x $out/bin/webserver
        '' ];
      } // {
        meta.mainProgram = "webserver";
        nixoci = {
          ports = [ "8080/tcp" ];
          user = "www";
          env = { PORT = "8080"; };
          workingDir = "/tmp";
        };
      };
    in {
      packages.${system} = {
        inherit busybox;
        default = server;
      };
    };
}
