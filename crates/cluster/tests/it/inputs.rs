//! Input parsing and validation: Helm versions, secrets, profiles.

use cluster::{HelmMajor, Profile, Secrets};

#[test]
fn helm_versions() {
    fn check(short: &str, expect: Option<HelmMajor>) {
        assert_eq!(HelmMajor::parse(short), expect, "{short}");
    }
    check("v4.1.4+g05fa379\n", Some(HelmMajor::V4));
    check("v4.0.0", Some(HelmMajor::V4));
    check("v3.17.2+gcc0bbbd", Some(HelmMajor::V3));
    check("v3.13.0", Some(HelmMajor::V3));
    check("v3.12.3+g3a31588", None); // no --dry-run=server, no reliable --wait semantics
    check("v2.17.0", None);
    check("Error: unknown flag: --short", None);
}

#[test]
fn a_helm_that_is_too_old_is_named_in_the_error() {
    let mut fakes = crate::fake::Fakes::new();
    let helm = fakes.tool(
        "helm",
        vec![crate::fake::reply("version*", "v3.8.0+g1234\n")],
    );
    let err = cluster::Helm::detect(helm).unwrap_err().to_string();
    assert!(
        err.contains("unsupported Helm version `v3.8.0+g1234`"),
        "{err}"
    );
}

#[test]
fn the_real_helms_are_detected() {
    let four = cluster::Helm::detect(crate::fake::real_helm(4)).unwrap();
    assert_eq!(four.major(), HelmMajor::V4);
    let three = cluster::Helm::detect(crate::fake::real_helm(3)).unwrap();
    assert_eq!(three.major(), HelmMajor::V3);
}

#[test]
fn secrets_are_validated_without_echoing_them() {
    fn check(vars: &[(&str, &str)], expect_err: Option<&str>) {
        let result = Secrets::from_lookup(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        });
        match (result, expect_err) {
            (Ok(_), None) => {}
            (Err(err), Some(says)) => {
                let message = err.to_string();
                assert!(message.contains(says), "{message}");
                for (_, value) in vars {
                    assert!(!message.contains(value), "secret echoed: {message}");
                }
            }
            (other, _) => panic!("{vars:?}: unexpected {other:?}"),
        }
    }
    check(&[], None);
    check(&[("JWT_SECRET", "")], None);
    check(&[("JWT_SECRET", "0123456789abcdef0123456789abcdef")], None);
    check(
        &[("JWT_SECRET", "tooshort-secret")],
        Some("JWT_SECRET must be at least 32 bytes"),
    );
    check(&[("POSTGRES_PASSWORD", "Pa55-word_ok.~")], None);
    check(
        &[("POSTGRES_PASSWORD", "p@ss/word")],
        Some("POSTGRES_PASSWORD may only contain URL-safe"),
    );
}

#[test]
fn secrets_debug_shows_which_are_set_never_the_values() {
    let secrets = Secrets {
        jwt_secret: Some("jwt-value-0123456789abcdef0123456789".into()),
        postgres_password: None,
        openai_api_key: Some("sk-value".into()),
    };
    let shown = format!("{secrets:?}");
    assert_eq!(
        shown,
        r#"Secrets { set: ["secrets.jwtSecret", "secrets.openaiApiKey"] }"#
    );
}

#[test]
fn profiles() {
    for profile in Profile::ALL {
        assert_eq!(profile.to_string().parse::<Profile>().unwrap(), profile);
    }
    let err = "staging".parse::<Profile>().unwrap_err();
    assert!(
        err.contains("unknown profile `staging`: use default, dev or prod"),
        "{err}"
    );
}

#[test]
fn the_secrets_file_is_0600_and_holds_exactly_the_values_set() {
    use std::os::unix::fs::PermissionsExt;
    let secrets = Secrets {
        jwt_secret: None,
        postgres_password: Some("pw-123".into()),
        openai_api_key: None,
    };
    let file = secrets.write_values_file().unwrap();
    let mode = std::fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file.path()).unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"postgresql": {"auth": {"password": "pw-123"}}})
    );
    let path = file.path().to_path_buf();
    drop(file);
    assert!(!path.exists());
}

#[test]
fn the_secrets_file_uses_real_chart_keys_that_real_helm_renders() {
    let jwt = "jwt-render-0123456789abcdef0123456789abcdef";
    let secrets = Secrets {
        jwt_secret: Some(jwt.into()),
        postgres_password: Some("pw-render-123".into()),
        openai_api_key: Some("sk-render".into()),
    };
    let file = secrets.write_values_file().unwrap();
    let chart = crate::fake::repo_root().join("helm/todo-chatbot");
    let out = exec::Cmd::new(crate::fake::real_helm(4))
        .args(["template", "todo-chatbot"])
        .arg(chart.display().to_string())
        .args([
            "--kube-version",
            "1.33.1",
            "--show-only",
            "templates/secret.yaml",
            "--values",
        ])
        .arg(file.path().display().to_string())
        .run()
        .unwrap();
    let b64 = |s: &str| {
        serde_json::to_string(&k8s_openapi::ByteString(s.as_bytes().to_vec()))
            .unwrap()
            .trim_matches('"')
            .to_owned()
    };
    assert!(
        out.stdout
            .contains(&format!("jwt-secret: \"{}\"", b64(jwt))),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("postgres-password: \"{}\"", b64("pw-render-123")))
    );
    assert!(
        out.stdout
            .contains(&format!("openai-api-key: \"{}\"", b64("sk-render")))
    );
}
