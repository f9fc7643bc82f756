//! Fake `minikube` and `docker` for the paths that cannot run here (no cluster, no Docker
//! daemon): shell scripts in a temp dir that record their arguments (and DOCKER_HOST) and answer
//! like the real tools. Argument construction and output parsing only.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

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
        fakes
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
  "status --format {{.Host}}"*) echo "Running" ;;
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
    echo "#1 [internal] load build definition"
    # Simulates an edit made while the build runs.
    if [ -f "@DIR@/edit-during-build" ]; then echo "// edited" >> "$(cat "@DIR@/edit-during-build")"; fi
    echo "#9 DONE 0.1s" ;;
  images) cat "@DIR@/docker-images.txt" ;;
  rmi) echo "Untagged: $2" ;;
  image)
    if [ -f "@DIR@/inspect.txt" ]; then cat "@DIR@/inspect.txt"; else echo "Error: No such image: $5" >&2; exit 1; fi ;;
  *) echo "fake docker: unexpected arguments: $*" >&2; exit 64 ;;
esac
"##;
