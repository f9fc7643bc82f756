//! Fake `minikube` and `docker` for the paths that cannot run here (no cluster, no Docker
//! daemon): shell scripts in a temp dir that record their arguments (and DOCKER_HOST) and answer
//! like the real tools. Argument construction and output parsing only.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A fixture's text (`tests/fixtures`, see its README for where each shape comes from).
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `minikube status --output json` with these states (the shape preflight's fixtures record).
pub fn status(host: &str, kubelet: &str, apiserver: &str) -> String {
    format!(
        r#"{{"Name":"minikube","Host":"{host}","Kubelet":"{kubelet}","APIServer":"{apiserver}","Kubeconfig":"Configured","Worker":false}}"#
    )
}

pub struct Fakes {
    pub dir: tempfile::TempDir,
}

impl Fakes {
    pub fn new() -> Fakes {
        let dir = tempfile::tempdir().unwrap();
        let fakes = Fakes { dir };
        fakes.write_tool("minikube", MINIKUBE);
        fakes.write_tool("docker", DOCKER);
        fakes.set_image_ls("[]");
        fakes.set_docker_images("");
        fakes.set_node_runtime("docker");
        fakes.set_status(&status("Running", "Running", "Running"), 0);
        fakes
    }

    /// What `minikube status --output json` prints and its exit code (7: stopped).
    pub fn set_status(&self, json: &str, code: u8) {
        std::fs::write(self.dir.path().join("status.json"), json).unwrap();
        std::fs::write(self.dir.path().join("status.rc"), code.to_string()).unwrap();
    }

    /// The node's container runtime that `minikube profile list -o json` reports.
    pub fn set_node_runtime(&self, runtime: &str) {
        let list = fixture("minikube-profile-list.json").replace(
            r#""ContainerRuntime":"docker""#,
            &format!(r#""ContainerRuntime":"{runtime}""#),
        );
        std::fs::write(self.dir.path().join("profile-list.json"), list).unwrap();
    }

    /// What `docker image inspect --format '{{json .}}'` answers (no file: no such image).
    pub fn set_docker_inspect(&self, json: &str) {
        std::fs::write(self.dir.path().join("inspect.json"), json).unwrap();
    }

    /// The `manifest.json` that the fake `docker image save` puts in its archive.
    pub fn set_saved_manifest(&self, json: &str) {
        std::fs::write(self.dir.path().join("save-manifest.json"), json).unwrap();
    }

    /// Makes the fake `docker buildx version` answer like a client without the plugin.
    pub fn fail_buildx(&self) {
        std::fs::write(self.dir.path().join("no-buildx"), "").unwrap();
    }

    /// Makes the fake `docker build` fail with `stderr` (exit 1), as the real one does.
    pub fn fail_builds_with(&self, stderr: &str) {
        std::fs::write(self.dir.path().join("build-fails.stderr"), stderr).unwrap();
    }

    pub fn path(&self, tool: &str) -> String {
        self.dir.path().join(tool).to_string_lossy().into_owned()
    }

    fn write_tool(&self, name: &str, body: &str) {
        let path = self.dir.path().join(name);
        let script = body.replace("@DIR@", &self.dir.path().to_string_lossy());
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// What `minikube image ls --format json` answers.
    pub fn set_image_ls(&self, json: &str) {
        std::fs::write(self.dir.path().join("image-ls.json"), json).unwrap();
    }

    /// What `docker images --format …` answers.
    pub fn set_docker_images(&self, listing: &str) {
        std::fs::write(self.dir.path().join("docker-images.txt"), listing).unwrap();
    }

    /// Makes the fake `docker build` append to `file`, as an editor would mid-build.
    pub fn edit_during_build(&self, file: &std::path::Path) {
        std::fs::write(
            self.dir.path().join("edit-during-build"),
            file.to_string_lossy().as_bytes(),
        )
        .unwrap();
    }

    /// Every recorded call, one line each: `tool arg arg …`.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }
}

const MINIKUBE: &str = r#"#!/bin/sh
echo "minikube $*" >> "@DIR@/calls.log"
case "$*" in
  "docker-env --shell none"*)
    echo "DOCKER_TLS_VERIFY=1"
    echo "DOCKER_HOST=tcp://192.168.49.2:2376"
    echo "DOCKER_CERT_PATH=/home/u/.minikube/certs"
    echo "MINIKUBE_ACTIVE_DOCKERD=minikube"
    ;;
  "status --output json"*) cat "@DIR@/status.json"; exit "$(cat "@DIR@/status.rc")" ;;
  "profile list -o json") cat "@DIR@/profile-list.json" ;;
  "image ls --format json"*) cat "@DIR@/image-ls.json" ;;
  "image load"*) ;;
  "image rm"*) ;;
  "image build"*) echo "Step 1/9 : FROM rust"; echo "Successfully tagged x" ;;
  *) echo "fake minikube: unexpected arguments: $*" >&2; exit 64 ;;
esac
"#;

const DOCKER: &str = r##"#!/bin/sh
echo "docker $* DOCKER_HOST=${DOCKER_HOST:-} DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-}" >> "@DIR@/calls.log"
case "$1" in
  build)
    if [ -f "@DIR@/build-fails.stderr" ]; then cat "@DIR@/build-fails.stderr" >&2; exit 1; fi
    echo "#1 [internal] load build definition"
    # Simulates an edit made while the build runs.
    if [ -f "@DIR@/edit-during-build" ]; then echo "// edited" >> "$(cat "@DIR@/edit-during-build")"; fi
    echo "#9 DONE 0.1s" ;;
  images) cat "@DIR@/docker-images.txt" ;;
  info) echo "27.3.1" ;;
  buildx)
    if [ -f "@DIR@/no-buildx" ]; then
      printf 'docker: unknown command: docker buildx\n\nRun '"'"'docker --help'"'"' for more information\n' >&2; exit 1
    fi
    echo "github.com/docker/buildx v0.19.2 1fc5647dc281ca3c2ad5b451aeff2dce84f1dc49" ;;
  rmi) echo "Untagged: $2" ;;
  image)
    case "$2" in
      inspect)
        if [ -f "@DIR@/inspect.json" ]; then cat "@DIR@/inspect.json"; else echo "Error: No such image: $5" >&2; exit 1; fi ;;
      save)
        # `docker image save -o PATH REF`: an archive with the OCI layout's manifest.json.
        work="$(mktemp -d)"; mkdir -p "$work/blobs/sha256"
        cp "@DIR@/save-manifest.json" "$work/manifest.json"
        echo '{"imageLayoutVersion": "1.0.0"}' > "$work/oci-layout"
        (cd "$work" && tar -cf "$4" oci-layout blobs manifest.json) || exit 1
        rm -rf "$work" ;;
      *) echo "fake docker: unexpected arguments: $*" >&2; exit 64 ;;
    esac ;;
  *) echo "fake docker: unexpected arguments: $*" >&2; exit 64 ;;
esac
"##;
