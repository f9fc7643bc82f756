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
          linuxOnly = pkgs.lib.optionals pkgs.stdenv.isLinux [ pkgs.chromium ];
        in
        {
          default = pkgs.mkShell {
            packages = [
              rust
              pkgs.just
              pkgs.minikube
              pkgs.kubernetes-helm
              pkgs.kubectl
              pkgs.docker-client
              pkgs.hadolint
              pkgs.kubectl-ai
              pkgs.kagent
              pkgs.kubeconform
              pkgs.postgresql_17
              pkgs.jq
              pkgs.curl
              pkgs.wrk
              pkgs.cargo-nextest
            ] ++ linuxOnly;

            # Tests and recipes resolve tools through PATH; nothing from .tools/ is needed here.
            CARGO_HUSKY_DONT_INSTALL_HOOKS = "false";

            shellHook = ''
              echo "todo-chatbot dev shell:"
              echo "  $(rustc --version)"
              echo "  just $(just --version | cut -d' ' -f2), helm $(helm version --short), kubectl $(kubectl version --client 2>/dev/null | head -n1 | cut -d' ' -f3)"
              echo "  minikube $(minikube version --short 2>/dev/null), hadolint $(hadolint --version | cut -d' ' -f4)"
              echo "Run 'just' for the recipes; 'just deploy' to deploy."
            '';
          };
        });
    };
}
