//! The chart rendered by real Helm 4 and Helm 3: profiles, schema enforcement, Secret,
//! pod security, NOTES.

use serde_json::Value;

use crate::chart_dir;
use crate::helm::{MAJORS, documents, find, install_dry_run, lint, template};

fn profile_args(profile: &str) -> Vec<String> {
    match profile {
        "default" => vec![],
        p => vec![
            "-f".into(),
            chart_dir()
                .join(format!("values-{p}.yaml"))
                .display()
                .to_string(),
        ],
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

#[test]
fn every_profile_lints_strict_and_renders_with_both_majors() {
    for helm in MAJORS {
        for profile in ["default", "dev", "prod"] {
            let args = profile_args(profile);
            lint(helm, &chart_dir(), &args)
                .unwrap_or_else(|e| panic!("{helm} lint {profile}: {e}"));
            let out = template(helm, &chart_dir(), "todo-chatbot", &args)
                .unwrap_or_else(|e| panic!("{helm} template {profile}: {e}"));
            let docs = documents(&out);
            assert!(
                find(&docs, "Deployment", "todo-chatbot-backend").is_some(),
                "{helm} {profile}"
            );
            assert!(
                find(&docs, "Deployment", "todo-chatbot-frontend").is_some(),
                "{helm} {profile}"
            );
            // And our own checker agrees the profile is clean.
            let report = chart_values::check(
                &chart_values::Inputs::new(chart_dir()).profile(profile.parse().unwrap()),
            )
            .unwrap();
            assert!(report.is_ok(), "{profile}: {report}");
        }
    }
}

#[test]
fn helm_itself_rejects_values_that_break_the_schema() {
    // (set, what Helm 4 / Helm 3 must mention)
    let cases: [(&str, &str); 7] = [
        ("config.cookieSecure=sometimes", "cookieSecure"),
        ("backend.image.tag=latest", "tag"),
        ("backend.replicas=2", "replicas"),
        ("frontend.service.nodePort=80", "nodePort"),
        ("config.agent=gpt", "agent"),
        ("backend.image.pullPolicy=Sometimes", "pullPolicy"),
        ("frontend.service.type=ExternalName", "type"),
    ];
    for helm in MAJORS {
        for (set, needle) in cases {
            let err = template(helm, &chart_dir(), "t", &s(&["--set", set]))
                .expect_err(&format!("{helm} accepted --set {set}"));
            assert!(err.contains("schema"), "{helm} {set}: {err}");
            assert!(err.contains(needle), "{helm} {set}: {err}");
        }
        // An empty tag is refused by the schema too.
        let err = template(
            helm,
            &chart_dir(),
            "t",
            &s(&["--set-string", "frontend.image.tag="]),
        )
        .unwrap_err();
        assert!(err.contains("tag"), "{err}");
        // The same values pass when valid: the rejection is about the value, not the key.
        template(
            helm,
            &chart_dir(),
            "t",
            &s(&[
                "--set",
                "backend.replicaCount=2",
                "--set-string",
                "backend.image.tag=0123abcd",
            ]),
        )
        .unwrap();
    }
}

fn secret_data(docs: &[Value], name: &str) -> serde_json::Map<String, Value> {
    find(docs, "Secret", name).unwrap()["data"]
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn secret_is_generated_offline_and_never_comes_from_values_defaults() {
    let defaults: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(chart_dir().join("values.yaml")).unwrap())
            .unwrap();
    let mut default_strings = Vec::new();
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if !s.is_empty() => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    strings(&defaults, &mut default_strings);
    for helm in MAJORS {
        // Offline, `lookup` returns nothing: two renders both work and generate fresh values.
        let a = documents(&template(helm, &chart_dir(), "todo-chatbot", &[]).unwrap());
        let b = documents(&template(helm, &chart_dir(), "todo-chatbot", &[]).unwrap());
        let (da, db) = (
            secret_data(&a, "todo-chatbot"),
            secret_data(&b, "todo-chatbot"),
        );
        assert_eq!(
            da.keys().collect::<Vec<_>>(),
            ["jwt-secret", "postgres-password"],
            "{helm}"
        );
        for key in ["jwt-secret", "postgres-password"] {
            assert_ne!(
                da[key], db[key],
                "{helm}: {key} must be generated per install, not fixed"
            );
            let decoded = decode_b64(da[key].as_str().unwrap());
            assert!(decoded.len() >= 32, "{helm}: {key} too short");
            assert!(
                !default_strings.contains(&decoded),
                "{helm}: {key} came from values.yaml"
            );
        }
        let secret = find(&a, "Secret", "todo-chatbot").unwrap();
        assert_eq!(
            secret["metadata"]["annotations"]["helm.sh/resource-policy"],
            "keep"
        );
        // No secret in any ConfigMap.
        for cm in a.iter().filter(|d| d["kind"] == "ConfigMap") {
            let text = cm["data"].to_string();
            for key in ["jwt-secret", "postgres-password"] {
                assert!(
                    !text.contains(&decode_b64(da[key].as_str().unwrap())),
                    "{helm}: secret in ConfigMap"
                );
            }
        }
        // existingSecret: the chart creates no Secret and every reference points at it.
        let out = template(
            helm,
            &chart_dir(),
            "todo-chatbot",
            &s(&["--set", "secrets.existingSecret=precreated"]),
        )
        .unwrap();
        let docs = documents(&out);
        assert!(
            docs.iter().all(|d| d["kind"] != "Secret"),
            "{helm}: chart Secret clashes with the existing one"
        );
        assert!(out.contains("name: precreated"), "{helm}");
    }
}

fn decode_b64(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn pod_specs(docs: &[Value]) -> Vec<(String, &Value)> {
    docs.iter()
        .filter_map(|d| {
            let name = d["metadata"]["name"].as_str()?.to_owned();
            match d["kind"].as_str()? {
                "Deployment" | "StatefulSet" => Some((name, &d["spec"]["template"]["spec"])),
                "Pod" => Some((name, &d["spec"])),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn every_container_is_restricted_probed_and_bounded() {
    for helm in MAJORS {
        for profile in ["default", "dev", "prod"] {
            let docs = documents(
                &template(helm, &chart_dir(), "todo-chatbot", &profile_args(profile)).unwrap(),
            );
            for (name, spec) in pod_specs(&docs) {
                assert_eq!(spec["automountServiceAccountToken"], false, "{name}");
                let pod_sc = &spec["securityContext"];
                assert_eq!(pod_sc["seccompProfile"]["type"], "RuntimeDefault", "{name}");
                let all = spec["containers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .chain(spec["initContainers"].as_array().into_iter().flatten());
                for c in all {
                    let cname = format!("{name}/{}", c["name"].as_str().unwrap());
                    let sc = &c["securityContext"];
                    assert_eq!(sc["runAsNonRoot"], true, "{cname}");
                    assert!(
                        sc["runAsUser"].as_u64().unwrap() > 0,
                        "{cname}: numeric non-root user"
                    );
                    assert_eq!(sc["allowPrivilegeEscalation"], false, "{cname}");
                    assert_eq!(sc["readOnlyRootFilesystem"], true, "{cname}");
                    assert_eq!(sc["capabilities"]["drop"][0], "ALL", "{cname}");
                    assert!(sc["capabilities"]["add"].is_null(), "{cname}");
                    for r in ["requests", "limits"] {
                        for k in ["cpu", "memory"] {
                            assert!(
                                !c["resources"][r][k].is_null(),
                                "{cname}: resources.{r}.{k}"
                            );
                        }
                    }
                    let image = c["image"].as_str().unwrap();
                    assert!(
                        !image.ends_with(":latest") && image.contains(':'),
                        "{cname}: {image}"
                    );
                }
                // App containers: three probes on the named port.
                for c in spec["containers"].as_array().unwrap() {
                    if name.ends_with("-backend") || name.ends_with("-frontend") {
                        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
                            assert_eq!(c[probe]["httpGet"]["port"], "http", "{name}: {probe}");
                        }
                        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
                        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
                        // The backend starts without its database (readiness waits for it);
                        // the frontend has nothing to wait for.
                        let startup = if name.ends_with("-backend") {
                            "/healthz"
                        } else {
                            "/readyz"
                        };
                        assert_eq!(c["startupProbe"]["httpGet"]["path"], startup, "{name}");
                        assert_eq!(c["ports"][0]["name"], "http");
                    }
                }
            }
            // Checksums roll the pods when config or secrets change.
            let be = find(&docs, "Deployment", "todo-chatbot-backend").unwrap();
            let ann = &be["spec"]["template"]["metadata"]["annotations"];
            assert!(
                ann["checksum/config"].as_str().unwrap().len() == 64,
                "{helm} {profile}"
            );
            assert!(
                ann["checksum/secret"].as_str().unwrap().len() == 64,
                "{helm} {profile}"
            );
        }
    }
}

#[test]
fn a_config_change_changes_the_checksum() {
    for helm in MAJORS {
        let cs = |args: &[&str]| {
            let docs = documents(&template(helm, &chart_dir(), "t", &s(args)).unwrap());
            find(&docs, "Deployment", "t-todo-chatbot-frontend").unwrap()["spec"]["template"]["metadata"]["annotations"]["checksum/config"].clone()
        };
        assert_eq!(cs(&[]), cs(&[]));
        assert_ne!(cs(&[]), cs(&["--set", "config.logLevel=debug"]), "{helm}");
        let docs = documents(&template(helm, &chart_dir(), "t", &[]).unwrap());
        let cm = find(&docs, "ConfigMap", "t-todo-chatbot-frontend").unwrap();
        assert_eq!(cm["data"]["COOKIE_SECURE"], "auto", "{helm}");
    }
}

#[test]
fn duration_variables_carry_only_the_seconds_suffix() {
    // Both services read `*_SECONDS`; todo-web's old `*_SECS` names only earn a deprecation line.
    for helm in MAJORS {
        for profile in ["default", "dev", "prod"] {
            let out = template(helm, &chart_dir(), "todo-chatbot", &profile_args(profile)).unwrap();
            let docs = documents(&out);
            let mut names: Vec<String> = Vec::new();
            for d in &docs {
                if d["kind"] == "ConfigMap" {
                    let data = d["data"].as_object().into_iter().flatten();
                    names.extend(data.map(|(k, _)| k.clone()));
                }
            }
            for (_, spec) in pod_specs(&docs) {
                let containers = spec["containers"].as_array().into_iter().flatten();
                let env = containers.flat_map(|c| c["env"].as_array().into_iter().flatten());
                names.extend(env.filter_map(|e| e["name"].as_str().map(str::to_owned)));
            }
            let old: Vec<&String> = names.iter().filter(|n| n.ends_with("_SECS")).collect();
            assert!(old.is_empty(), "{helm} {profile}: old names {old:?}");
            assert!(!out.contains("_SECS:"), "{helm} {profile}");
            for c in ["backend", "frontend"] {
                let cm = find(&docs, "ConfigMap", &format!("todo-chatbot-{c}")).unwrap();
                assert_eq!(
                    cm["data"]["SHUTDOWN_DRAIN_SECONDS"], "5",
                    "{helm} {profile} {c}"
                );
            }
        }
    }
}

#[test]
fn embedded_database_is_persistent_and_wired_through_the_secret() {
    for helm in MAJORS {
        let docs =
            documents(&template(helm, &chart_dir(), "todo-chatbot", &profile_args("dev")).unwrap());
        let sts = find(&docs, "StatefulSet", "todo-chatbot-postgresql").unwrap();
        let vct = &sts["spec"]["volumeClaimTemplates"][0];
        assert_eq!(vct["metadata"]["name"], "data");
        assert!(
            vct["spec"]["storageClassName"].is_null(),
            "{helm}: default StorageClass (minikube standard)"
        );
        let vols = sts["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap();
        assert!(
            vols.iter().all(|v| v["name"] != "data"),
            "{helm}: data must not be an emptyDir"
        );
        let image = sts["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap();
        assert_eq!(image, "docker.io/library/postgres:17-alpine");
        let be = find(&docs, "Deployment", "todo-chatbot-backend").unwrap();
        let env = be["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap();
        let get = |n: &str| {
            env.iter()
                .find(|e| e["name"] == n)
                .unwrap_or_else(|| panic!("{n}"))
        };
        assert_eq!(
            get("DB_PASSWORD")["valueFrom"]["secretKeyRef"]["key"],
            "postgres-password"
        );
        assert_eq!(
            get("DATABASE_URL")["value"],
            "postgres://todo:$(DB_PASSWORD)@todo-chatbot-postgresql:5432/todo?sslmode=disable"
        );
        // DB_PASSWORD is declared before DATABASE_URL, or $(DB_PASSWORD) is not expanded.
        let pos = |n: &str| env.iter().position(|e| e["name"] == n).unwrap();
        assert!(pos("DB_PASSWORD") < pos("DATABASE_URL"));
        assert_eq!(
            get("JWT_SECRET")["valueFrom"]["secretKeyRef"]["key"],
            "jwt-secret"
        );
        let fe_cm = find(&docs, "ConfigMap", "todo-chatbot-frontend").unwrap();
        assert_eq!(
            fe_cm["data"]["BACKEND_URL"],
            "http://todo-chatbot-backend:8000"
        );
        let fe_svc = find(&docs, "Service", "todo-chatbot-frontend").unwrap();
        assert_eq!(fe_svc["spec"]["type"], "NodePort");
        assert_eq!(fe_svc["spec"]["ports"][0]["nodePort"], 30000);
        let fe = find(&docs, "Deployment", "todo-chatbot-frontend").unwrap();
        assert_eq!(
            fe["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "Never"
        );
    }
}

#[test]
fn prod_uses_the_external_database_secret_ingress_tls_hpa_pdb_and_network_policy() {
    for helm in MAJORS {
        let docs = documents(
            &template(helm, &chart_dir(), "todo-chatbot", &profile_args("prod")).unwrap(),
        );
        assert!(docs.iter().all(|d| d["kind"] != "StatefulSet"), "{helm}");
        let be = find(&docs, "Deployment", "todo-chatbot-backend").unwrap();
        assert!(
            be["spec"]["replicas"].is_null(),
            "{helm}: the HPA owns replicas"
        );
        let env = be["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap();
        let url = env.iter().find(|e| e["name"] == "DATABASE_URL").unwrap();
        assert_eq!(
            url["valueFrom"]["secretKeyRef"]["name"],
            "todo-chatbot-database"
        );
        assert_eq!(url["valueFrom"]["secretKeyRef"]["key"], "database-url");
        for c in ["backend", "frontend"] {
            let hpa = find(
                &docs,
                "HorizontalPodAutoscaler",
                &format!("todo-chatbot-{c}"),
            )
            .unwrap();
            assert!(hpa["spec"]["minReplicas"].as_u64().unwrap() >= 2);
            assert_eq!(
                hpa["spec"]["metrics"][0]["resource"]["name"], "cpu",
                "{helm}: HPA with a metric"
            );
            assert!(find(&docs, "PodDisruptionBudget", &format!("todo-chatbot-{c}")).is_some());
        }
        let ing = find(&docs, "Ingress", "todo-chatbot").unwrap();
        assert_eq!(ing["spec"]["tls"][0]["hosts"][0], "todo.example.com");
        assert_eq!(
            ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
            "todo-chatbot-frontend"
        );
        let np = find(&docs, "NetworkPolicy", "todo-chatbot-backend").unwrap();
        let from = &np["spec"]["ingress"][0]["from"];
        assert_eq!(
            from[0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
            "frontend"
        );
        assert_eq!(
            from[1]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
            "test"
        );
        assert_eq!(
            from.as_array().unwrap().len(),
            2,
            "{helm}: nothing else may reach the backend"
        );
        let cm = find(&docs, "ConfigMap", "todo-chatbot-frontend").unwrap();
        assert_eq!(cm["data"]["COOKIE_SECURE"], "true");
    }
    // With the embedded database and network policy on, only the backend reaches PostgreSQL.
    let docs = documents(
        &template(
            "helm",
            &chart_dir(),
            "todo-chatbot",
            &s(&["--set", "networkPolicy.enabled=true"]),
        )
        .unwrap(),
    );
    let np = find(&docs, "NetworkPolicy", "todo-chatbot-postgresql").unwrap();
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
        "backend"
    );
}

#[test]
fn helm_test_pod_round_trips_with_our_images_only() {
    for helm in MAJORS {
        let args = s(&[
            "--set-string",
            "backend.image.tag=abc123",
            "--set-string",
            "frontend.image.tag=def456",
        ]);
        let docs = documents(&template(helm, &chart_dir(), "todo-chatbot", &args).unwrap());
        let pod = find(&docs, "Pod", "todo-chatbot-test-round-trip").unwrap();
        assert_eq!(pod["metadata"]["annotations"]["helm.sh/hook"], "test");
        let spec = &pod["spec"];
        let steps: Vec<String> = spec["initContainers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(spec["containers"].as_array().unwrap())
            .map(|c| {
                let cmd: Vec<&str> = c["command"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                format!("{} {}", c["image"].as_str().unwrap(), cmd.join(" "))
            })
            .collect();
        assert_eq!(
            steps,
            [
                "todo-chatbot-backend:abc123 /usr/local/bin/todo-api healthcheck --url http://todo-chatbot-backend:8000",
                "todo-chatbot-frontend:def456 /usr/local/bin/todo-web healthcheck --url http://todo-chatbot-backend:8000/readyz",
                "todo-chatbot-frontend:def456 /usr/local/bin/todo-web healthcheck --url http://todo-chatbot-frontend:3000/api/health",
            ],
            "{helm}: our images only, backend -> database, then frontend -> backend"
        );
        // Tests off: no pod.
        let docs = documents(
            &template(
                helm,
                &chart_dir(),
                "todo-chatbot",
                &s(&["--set", "tests.enabled=false"]),
            )
            .unwrap(),
        );
        assert!(docs.iter().all(|d| d["kind"] != "Pod"), "{helm}");
    }
}

/// NOTES as `helm install --dry-run=client` prints them. Helm 3.17 insists on a cluster for
/// that, so for Helm 3 the same NOTES.txt is rendered through `tpl` in a copy of the chart.
fn notes(helm: &str, args: &[String]) -> String {
    if helm == "helm" {
        let out = install_dry_run(helm, &chart_dir(), "todo-chatbot", args);
        return out
            .split("NOTES:")
            .nth(1)
            .unwrap_or_else(|| panic!("{helm}: no NOTES in {out}"))
            .to_owned();
    }
    let notes_src = std::fs::read_to_string(chart_dir().join("templates/NOTES.txt")).unwrap();
    let copy = crate::chart_copy(&[
        ("notes.txt", &notes_src),
        (
            "templates/zz-notes.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rendered-notes\ndata:\n  notes: {{ tpl (.Files.Get \"notes.txt\") . | quote }}\n",
        ),
    ]);
    let out = template(
        helm,
        &copy.path().join("todo-chatbot"),
        "todo-chatbot",
        args,
    )
    .unwrap();
    let docs = documents(&out);
    find(&docs, "ConfigMap", "rendered-notes").unwrap()["data"]["notes"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn notes_give_the_access_command_per_service_type() {
    // (args, must contain)
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["-f", "values-dev.yaml"],
            &[
                "minikube service todo-chatbot-frontend -n todo-chatbot --url",
                "node port 30000",
                "jsonpath='{.spec.ports[0].nodePort}'",
            ],
        ),
        (
            &[],
            &["ClusterIP: the frontend is only reachable inside the cluster"],
        ),
        (
            &[
                "--set",
                "ingress.enabled=true,ingress.host=todo.local,ingress.tls.enabled=true",
            ],
            &["Ingress: https://todo.local/"],
        ),
        (
            &["--set", "frontend.service.type=LoadBalancer"],
            &["minikube tunnel", "loadBalancer.ingress[0].ip"],
        ),
    ];
    for helm in MAJORS {
        for (args, needles) in cases {
            let args: Vec<String> = args
                .iter()
                .map(|a| {
                    if a.ends_with(".yaml") {
                        chart_dir().join(a).display().to_string()
                    } else {
                        (*a).to_owned()
                    }
                })
                .collect();
            let notes = notes(helm, &args);
            for n in needles {
                assert!(
                    notes.contains(n),
                    "{helm} {args:?}: `{n}` missing in\n{notes}"
                );
            }
            // The universal fallback is always there.
            assert!(
                notes.contains(
                    "kubectl port-forward -n todo-chatbot svc/todo-chatbot-frontend 8080:3000"
                ),
                "{helm}"
            );
            // NOTES never print a secret.
            assert!(!notes.contains("jwt-secret:"), "{helm}");
        }
    }
}

/// Every `secretKeyRef` in `docs` that reads Secret `name`, as its key.
fn keys_read_from(docs: &[Value], name: &str) -> std::collections::BTreeSet<String> {
    fn walk(v: &Value, name: &str, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("secretKeyRef")
                    && r["name"] == name
                {
                    out.insert(r["key"].as_str().unwrap_or_default().to_owned());
                }
                m.values().for_each(|x| walk(x, name, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, name, out)),
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    docs.iter().for_each(|d| walk(d, name, &mut out));
    out
}

#[test]
fn the_secret_inputs_table_names_what_the_chart_reads() {
    for helm in MAJORS {
        // A value set at each input's key reaches the chart's Secret (postgres-password, the
        // database URL and the app keys all land there).
        let mut args = Vec::new();
        for input in chart_values::SECRET_INPUTS {
            let value = format!("{}-{}", input.env.to_ascii_lowercase(), "x".repeat(32));
            args.extend(["--set".to_owned(), format!("{}={value}", input.values_key)]);
        }
        args.extend(s(&["--set", "postgresql.enabled=false"]));
        let docs = documents(&template(helm, &chart_dir(), "todo-chatbot", &args).unwrap());
        let stored: Vec<String> = secret_data(&docs, "todo-chatbot")
            .values()
            .map(|v| decode_b64(v.as_str().unwrap()))
            .collect();
        for input in chart_values::SECRET_INPUTS {
            if input == chart_values::POSTGRES_PASSWORD {
                continue; // the embedded database is off in this render
            }
            let prefix = input.env.to_ascii_lowercase();
            assert!(
                stored.iter().any(|v| v.starts_with(&prefix)),
                "{helm}: {} does not reach the Secret: {stored:?}",
                input.values_key
            );
        }
        let docs = documents(&template(helm, &chart_dir(), "todo-chatbot", &[]).unwrap());
        let password = decode_b64(
            secret_data(&docs, "todo-chatbot")["postgres-password"]
                .as_str()
                .unwrap(),
        );
        let args = s(&[
            "--set",
            &format!("{}={password}", chart_values::POSTGRES_PASSWORD.values_key),
        ]);
        let again = documents(&template(helm, &chart_dir(), "todo-chatbot", &args).unwrap());
        assert_eq!(
            decode_b64(
                secret_data(&again, "todo-chatbot")["postgres-password"]
                    .as_str()
                    .unwrap()
            ),
            password,
            "{helm}: {} does not set the password",
            chart_values::POSTGRES_PASSWORD.values_key
        );

        // With a pre-created Secret (and the LLM agent, which needs its key) the chart reads
        // exactly the table's keys from it.
        let args = s(&[
            "--set",
            "secrets.existingSecret=precreated",
            "--set",
            "config.agent=llm",
        ]);
        let docs = documents(&template(helm, &chart_dir(), "todo-chatbot", &args).unwrap());
        let want: std::collections::BTreeSet<String> = chart_values::SECRET_INPUTS
            .iter()
            .filter_map(|i| i.existing_secret_key.map(str::to_owned))
            .collect();
        assert_eq!(keys_read_from(&docs, "precreated"), want, "{helm}");
    }
}
