//! The checks against fake minikube, kubectl and docker (plus the real helm and just).

use preflight::{Config, Need, Report, Secret, SecretSource, Status, check};

use crate::fake::{self, Fakes, fail, ok, rule};
use crate::fixture;

/// Runs the checks and expects each listed row's status (and, when given, a piece of its
/// detail or fix) and the exit code.
fn expect(config: &Config, rows: &[(&str, Status, &str)], exit: u8) -> Report {
    let report = check(config);
    for (id, status, text) in rows {
        let row = report
            .get(id)
            .unwrap_or_else(|| panic!("no row {id} in\n{report}"));
        assert_eq!(row.status, *status, "row {id} in\n{report}");
        let all = format!("{} {}", row.detail, row.fix.clone().unwrap_or_default());
        assert!(all.contains(text), "row {id}: {all:?} lacks {text:?}");
    }
    assert_eq!(report.exit_code(), exit, "{report}");
    report
}

#[test]
fn dev_profile_on_a_ready_machine_is_ready() {
    let fakes = fake::ready_scene();
    let mut config = fakes.config("dev");
    config.secrets = vec![jwt_generated()];
    let report = expect(
        &config,
        &[
            ("tool.minikube", Status::Ok, "1.34.0 (>= 1.33)"),
            ("tool.helm", Status::Ok, "4.1.4 (>= 3.14)"),
            ("tool.kubectl", Status::Ok, "1.35.2 (>= 1.30)"),
            ("tool.docker", Status::Ok, "27.3.1 (>= 24.0)"),
            ("tool.podman", Status::Info, "not needed: docker is usable"),
            ("tool.just", Status::Ok, "(>= 1.20)"),
            ("tool.kubectl-ai", Status::Info, "not found (optional)"),
            ("tool.kagent", Status::Info, "not found (optional)"),
            ("tool.docker-ai", Status::Info, "not a docker command"),
            ("engine", Status::Ok, "docker: engine 27.3.1 answering"),
            ("context", Status::Ok, "minikube (the Minikube profile)"),
            (
                "minikube.profile",
                Status::Ok,
                "minikube running (driver docker, Kubernetes v1.31.0)",
            ),
            ("minikube.cpus", Status::Ok, "2 (>= 2)"),
            ("minikube.memory", Status::Ok, "4096 MB (>= 4096 MB)"),
            ("minikube.addon.storage-provisioner", Status::Ok, "enabled"),
            ("minikube.addon.default-storageclass", Status::Ok, "enabled"),
            ("disk", Status::Ok, "GiB free"),
            ("secret.jwt-secret", Status::Ok, "the chart generates one"),
            ("ai.provider", Status::Info, "no AI provider key set"),
        ],
        0,
    );
    // Addons the profile does not need are not rows.
    assert!(report.get("minikube.addon.ingress").is_none());
    assert!(report.get("minikube.addon.metrics-server").is_none());
    let calls = fakes.calls();
    for call in [
        "minikube version --output=json",
        "minikube profile list -o json",
        "minikube status -p minikube -o json",
        "minikube addons list -p minikube -o json",
        "kubectl version --client -o json",
        "kubectl config current-context",
        "docker version --format json",
    ] {
        assert!(calls.iter().any(|c| c == call), "{call} not in {calls:#?}");
    }
    assert!(
        calls
            .iter()
            .all(|c| !c.contains(" enable ") && !c.contains(" start")),
        "preflight must only read: {calls:#?}"
    );
}

#[test]
fn hpa_and_ingress_need_their_addons() {
    let fakes = fake::ready_scene();
    let mut config = fakes.config("prod");
    config.needs_hpa = true;
    config.needs_ingress = true;
    expect(
        &config,
        &[
            ("minikube.addon.storage-provisioner", Status::Ok, "enabled"),
            (
                "minikube.addon.metrics-server",
                Status::Fail,
                "minikube addons enable metrics-server -p minikube",
            ),
            (
                "minikube.addon.metrics-server",
                Status::Fail,
                "profile prod turns an HPA on",
            ),
            (
                "minikube.addon.ingress",
                Status::Fail,
                "minikube addons enable ingress -p minikube",
            ),
        ],
        1,
    );
}

#[test]
fn a_disabled_storage_addon_blocks() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    let addons = fixture("minikube-addons-list.json").replace(
        r#""storage-provisioner":{"Profile":"minikube","Status":"enabled"}"#,
        r#""storage-provisioner":{"Profile":"minikube","Status":"disabled"}"#,
    );
    minikube.insert(0, rule("addons list -p minikube -o json", ok(addons)));
    fakes.tool("minikube", &minikube);
    expect(
        &fakes.config("dev"),
        &[(
            "minikube.addon.storage-provisioner",
            Status::Fail,
            "minikube addons enable storage-provisioner -p minikube",
        )],
        1,
    );
}

#[test]
fn a_non_minikube_context_is_refused_without_context() {
    let fakes = fake::ready_scene();
    fakes.tool("kubectl", &fake::kubectl("prod-eks"));
    let config = fakes.config("dev");
    let report = expect(
        &config,
        &[(
            "context",
            Status::Fail,
            "current context is prod-eks, not the Minikube profile minikube",
        )],
        1,
    );
    // The Minikube profile is still checked: it is where the user is told to switch to.
    assert_eq!(
        report.get("minikube.profile").unwrap().status,
        Status::Ok,
        "{report}"
    );
    let fix = report.get("context").unwrap().fix.clone().unwrap();
    assert!(fix.contains("kubectl config use-context minikube"), "{fix}");
    assert!(fix.contains("--context prod-eks"), "{fix}");

    // Named explicitly, the same context is allowed; Minikube checks no longer apply.
    let mut config = fakes.config("dev");
    config.explicit_context = Some("prod-eks".to_owned());
    let report = expect(
        &config,
        &[
            (
                "context",
                Status::Ok,
                "prod-eks: not Minikube, used because --context names it",
            ),
            (
                "minikube.profile",
                Status::Info,
                "skipped: deploying to context prod-eks",
            ),
        ],
        0,
    );
    assert_eq!(report.context.as_deref(), Some("prod-eks"));
    // Nor is minikube itself needed there (without --context its absence blocks).
    std::fs::remove_file(fakes.bin().join("minikube")).unwrap();
    expect(
        &config,
        &[(
            "tool.minikube",
            Status::Info,
            "not needed: deploying to context prod-eks",
        )],
        0,
    );

    // A context that is not in the kubeconfig is refused even when named.
    config.explicit_context = Some("typo".to_owned());
    expect(
        &config,
        &[(
            "context",
            Status::Fail,
            "--context typo is not in the kubeconfig",
        )],
        1,
    );
}

#[test]
fn no_current_context_blocks() {
    let fakes = fake::ready_scene();
    let mut kubectl = fake::kubectl("minikube");
    kubectl.insert(
        0,
        rule(
            "config current-context",
            fail(1, "", "error: current-context is not set\n"),
        ),
    );
    fakes.tool("kubectl", &kubectl);
    expect(
        &fakes.config("dev"),
        &[
            (
                "context",
                Status::Fail,
                "minikube update-context -p minikube",
            ),
            ("minikube.profile", Status::Ok, "minikube running"),
        ],
        1,
    );
}

#[test]
fn docker_driver_without_an_engine_blocks() {
    let fakes = fake::ready_scene();
    fakes.tool("docker", &fake::docker_without_engine());
    expect(
        &fakes.config("dev"),
        &[
            ("tool.docker", Status::Ok, "28.2.2"),
            (
                "engine",
                Status::Fail,
                "docker: engine not answering: Cannot connect to the Docker daemon",
            ),
            ("engine", Status::Fail, "sudo systemctl start docker"),
        ],
        1,
    );
}

#[test]
fn a_stopped_profile_blocks_unless_the_caller_starts_it() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    // minikube exits 7 for a stopped cluster and still prints the document.
    minikube.insert(
        0,
        rule(
            "status -p minikube -o json",
            fail(7, fixture("minikube-status-stopped.json"), ""),
        ),
    );
    fakes.tool("minikube", &minikube);
    let mut config = fakes.config("dev");
    expect(
        &config,
        &[(
            "minikube.profile",
            Status::Fail,
            "minikube is not running: host Stopped",
        )],
        1,
    );
    config.cluster_start_planned = true;
    expect(
        &config,
        &[(
            "minikube.profile",
            Status::Warn,
            "minikube start -p minikube",
        )],
        2,
    );
}

/// A multi-node profile prints a list, the control plane first; its status is the cluster's.
#[test]
fn a_multi_node_profile_runs_when_its_control_plane_does() {
    let fakes = fake::ready_scene();
    let status = |fixture_name: &str, code: i32| {
        let mut minikube = fake::minikube_running();
        let reply = match code {
            0 => ok(fixture(fixture_name)),
            code => fail(code, fixture(fixture_name), ""),
        };
        minikube.insert(0, rule("status -p minikube -o json", reply));
        fakes.tool("minikube", &minikube);
    };
    status("minikube-status-two-nodes.json", 0);
    expect(
        &fakes.config("dev"),
        &[("minikube.profile", Status::Ok, "minikube running")],
        0,
    );
    // The worker runs, the control plane does not: the profile is not running.
    status("minikube-status-two-nodes-stopped.json", 7);
    expect(
        &fakes.config("dev"),
        &[(
            "minikube.profile",
            Status::Fail,
            "host Running, kubelet Stopped, apiserver Stopped",
        )],
        1,
    );
}

#[test]
fn a_missing_profile_says_how_to_start_it() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    minikube.insert(
        0,
        rule(
            "profile list -o json",
            ok(fixture("minikube-profile-list-empty.json")),
        ),
    );
    minikube.insert(0, rule("config view", ok("- memory: 2g\n- cpus: 4\n")));
    fakes.tool("minikube", &minikube);
    let mut config = fakes.config("prod");
    config.needs_hpa = true;
    config.needs_ingress = true;
    let report = expect(
        &config,
        &[
            (
                "minikube.profile",
                Status::Fail,
                "minikube start -p minikube --cpus=2 --memory=4096 --addons=metrics-server --addons=ingress",
            ),
            ("minikube.cpus", Status::Ok, "new profile gets 4"),
            (
                "minikube.memory",
                Status::Fail,
                "minikube config set memory 4096",
            ),
        ],
        1,
    );
    assert!(
        !fakes
            .calls()
            .iter()
            .any(|c| c.starts_with("minikube status")),
        "no status call for a profile that does not exist"
    );
    assert!(report.get("minikube.addon.ingress").is_none());
}

#[test]
fn too_small_a_profile_blocks() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    let small = fixture("minikube-profile-list.json")
        .replace(r#""Memory":4096,"CPUs":2"#, r#""Memory":2200,"CPUs":1"#);
    minikube.insert(0, rule("profile list -o json", ok(small)));
    fakes.tool("minikube", &minikube);
    expect(
        &fakes.config("dev"),
        &[
            ("minikube.cpus", Status::Fail, "1, below the minimum 2"),
            (
                "minikube.memory",
                Status::Fail,
                "2200 MB, below the minimum 4096 MB",
            ),
            (
                "minikube.memory",
                Status::Fail,
                "minikube delete -p minikube && minikube start",
            ),
        ],
        1,
    );
}

#[test]
fn an_invalid_profile_blocks() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    minikube.insert(
        0,
        rule(
            "profile list -o json",
            ok(r#"{"invalid":[{"Name":"minikube","Status":"","Config":null,"Active":false,"ActiveKubeContext":false}],"valid":[]}"#),
        ),
    );
    fakes.tool("minikube", &minikube);
    expect(
        &fakes.config("dev"),
        &[(
            "minikube.profile",
            Status::Fail,
            "minikube delete -p minikube",
        )],
        1,
    );
}

#[test]
fn missing_tools_each_get_a_fix() {
    let fakes = Fakes::new();
    let report = expect(
        &fakes.config("dev"),
        &[
            ("tool.minikube", Status::Fail, "MINIKUBE"),
            ("tool.helm", Status::Fail, "just tools"),
            ("tool.kubectl", Status::Fail, "KUBECTL"),
            ("tool.docker", Status::Fail, "Podman"),
            ("tool.podman", Status::Fail, "Docker"),
            ("tool.just", Status::Fail, "cargo install just"),
            ("engine", Status::Fail, "not installed"),
            ("context", Status::Info, "skipped: kubectl not found"),
            (
                "minikube.profile",
                Status::Info,
                "skipped: minikube not found",
            ),
        ],
        1,
    );
    assert!(report.get("tool.kagent").unwrap().status == Status::Info);
}

#[test]
fn old_versions_block_and_unknown_majors_warn() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    minikube.insert(
        0,
        rule(
            "version --output=json",
            ok(r#"{"commit":"x","minikubeVersion":"v1.32.0"}"#),
        ),
    );
    fakes.tool("minikube", &minikube);
    let mut kubectl = fake::kubectl("minikube");
    kubectl.insert(
        0,
        rule(
            "version --client -o json",
            ok(fixture("kubectl-version-client.json").replace("v1.35.2", "v1.29.9")),
        ),
    );
    fakes.tool("kubectl", &kubectl);
    let mut docker = fake::docker_with_engine();
    docker.insert(
        0,
        rule(
            "version --format json",
            ok(fake::DOCKER_WITH_ENGINE.replace("27.3.1", "23.0.6")),
        ),
    );
    fakes.tool("docker", &docker);
    let config = fakes.config("dev");
    expect(
        &config,
        &[
            ("tool.minikube", Status::Fail, "1.32.0 at"),
            ("tool.minikube", Status::Fail, "older than the minimum 1.33"),
            ("tool.kubectl", Status::Fail, "1.29.9"),
            // No podman either, so the too-old docker blocks.
            ("tool.docker", Status::Fail, "23.0.6"),
            ("tool.docker", Status::Fail, "older than the minimum 24.0"),
        ],
        1,
    );
    // A major we have not tested is a warning, not a refusal.
    kubectl.insert(
        0,
        rule(
            "version --client -o json",
            ok(fixture("kubectl-version-client.json").replace("v1.35.2", "v2.0.0")),
        ),
    );
    fakes.tool("kubectl", &kubectl);
    let report = check(&config);
    let row = report.get("tool.kubectl").unwrap();
    assert_eq!(row.status, Status::Warn, "{report}");
    assert!(row.detail.contains("newer than we test"), "{}", row.detail);
}

#[test]
fn docker_ai_when_the_plugin_answers() {
    let fakes = fake::ready_scene();
    let mut docker = fake::docker_with_engine();
    docker.insert(0, rule("ai version", ok("docker ai v1.4.0\n")));
    fakes.tool("docker", &docker);
    expect(
        &fakes.config("dev"),
        &[("tool.docker-ai", Status::Ok, "1.4.0")],
        0,
    );
}

#[test]
fn an_unreadable_version_is_a_warning() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    minikube.insert(0, rule("version --output=json", ok("garbage\n")));
    fakes.tool("minikube", &minikube);
    expect(
        &fakes.config("dev"),
        &[(
            "tool.minikube",
            Status::Warn,
            "its version could not be read",
        )],
        2,
    );
}

const JWT: &str = "jwt-value-0123456789abcdef0123456789abcdef";
const OPENAI: &str = "sk-test-openai-value-never-shown";
const URL_PASSWORD: &str = "url-password-never-shown";

fn jwt_generated() -> Secret {
    Secret {
        name: "JWT secret".to_owned(),
        source: SecretSource::Env {
            var: "JWT_SECRET".to_owned(),
        },
        need: Need::Generated,
        min_len: 32,
        why: "signs login tokens".to_owned(),
    }
}

fn openai(need: Need) -> Secret {
    Secret {
        name: "OpenAI API key".to_owned(),
        source: SecretSource::Env {
            var: "OPENAI_API_KEY".to_owned(),
        },
        need,
        min_len: 0,
        why: "config.agent is llm".to_owned(),
    }
}

fn db_in_cluster() -> Secret {
    Secret {
        name: "database URL".to_owned(),
        source: SecretSource::Cluster {
            secret: "todo-chatbot-database".to_owned(),
            key: "database-url".to_owned(),
            create: "kubectl -n todo-chatbot create secret generic todo-chatbot-database --from-file=database-url=./database-url.txt".to_owned(),
        },
        need: Need::Required,
        min_len: 0,
        why: "external database".to_owned(),
    }
}

#[test]
fn secrets_are_reported_present_and_never_shown() {
    let fakes = fake::ready_scene();
    let mut kubectl = fake::kubectl("minikube");
    kubectl.push(rule(
        "--context minikube -n todo-chatbot get secret todo-chatbot-database -o *",
        ok("database-url\n"),
    ));
    fakes.tool("kubectl", &kubectl);
    let mut config = fakes.config("prod");
    config.secrets = vec![jwt_generated(), openai(Need::Required), db_in_cluster()];
    config.env.set("JWT_SECRET", JWT);
    config.env.set("OPENAI_API_KEY", OPENAI);
    config.env.set(
        "OPENAI_BASE_URL",
        format!("https://user:{URL_PASSWORD}@generativelanguage.googleapis.com/v1beta/openai/"),
    );
    config.env.set("OPENAI_MODEL", "gemini-2.5-flash");
    let report = expect(
        &config,
        &[
            (
                "secret.jwt-secret",
                Status::Ok,
                "JWT_SECRET is set (value not shown)",
            ),
            ("secret.openai-api-key", Status::Ok, "OPENAI_API_KEY is set"),
            (
                "secret.database-url",
                Status::Ok,
                "todo-chatbot/todo-chatbot-database has key database-url",
            ),
            (
                "ai.provider",
                Status::Ok,
                "OPENAI_API_KEY (OpenAI-compatible)",
            ),
            (
                "ai.provider",
                Status::Ok,
                "host generativelanguage.googleapis.com (Gemini)",
            ),
            ("ai.provider", Status::Ok, "OPENAI_MODEL gemini-2.5-flash"),
        ],
        0,
    );
    let shown = format!(
        "{report}\n{}\n{:?}",
        serde_json::to_string(&report).unwrap(),
        config
    );
    let calls = fakes.calls().join("\n");
    let envs = fakes.envs();
    for secret in [JWT, OPENAI, URL_PASSWORD] {
        assert!(
            !shown.contains(secret),
            "secret in the report or config debug"
        );
        assert!(!calls.contains(secret), "secret in a recorded argv");
        assert!(!envs.contains(secret), "secret in a tool's environment");
    }
    assert!(
        fakes.calls().iter().any(|c| c.starts_with(
            "kubectl --context minikube -n todo-chatbot get secret todo-chatbot-database -o go-template="
        )),
        "{:#?}",
        fakes.calls()
    );
}

#[test]
fn missing_or_weak_secrets_block() {
    let fakes = fake::ready_scene();
    let mut kubectl = fake::kubectl("minikube");
    kubectl.push(rule(
        "--context minikube -n todo-chatbot get secret todo-chatbot-database -o *",
        fail(
            1,
            "",
            "Error from server (NotFound): secrets \"todo-chatbot-database\" not found\n",
        ),
    ));
    fakes.tool("kubectl", &kubectl);
    let mut config = fakes.config("prod");
    config.secrets = vec![jwt_generated(), openai(Need::Required), db_in_cluster()];
    config.env.set("JWT_SECRET", "too-short");
    expect(
        &config,
        &[
            ("secret.jwt-secret", Status::Fail, "shorter than 32 bytes"),
            ("secret.jwt-secret", Status::Fail, "openssl rand -hex 32"),
            (
                "secret.openai-api-key",
                Status::Fail,
                "OPENAI_API_KEY is not set; required",
            ),
            ("secret.database-url", Status::Fail, "does not exist"),
            (
                "secret.database-url",
                Status::Fail,
                "create secret generic todo-chatbot-database",
            ),
        ],
        1,
    );
    // A Secret without the key the chart reads.
    kubectl.pop();
    kubectl.push(rule(
        "--context minikube -n todo-chatbot get secret todo-chatbot-database -o *",
        ok("url\n"),
    ));
    fakes.tool("kubectl", &kubectl);
    config.secrets = vec![db_in_cluster()];
    expect(
        &config,
        &[(
            "secret.database-url",
            Status::Fail,
            "has no key database-url",
        )],
        1,
    );
}

#[test]
fn an_optional_secret_absent_is_info() {
    let fakes = fake::ready_scene();
    let mut config = fakes.config("prod");
    config.secrets = vec![openai(Need::Optional)];
    expect(
        &config,
        &[(
            "secret.openai-api-key",
            Status::Info,
            "OPENAI_API_KEY not set",
        )],
        0,
    );
}

#[test]
fn cluster_secrets_are_not_read_through_a_refused_context() {
    let fakes = fake::ready_scene();
    fakes.tool("kubectl", &fake::kubectl("prod-eks"));
    let mut config = fakes.config("prod");
    config.secrets = vec![db_in_cluster()];
    expect(
        &config,
        &[(
            "secret.database-url",
            Status::Info,
            "not checked: no usable kube context",
        )],
        1,
    );
    assert!(
        !fakes.calls().iter().any(|c| c.contains("get secret")),
        "{:#?}",
        fakes.calls()
    );
}

#[test]
fn low_disk_blocks_and_warns() {
    let fakes = fake::ready_scene();
    let mut config = fakes.config("dev");
    config.disk.fail_below = u64::MAX;
    expect(&config, &[("disk", Status::Fail, "docker system prune")], 1);
    config.disk.fail_below = 1;
    config.disk.warn_below = u64::MAX;
    expect(&config, &[("disk", Status::Warn, "GiB free on")], 2);
}

#[test]
fn a_machine_that_never_ran_minikube_has_no_profile() {
    // With no ~/.minikube/profiles, minikube prints an error document and exits 80.
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    minikube.insert(
        0,
        rule(
            "profile list -o json",
            fail(
                80,
                r#"{"error":{"Op":"open","Path":"/home/u/.minikube/profiles","Err":2}}"#,
                "",
            ),
        ),
    );
    minikube.insert(0, rule("config view", ok("")));
    fakes.tool("minikube", &minikube);
    let mut config = fakes.config("dev");
    config.cluster_start_planned = true;
    expect(
        &config,
        &[
            (
                "minikube.profile",
                Status::Warn,
                "profile minikube does not exist",
            ),
            (
                "minikube.profile",
                Status::Warn,
                "minikube start -p minikube --cpus=2 --memory=4096",
            ),
            ("minikube.cpus", Status::Info, "--cpus=2"),
            ("minikube.memory", Status::Info, "--memory=4096"),
        ],
        2,
    );
}

#[test]
fn unreadable_minikube_output_is_a_warning_not_a_guess() {
    let fakes = fake::ready_scene();
    let mut minikube = fake::minikube_running();
    minikube.insert(
        0,
        rule("profile list -o json", ok("! something went sideways\n")),
    );
    fakes.tool("minikube", &minikube);
    expect(
        &fakes.config("dev"),
        &[("minikube.profile", Status::Warn, "could not list profiles")],
        2,
    );
}

/// The docker client answering `buildx version` like one without the plugin: the words of
/// Docker 28 (recorded here) or of Docker 23–27.
fn docker_without_buildx(stderr_fixture: &str) -> fake::Script {
    let mut docker = fake::docker_with_engine();
    docker.insert(
        0,
        rule("buildx version", fail(1, "", fixture(stderr_fixture))),
    );
    docker
}

#[test]
fn docker_buildx_is_checked_because_the_kit_builds_with_buildkit() {
    let fakes = fake::ready_scene();
    expect(
        &fakes.config("dev"),
        &[("tool.docker-buildx", Status::Ok, "buildx 0.19.2")],
        0,
    );
    assert!(
        fakes.calls().iter().any(|c| c == "docker buildx version"),
        "{:#?}",
        fakes.calls()
    );
    for stderr in [
        "docker-buildx-version-missing.stderr",
        "docker-buildx-version-missing-docker23.stderr",
    ] {
        fakes.tool("docker", &docker_without_buildx(stderr));
        let report = expect(
            &fakes.config("dev"),
            &[
                ("tool.docker-buildx", Status::Fail, "missing ("),
                (
                    "tool.docker-buildx",
                    Status::Fail,
                    "refuses every `DOCKER_BUILDKIT=1 docker build`",
                ),
                (
                    "tool.docker-buildx",
                    Status::Fail,
                    "sudo apt install docker-buildx",
                ),
                ("tool.docker-buildx", Status::Fail, "docker-buildx-plugin"),
                ("engine", Status::Ok, "docker: engine 27.3.1 answering"),
            ],
            1,
        );
        let detail = &report.get("tool.docker-buildx").unwrap().detail;
        assert!(detail.contains("docker: "), "{stderr}: {detail}");
    }
    // With Podman able to build, the missing plugin is a warning: builds fall back to it.
    fakes.tool(
        "podman",
        &vec![
            rule("version --format json", ok(fixture("podman-version.json"))),
            rule("info --format json", ok("{}")),
        ],
    );
    expect(
        &fakes.config("dev"),
        &[
            (
                "tool.docker-buildx",
                Status::Warn,
                "built with podman instead",
            ),
            ("tool.docker-buildx", Status::Warn, "--engine podman"),
        ],
        2,
    );
}

#[test]
fn docker_buildx_without_docker_is_not_needed() {
    let fakes = fake::ready_scene();
    std::fs::remove_file(fakes.bin().join("docker")).unwrap();
    fakes.tool(
        "podman",
        &vec![
            rule("version --format json", ok(fixture("podman-version.json"))),
            rule("info --format json", ok("{}")),
        ],
    );
    let report = check(&fakes.config("dev"));
    let row = report.get("tool.docker-buildx").unwrap();
    assert_eq!(row.status, Status::Info, "{report}");
    assert!(row.detail.contains("docker not found"), "{report}");
}
