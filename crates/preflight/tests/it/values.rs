//! The profile's needs, read from the real chart and from broken copies of it.

use std::path::Path;

use preflight::{Config, Need, ProfileNeeds, SecretSource};

use crate::repo_root;

fn chart() -> std::path::PathBuf {
    repo_root().join("helm/todo-chatbot")
}

/// (secret name, where it comes from, need) of each secret.
fn secrets(needs: &ProfileNeeds) -> Vec<(String, String, Need)> {
    needs
        .secrets
        .iter()
        .map(|s| {
            let from = match &s.source {
                SecretSource::Env { var } => format!("env {var}"),
                SecretSource::Cluster { secret, key, .. } => format!("secret {secret}/{key}"),
            };
            (s.name.clone(), from, s.need)
        })
        .collect()
}

fn s(name: &str, from: &str, need: Need) -> (String, String, Need) {
    (name.to_owned(), from.to_owned(), need)
}

#[test]
fn the_charts_profiles() {
    for (profile, hpa, ingress, want) in [
        (
            "default",
            false,
            false,
            vec![s("JWT secret", "env JWT_SECRET", Need::Generated)],
        ),
        (
            "dev",
            false,
            false,
            vec![s("JWT secret", "env JWT_SECRET", Need::Generated)],
        ),
        (
            "prod",
            true,
            true,
            vec![
                s("JWT secret", "env JWT_SECRET", Need::Generated),
                s("OpenAI API key", "env OPENAI_API_KEY", Need::Optional),
                s(
                    "database URL",
                    "secret todo-chatbot-database/database-url",
                    Need::Required,
                ),
                s(
                    "TLS certificate",
                    "secret todo-chatbot-tls/tls.crt",
                    Need::Required,
                ),
            ],
        ),
    ] {
        let needs = ProfileNeeds::read(&chart(), profile.parse().unwrap()).unwrap();
        assert_eq!(needs.hpa, hpa, "{profile}: hpa");
        assert_eq!(needs.ingress, ingress, "{profile}: ingress");
        assert_eq!(secrets(&needs), want, "{profile}");
    }
    let config =
        Config::for_chart_profile(chart_values::Profile::Prod, "minikube", &chart()).unwrap();
    assert!(config.needs_hpa && config.needs_ingress);
    assert_eq!(config.secrets.len(), 4);
}

/// Writes a chart with `base` as values.yaml and `profile` as values-dev.yaml, then reads it.
fn read(base: &str, profile: &str) -> Result<ProfileNeeds, preflight::Error> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), base).unwrap();
    std::fs::write(dir.path().join("values-dev.yaml"), profile).unwrap();
    ProfileNeeds::read(dir.path(), chart_values::Profile::Dev)
}

#[test]
fn merged_like_helm() {
    let base = "config:\n  agent: builtin\nbackend:\n  autoscaling:\n    enabled: false\n    maxReplicas: 5\n";
    let needs = read(
        base,
        "backend:\n  autoscaling:\n    enabled: true\nconfig:\n  agent: llm\n",
    )
    .unwrap();
    assert!(needs.hpa);
    assert_eq!(
        secrets(&needs)[1],
        s("OpenAI API key", "env OPENAI_API_KEY", Need::Required)
    );
    // An existing Secret moves the app's secrets into the cluster, the embedded database's
    // password included.
    let needs = read(
        base,
        "secrets:\n  existingSecret: mine\nconfig:\n  agent: llm\n",
    )
    .unwrap();
    assert_eq!(
        secrets(&needs),
        vec![
            s("JWT secret", "secret mine/jwt-secret", Need::Required),
            s(
                "OpenAI API key",
                "secret mine/openai-api-key",
                Need::Required
            ),
            s(
                "PostgreSQL password",
                "secret mine/postgres-password",
                Need::Required
            ),
        ]
    );
    // Without the embedded database, that Secret needs no password.
    let needs = read(
        base,
        "secrets:\n  existingSecret: mine\npostgresql:\n  enabled: false\nexternalDatabase:\n  url: postgres://db/todo\n",
    )
    .unwrap();
    assert_eq!(
        secrets(&needs),
        vec![s("JWT secret", "secret mine/jwt-secret", Need::Required)]
    );
    // External database without a Secret or URL: DATABASE_URL is needed.
    let needs = read(base, "postgresql:\n  enabled: false\n").unwrap();
    assert_eq!(
        secrets(&needs)[1],
        s("database URL", "env DATABASE_URL", Need::Required)
    );
    // An empty profile file overrides nothing.
    assert!(read("ingress:\n  enabled: true\n", "").unwrap().ingress);
    assert!(
        read("ingress:\n  enabled: true\n", "# only a comment\n")
            .unwrap()
            .ingress
    );
}

#[test]
fn bad_values_name_the_file_and_key() {
    let err = read("ingress:\n  enabled: yes please\n", "")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/values.yaml:2:3: key `ingress.enabled` must be true or false"),
        "{err}"
    );
    let err = read("ingress:\n  enabled: true\n", "ingress:\n  enabled: 1\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("values-dev.yaml:2:3: key `ingress.enabled`"),
        "{err}"
    );
    let err = read("a: 1\n", "ingress: [unclosed\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("values-dev.yaml"), "{err}");
    let err = read("a: 1\na: 2\n", "").unwrap_err().to_string();
    assert!(
        err.contains("values.yaml"),
        "duplicate keys are rejected: {err}"
    );
    let err = ProfileNeeds::read(Path::new("/nonexistent"), chart_values::Profile::Dev)
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/values.yaml"), "{err}");
}
