//! Is a container engine answering: the one the Minikube driver uses, or any when the driver
//! is a VM or not known yet.

use serde::Deserialize;

use crate::probe::{Probe, one_line};
use crate::tools::Found;
use crate::{Check, Status};

/// What one engine said.
struct Answer {
    name: &'static str,
    answering: bool,
    detail: String,
}

pub(crate) fn row(
    probe: &Probe<'_>,
    docker: &Found,
    podman: &Found,
    driver: Option<&str>,
    minikube_profile: &str,
) -> Check {
    let answers = [docker_answer(docker), podman_answer(probe, podman)];
    let wanted: Vec<&Answer> = match driver {
        Some("docker") => answers.iter().filter(|a| a.name == "docker").collect(),
        Some("podman") => answers.iter().filter(|a| a.name == "podman").collect(),
        _ => answers.iter().collect(),
    };
    let detail = answers
        .iter()
        .map(|a| format!("{}: {}", a.name, a.detail))
        .collect::<Vec<_>>()
        .join("\n");
    let detail = match driver {
        Some(d) => format!("minikube driver {d}\n{detail}"),
        None => detail,
    };
    let check = Check::new("engine", "container engine", Status::Ok, detail);
    if wanted.iter().any(|a| a.answering) {
        return check;
    }
    let fix = match driver {
        Some("docker") => format!(
            "start the Docker engine (`sudo systemctl start docker`, or open Docker Desktop), or recreate the profile on Podman: `minikube delete -p {minikube_profile} && minikube start -p {minikube_profile} --driver=podman`"
        ),
        Some("podman") => "make `podman info` work (rootless: `systemctl --user start podman.socket`)".to_owned(),
        _ => "start Docker (`sudo systemctl start docker`) or install Podman (`sudo apt install podman`)".to_owned(),
    };
    Check {
        status: Status::Fail,
        ..check
    }
    .fix(fix)
}

fn docker_answer(docker: &Found) -> Answer {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(rename = "Server")]
        server: Option<Server>,
    }
    #[derive(Deserialize)]
    struct Server {
        #[serde(rename = "Version", default)]
        version: String,
    }
    let name = "docker";
    let Some(out) = &docker.output else {
        let detail = if docker.is_present() {
            format!(
                "could not run: {}",
                docker.version.clone().err().unwrap_or_default()
            )
        } else {
            "not installed".to_owned()
        };
        return Answer {
            name,
            answering: false,
            detail,
        };
    };
    let start = out.stdout.find('{').unwrap_or(0);
    let server = serde_json::from_str::<Doc>(out.stdout[start..].trim())
        .ok()
        .and_then(|d| d.server);
    match server {
        Some(server) if out.success() => Answer {
            name,
            answering: true,
            detail: format!("engine {} answering", server.version),
        },
        _ => Answer {
            name,
            answering: false,
            detail: format!("engine not answering: {}", reason(&out.stderr)),
        },
    }
}

fn podman_answer(probe: &Probe<'_>, podman: &Found) -> Answer {
    let name = "podman";
    let Some(path) = &podman.path else {
        return Answer {
            name,
            answering: false,
            detail: "not installed".to_owned(),
        };
    };
    match probe
        .cmd(path)
        .args(["info", "--format", "json"])
        .run_unchecked()
    {
        Ok(out) if out.success() => Answer {
            name,
            answering: true,
            detail: match &podman.version {
                Ok(v) => format!("{v} answering"),
                Err(_) => "answering".to_owned(),
            },
        },
        Ok(out) => Answer {
            name,
            answering: false,
            detail: format!("not answering: {}", reason(&out.stderr)),
        },
        Err(e) => Answer {
            name,
            answering: false,
            detail: format!("not answering: {}", one_line(&e.to_string())),
        },
    }
}

fn reason(stderr: &str) -> String {
    let line = one_line(stderr);
    if line.is_empty() {
        "no reason given".to_owned()
    } else {
        line
    }
}
