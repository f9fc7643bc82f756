use chart_values::Profile;
use expect_test::expect;
use preflight::{Check, Report, Status};

fn report(statuses: &[Status]) -> Report {
    let checks = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| Check::new(format!("c{i}"), format!("check {i}"), *s, "detail"))
        .collect();
    Report::new(
        Profile::Dev,
        "minikube",
        Some("minikube".to_owned()),
        checks,
    )
}

/// The exit code for a set of row statuses.
fn check(statuses: &[Status], exit: u8) {
    let report = report(statuses);
    assert_eq!(report.exit_code(), exit, "{statuses:?}");
    assert_eq!(report.exit_code, exit, "the JSON field agrees");
    assert_eq!(report.is_ready(), exit != 1, "{statuses:?}");
}

#[test]
fn exit_codes() {
    use Status::*;
    check(&[], 0);
    check(&[Ok, Ok], 0);
    check(&[Ok, Info], 0);
    check(&[Ok, Warn, Info], 2);
    check(&[Warn, Fail, Ok], 1);
    check(&[Fail], 1);
    assert_eq!(preflight::EXIT_READY, 0);
    assert_eq!(preflight::EXIT_BLOCKED, 1);
    assert_eq!(preflight::EXIT_WARNINGS, 2);
}

#[test]
fn human_table() {
    let report = Report::new(
        Profile::Prod,
        "minikube",
        Some("minikube".to_owned()),
        vec![
            Check::new(
                "tool.helm",
                "helm",
                Status::Ok,
                "4.1.4 (>= 3.14) at /bin/helm",
            ),
            Check::new(
                "tool.kagent",
                "kagent",
                Status::Info,
                "not found (optional)",
            )
            .fix("optional: `nix develop` provides it"),
            Check::new(
                "engine",
                "container engine",
                Status::Fail,
                "minikube driver docker\ndocker: engine not answering",
            )
            .fix("start the Docker engine"),
            Check::new("disk", "free disk", Status::Warn, "5.0 GiB free on /"),
        ],
    );
    expect![[r#"
        preflight: profile prod, minikube profile minikube, context minikube

          CHECK             STATUS  DETAIL
          helm              ok      4.1.4 (>= 3.14) at /bin/helm
          kagent            info    not found (optional)
                                    fix: optional: `nix develop` provides it
          container engine  FAIL    minikube driver docker
                                    docker: engine not answering
                                    fix: start the Docker engine
          free disk         warn    5.0 GiB free on /

        not ready: 1 blocking problem, 1 warning (exit 1)"#]]
    .assert_eq(&report.to_string());
}

#[test]
fn json_shape() {
    let report = Report::new(
        Profile::Dev,
        "minikube",
        None,
        vec![Check::new("disk", "free disk", Status::Warn, "5.0 GiB free on /").fix("prune")],
    );
    expect![[r#"{"profile":"dev","minikube_profile":"minikube","context":null,"status":"warn","exit_code":2,"checks":[{"id":"disk","name":"free disk","status":"warn","detail":"5.0 GiB free on /","fix":"prune"}]}"#]]
    .assert_eq(&serde_json::to_string(&report).unwrap());
}
