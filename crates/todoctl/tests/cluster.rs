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
