//! The CLI against the real test cluster, in namespaces of its own: backups of a database
//! larger than the kit's memory, and dry runs that touch nothing.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use e2e::{Namespace, TestCluster};
use support::todoctl;

fn cluster() -> TestCluster {
    TestCluster::from_env().unwrap_or_else(|e| panic!("{e}"))
}

/// The chart's database as `db backup` finds it: StatefulSet `<fullname>-postgresql` with a
/// `postgresql` container that has POSTGRES_USER and POSTGRES_DB, from the chart's image.
const DATABASE: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: todo-chatbot-postgresql, labels: {app.kubernetes.io/instance: todo-chatbot, app.kubernetes.io/component: database}}
spec:
  serviceName: todo-chatbot-postgresql
  selector: {matchLabels: {app.kubernetes.io/instance: todo-chatbot, app.kubernetes.io/component: database}}
  template:
    metadata: {labels: {app.kubernetes.io/instance: todo-chatbot, app.kubernetes.io/component: database}}
    spec:
      securityContext: {runAsUser: 70, runAsGroup: 70, runAsNonRoot: true}
      containers:
        - name: postgresql
          image: docker.io/library/postgres:17-alpine
          imagePullPolicy: IfNotPresent
          env:
            - {name: POSTGRES_USER, value: todo}
            - {name: POSTGRES_DB, value: todo}
            - {name: POSTGRES_PASSWORD, value: backup-test}
            - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
          readinessProbe:
            exec: {command: [pg_isready, -h, 127.0.0.1]}
            periodSeconds: 1
          volumeMounts:
            - {name: run, mountPath: /var/run/postgresql}
            - {name: data, mountPath: /var/lib/postgresql/data}
      volumes:
        - {name: run, emptyDir: {}}
        - {name: data, emptyDir: {}}
"#;

fn database(ns: &Namespace) {
    ns.apply(DATABASE).unwrap();
    e2e::eventually("the database pod to exist", Duration::from_secs(60), || {
        let out = ns
            .kubectl([
                "get",
                "pod",
                "todo-chatbot-postgresql-0",
                "--ignore-not-found",
            ])
            .run()
            .map_err(|e| e.to_string())?;
        Ok((!out.stdout.trim().is_empty()).then_some(()))
    })
    .unwrap();
    ns.wait_for(
        "condition=Ready",
        "pod/todo-chatbot-postgresql-0",
        Duration::from_secs(180),
    )
    .unwrap();
}

/// Runs SQL in the database pod.
fn psql(ns: &Namespace, sql: &str) -> String {
    ns.kubectl([
        "exec",
        "statefulset/todo-chatbot-postgresql",
        "--container",
        "postgresql",
        "--",
        "psql",
        "--username=todo",
        "--dbname=todo",
        "--set=ON_ERROR_STOP=1",
        "--tuples-only",
        "--no-align",
        "--command",
        sql,
    ])
    .timeout(Duration::from_secs(900))
    .run()
    .unwrap()
    .stdout
}

/// The `VmHWM` (peak resident memory) of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_backup_much_larger_than_the_kits_memory_streams_into_the_file() {
    const MIB: u64 = 1024 * 1024;
    let cluster = cluster();
    let ns = cluster.namespace("backup").unwrap();
    database(&ns);
    // About 300 MB of dump: 1.5 million rows of 200 bytes.
    psql(
        &ns,
        "CREATE TABLE filler AS SELECT g AS id, repeat(md5(g::text), 6) AS payload \
         FROM generate_series(1, 1500000) AS g",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.sql");
    let cmd = todoctl(&[
        "db",
        "backup",
        file.to_str().unwrap(),
        "--context",
        cluster.context(),
        "--namespace",
        ns.name(),
    ]);
    let cmd = cluster
        .env()
        .into_iter()
        .fold(cmd, |cmd, (k, v)| cmd.env(k, v));
    let backup = cmd.spawn().unwrap();
    // VmHWM only grows, so the last value read before the exit is the peak up to then.
    let mut peak_kib = 0;
    let out = loop {
        if let Some(kib) = peak_rss_kib(backup.pid()) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(out) = backup.try_wait().unwrap() {
            break out;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(out.status, 0, "{out:?}");
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert!(bytes > 280 * MIB, "the dump is only {bytes} bytes");
    assert!(
        out.stderr.contains(&format!("wrote {bytes} bytes")),
        "{}",
        out.stderr
    );
    let peak_mib = peak_kib / 1024;
    eprintln!(
        "db backup: {} MiB dump, todoctl peak RSS {peak_mib} MiB",
        bytes / MIB
    );
    assert!(
        peak_mib < 64,
        "todoctl's peak RSS was {peak_mib} MiB for a {} MiB dump: it is held in memory",
        bytes / MIB
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read(&file).unwrap();
    let tail = String::from_utf8_lossy(&text[text.len() - 4096..]);
    assert!(
        tail.contains("-- PostgreSQL database dump complete"),
        "{tail}"
    );
    let copy = b"COPY public.filler (id, payload) FROM stdin;";
    assert!(text.windows(copy.len()).any(|w| w == copy));
    drop(text);

    // The same file restores (streamed into psql the same way) over a changed table.
    psql(&ns, "DELETE FROM filler WHERE id > 10");
    let cmd = todoctl(&[
        "db",
        "restore",
        file.to_str().unwrap(),
        "--context",
        cluster.context(),
        "--namespace",
        ns.name(),
    ]);
    let out = cluster
        .env()
        .into_iter()
        .fold(cmd, |cmd, (k, v)| cmd.env(k, v))
        .timeout(Duration::from_secs(900))
        .run()
        .unwrap();
    assert!(out.stderr.contains("restored"), "{out:?}");
    assert_eq!(psql(&ns, "SELECT count(*) FROM filler").trim(), "1500000");
}

/// What a logged tool call changes, if anything: the verb (`delete`, `upgrade`, `test`) of a
/// kubectl or helm call that mutates the cluster or runs something in it.
fn mutation(call: &str) -> Option<String> {
    const FLAGS_WITH_VALUE: &[&str] = &[
        "--context",
        "--kube-context",
        "--namespace",
        "-n",
        "--kubeconfig",
    ];
    const KUBECTL: &[&str] = &[
        "apply",
        "create",
        "delete",
        "patch",
        "replace",
        "label",
        "annotate",
        "scale",
        "exec",
        "port-forward",
        "cp",
        "rollout",
        "set",
        "edit",
        "run",
        "expose",
        "autoscale",
        "taint",
        "drain",
        "cordon",
        "uncordon",
        "attach",
        "debug",
    ];
    const HELM: &[&str] = &[
        "install",
        "upgrade",
        "uninstall",
        "delete",
        "rollback",
        "test",
    ];
    let mut words = call.split_whitespace();
    let tool = words.next()?;
    let verb = loop {
        let word = words.next()?;
        if FLAGS_WITH_VALUE.contains(&word) {
            words.next();
        } else if !word.starts_with('-') {
            break word;
        }
    };
    let mutates = match tool {
        "kubectl" => KUBECTL.contains(&verb),
        // A server-side dry run of an upgrade only renders.
        "helm" => HELM.contains(&verb) && !call.contains("--dry-run"),
        _ => true,
    };
    mutates.then(|| verb.to_owned())
}

#[test]
fn mutating_calls_are_told_from_reads() {
    let check = |call: &str, expect: Option<&str>| {
        assert_eq!(mutation(call).as_deref(), expect, "{call}");
    };
    check(
        "kubectl --context c --namespace n get pods --output json",
        None,
    );
    check("kubectl config current-context", None);
    check(
        "kubectl --context c --namespace n logs pod-1 --tail 10",
        None,
    );
    check("helm version --short", None);
    check(
        "helm --kube-context c status r --namespace n --output json",
        None,
    );
    check("helm template r helm/todo-chatbot --namespace n", None);
    check(
        "helm --kube-context c upgrade --install r chart --dry-run=server --output json",
        None,
    );
    check("kubectl --context c delete namespace n", Some("delete"));
    check(
        "kubectl --context c --namespace n label namespace n a=b",
        Some("label"),
    );
    check(
        "kubectl --context c --namespace n exec statefulset/x -- pg_dump",
        Some("exec"),
    );
    check(
        "kubectl --context c --namespace n port-forward svc/f 0:http",
        Some("port-forward"),
    );
    check("helm --kube-context c test r --namespace n", Some("test"));
    check(
        "helm --kube-context c upgrade --install r chart --namespace n",
        Some("upgrade"),
    );
    check("minikube start --profile=p", Some("start"));
}

/// A frontend Service (found by the chart's labels) in front of the database pod, so that
/// `port-forward` has something to read.
const FRONTEND_SERVICE: &str = r#"
apiVersion: v1
kind: Service
metadata:
  name: todo-chatbot-frontend
  labels: {app.kubernetes.io/instance: todo-chatbot, app.kubernetes.io/component: frontend}
spec:
  selector: {app.kubernetes.io/instance: todo-chatbot, app.kubernetes.io/component: database}
  ports: [{name: http, port: 3000, targetPort: 5432}]
"#;

/// Every object in the namespace with its UID, and the namespace's labels: a deletion, a
/// re-creation or a relabelling shows.
fn snapshot(ns: &Namespace) -> String {
    let objects = ns
        .kubectl([
            "get",
            "statefulsets,pods,services,secrets,configmaps,persistentvolumeclaims",
            "--output",
            "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.uid}{\"\\n\"}{end}",
        ])
        .run()
        .unwrap()
        .stdout;
    let labels = ns
        .cluster()
        .kubectl([
            "get",
            "namespace",
            ns.name(),
            "--output",
            "jsonpath={.metadata.uid} {.metadata.labels}",
        ])
        .run()
        .unwrap()
        .stdout;
    format!("{objects}namespace {labels}")
}

/// Each command's --dry-run, through shims in front of the real kubectl and helm, against a
/// namespace holding the chart's database: nothing that changes anything runs, the cluster is
/// as it was, and the plan lists what the command would change.
#[test]
fn every_dry_run_mutates_nothing_and_lists_what_it_would_change() {
    let cluster = cluster();
    let ns = cluster.namespace("dry-run").unwrap();
    database(&ns);
    ns.apply(FRONTEND_SERVICE).unwrap();
    let n = ns.name();
    let before = snapshot(&ns);
    let dir = tempfile::tempdir().unwrap();
    let never = dir.path().join("never.sql");
    let dump = dir.path().join("dump.sql");
    std::fs::write(
        &dump,
        "--\n-- PostgreSQL database dump\n--\nSELECT 1;\n--\n-- PostgreSQL database dump complete\n--\n",
    )
    .unwrap();
    let (never, dump) = (never.to_str().unwrap(), dump.to_str().unwrap());
    let upgrade = "upgrade --install todo-chatbot helm/todo-chatbot".to_owned();
    let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
        (
            vec!["release", "--backend-tag", "t1", "--frontend-tag", "t1"],
            vec![
                format!("create namespace {n}"),
                format!("label namespace {n}"),
                upgrade.clone(),
            ],
        ),
        (vec!["rollback"], vec!["rollback todo-chatbot".into()]),
        (
            vec!["down", "--purge"],
            vec![
                "uninstall todo-chatbot".into(),
                "delete persistentvolumeclaims".into(),
                format!("delete namespace {n}"),
            ],
        ),
        (
            vec!["db", "backup", never],
            vec!["exec statefulset/todo-chatbot-postgresql".into()],
        ),
        (
            vec!["db", "restore", dump],
            vec!["exec --stdin statefulset/todo-chatbot-postgresql".into()],
        ),
        (
            vec!["verify", "live"],
            vec![
                "port-forward".into(),
                "delete pod".into(),
                format!("test todo-chatbot --namespace {n}"),
            ],
        ),
        (
            vec!["port-forward"],
            vec!["port-forward --address 127.0.0.1 svc/todo-chatbot-frontend 8080:3000".into()],
        ),
        (
            // Loading images is the images crate's plan; this one is about the cluster.
            vec![
                "deploy",
                "--backend-tag",
                "t1",
                "--frontend-tag",
                "t1",
                "--image-loader",
                "none",
            ],
            vec![
                format!("label namespace {n}"),
                upgrade,
                "delete pod".into(),
                format!("test todo-chatbot --namespace {n}"),
            ],
        ),
    ];
    for (args, expect) in cases {
        let shims = support::Shims::new();
        shims.shim("kubectl", "").shim("helm", "");
        let mut all = vec!["--dry-run"];
        all.extend(&args);
        all.extend(["--context", cluster.context(), "--namespace", n]);
        let cmd = shims.env(todoctl(&all));
        let out = cluster
            .env()
            .into_iter()
            .fold(cmd, |cmd, (k, v)| cmd.env(k, v))
            .timeout(Duration::from_secs(600))
            .run_unchecked()
            .unwrap();
        assert_eq!(out.status, 0, "{args:?}:\n{}{}", out.stdout, out.stderr);
        let mutations: Vec<String> = shims
            .calls()
            .into_iter()
            .map(|(_, call)| call)
            .filter(|call| mutation(call).is_some())
            .collect();
        assert_eq!(mutations, Vec::<String>::new(), "{args:?} ran these");
        for fragment in &expect {
            assert!(
                out.stdout.contains(fragment.as_str()),
                "{args:?}: the plan lacks `{fragment}`:\n{}",
                out.stdout
            );
        }
        assert_eq!(snapshot(&ns), before, "{args:?} changed the namespace");
    }
    assert!(
        !std::path::Path::new(never).exists(),
        "a planned backup wrote its file"
    );

    // The same command without --dry-run: the shims see what it changes.
    let shims = support::Shims::new();
    shims.shim("kubectl", "").shim("helm", "");
    let cmd = shims.env(todoctl(&[
        "down",
        "--purge",
        "--context",
        cluster.context(),
        "--namespace",
        n,
    ]));
    let out = cluster
        .env()
        .into_iter()
        .fold(cmd, |cmd, (k, v)| cmd.env(k, v))
        .timeout(Duration::from_secs(600))
        .run_unchecked()
        .unwrap();
    assert_eq!(out.status, 0, "{out:?}");
    let verbs: Vec<String> = shims
        .calls()
        .iter()
        .filter_map(|(_, call)| mutation(call))
        .collect();
    assert!(verbs.contains(&"uninstall".to_owned()), "{verbs:?}");
    assert!(verbs.contains(&"delete".to_owned()), "{verbs:?}");
}
