{
  description = "todo-chatbot: from source to a verified deployment on local Kubernetes";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    systems.url = "github:nix-systems/default";
  };

  # Every tool the test suite runs is listed in scripts/test-tools.txt, and every nixpkgs
  # attribute used here in nix/nixpkgs-attributes.txt; crates/todoctl/tests/dev_shell.rs
  # evaluates this file and fails when either list and the dev shell disagree.
  outputs = { self, nixpkgs, rust-overlay, systems }:
    let
      forEachSystem = f: nixpkgs.lib.genAttrs (import systems) (system:
        f (import nixpkgs {
          inherit system;
          overlays = [ rust-overlay.overlays.default ];
        }));
    in
    {
      devShells = forEachSystem (pkgs:
        let
          # The one Rust version, read from the same file rustup uses.
          rust = pkgs.rust-bin.fromRustupToolchainFile ./rust-toolchain.toml;

          # Helm 4 as `helm` and Helm 3 as `helm3`, from Helm's release archives at the versions
          # `just tools` installs (scripts/install-tools.sh). nixpkgs has a single
          # `kubernetes-helm`, whose major moves with the revision, and no Helm 3 beside it.
          # The hashes are the ones Helm publishes with each archive (`….tar.gz.sha256sum`).
          helmRelease = command: version: archives:
            let
              system = pkgs.stdenv.hostPlatform.system;
              archive = archives.${system} or (throw
                "flake.nix: no Helm ${version} archive recorded for ${system}; add its name and sha256 to `${command}`");
            in
            pkgs.stdenvNoCC.mkDerivation {
              pname = command;
              inherit version;
              src = pkgs.fetchurl {
                url = "https://get.helm.sh/helm-v${version}-${archive.name}.tar.gz";
                inherit (archive) sha256;
              };
              installPhase = ''
                runHook preInstall
                install -D -m 0755 helm "$out/bin/${command}"
                runHook postInstall
              '';
            };
          helm = helmRelease "helm" "4.1.4" {
            x86_64-linux = { name = "linux-amd64"; sha256 = "70b2c30a19da4db264dfd68c8a3664e05093a361cefd89572ffb36f8abfa3d09"; };
            aarch64-linux = { name = "linux-arm64"; sha256 = "13d03672be289045d2ff00e4e345d61de1c6f21c1257a45955a30e8ae036d8f1"; };
            x86_64-darwin = { name = "darwin-amd64"; sha256 = "abf09c8503ad1d8ef76d3737a058c3456a998aae5f5966fce4bb3031aeb1654e"; };
            aarch64-darwin = { name = "darwin-arm64"; sha256 = "7c2eca678e8001fa863cdf8cbf6ac1b3799f9404a89eb55c08260ef5732e658d"; };
          };
          helm3 = helmRelease "helm3" "3.17.2" {
            x86_64-linux = { name = "linux-amd64"; sha256 = "90c28792a1eb5fb0b50028e39ebf826531ebfcf73f599050dbd79bab2f277241"; };
            aarch64-linux = { name = "linux-arm64"; sha256 = "d78d76ec7625a94991e887ac049d93f44bd70e4876200b945f813c9e1ed1df7c"; };
            x86_64-darwin = { name = "darwin-amd64"; sha256 = "3e240238c7a3a10efd37b8e16615b28e94ba5db5957247bb42009ba6d52f76e9"; };
            aarch64-darwin = { name = "darwin-arm64"; sha256 = "b843cebcbebc9eccb1e43aba9cca7693d32e9f2c4a35344990e3b7b381933948"; };
          };

          # What the tests run that only exists on Linux: the image engines, the browser, and
          # the real-Kubernetes test cluster's components (scripts/test-cluster/ uses these
          # instead of building its own when run under `nix develop`).
          linuxOnly = pkgs.lib.optionals pkgs.stdenv.isLinux [
            pkgs.podman
            pkgs.buildah
            pkgs.chromium
            pkgs.chromedriver
            pkgs.kubernetes
            pkgs.etcd
            pkgs.containerd
            pkgs.runc
            pkgs.cri-tools
            pkgs.cni-plugins
            pkgs.coredns
            pkgs.kubernetes-metrics-server
            pkgs.iptables
            pkgs.iproute2
            pkgs.conntrack-tools
            pkgs.inotify-tools
            pkgs.openssl
            pkgs.debootstrap
            pkgs.util-linux
          ];
        in
        {
          default = pkgs.mkShell {
            packages = [
              rust
              pkgs.just
              pkgs.cargo-nextest
              helm
              helm3
              pkgs.minikube
              pkgs.kubectl
              pkgs.docker-client
              pkgs.hadolint
              pkgs.schemathesis
              pkgs.kubectl-ai
              pkgs.kagent
              pkgs.kubeconform
              pkgs.postgresql_17
              pkgs.jq
              pkgs.curl
              pkgs.wrk
              pkgs.socat
            ] ++ linuxOnly;

            # Tests and recipes resolve tools through PATH; nothing from .tools/ is needed here.
            CARGO_HUSKY_DONT_INSTALL_HOOKS = "false";

            shellHook = ''
              echo "todo-chatbot dev shell:"
              echo "  $(rustc --version)"
              echo "  just $(just --version | cut -d' ' -f2), helm $(helm version --short 2>/dev/null), helm3 $(helm3 version --short 2>/dev/null), kubectl $(kubectl version --client 2>/dev/null | head -n1 | cut -d' ' -f3)"
              echo "  minikube $(minikube version --short 2>/dev/null), hadolint $(hadolint --version | cut -d' ' -f4)"
              echo "Run 'just' for the recipes; 'just test' to test, 'just deploy' to deploy."
            '';
          };
        });
    };
}
