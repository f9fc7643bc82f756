//! `db backup FILE` / `db restore FILE`: pg_dump and psql inside the PostgreSQL pod, through
//! `kubectl exec`, so no database port is ever exposed and no password leaves the cluster
//! (the official image trusts its own Unix socket).

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use exec::{Cmd, Runner};
use k8s_openapi::api::apps::v1::StatefulSet;

use crate::deploy::Cluster;
use crate::error::{Error, Result};

const DUMP_HEADER: &str = "-- PostgreSQL database dump";
const DUMP_FOOTER: &str = "-- PostgreSQL database dump complete";

/// `statefulset/NAME` of the release's database, found by the chart's labels (so a long
/// release name or `fullnameOverride` changes nothing); kubectl picks its pod.
pub fn database_target(cluster: &Cluster) -> Result<String> {
    let statefulset: StatefulSet = cluster.component_object("database")?;
    Ok(format!(
        "statefulset/{}",
        statefulset.metadata.name.unwrap_or_default()
    ))
}

/// The `kubectl exec` into `target` ([`database_target`]) that prints a plain-SQL dump (with
/// DROP ... IF EXISTS, so a restore replaces what is there) on stdout.
pub fn backup_cmd(cluster: &Cluster, target: &str) -> Cmd {
    cluster
        .kubectl()
        .cmd()
        .args(["exec", target, "--container", "postgresql", "--"])
        .args([
            "sh",
            "-c",
            "exec pg_dump --username=\"$POSTGRES_USER\" --dbname=\"$POSTGRES_DB\" --clean --if-exists --no-owner --no-privileges",
        ])
        .timeout(Duration::from_secs(600))
}

/// The `kubectl exec -i` that feeds a dump to psql in one transaction, stopping at the
/// first error.
pub fn restore_cmd(cluster: &Cluster, target: &str) -> Cmd {
    cluster
        .kubectl()
        .cmd()
        .args(["exec", "--stdin", target, "--container", "postgresql", "--"])
        .args([
            "sh",
            "-c",
            "exec psql --username=\"$POSTGRES_USER\" --dbname=\"$POSTGRES_DB\" --set=ON_ERROR_STOP=1 --single-transaction --quiet --no-psqlrc",
        ])
        .timeout(Duration::from_secs(600))
}

/// How much of a dump's start and end is read to find pg_dump's header and completion marker
/// (a dump ends with the marker and at most a few short lines after it).
const DUMP_EDGE_BYTES: u64 = 64 * 1024;

/// Dumps the database to `file` (mode 0600: it holds every user's data). pg_dump's output goes
/// straight into the file, so a database of any size backs up in little memory. The dump is
/// checked for pg_dump's completion marker and the file appears atomically, so a failed backup
/// never leaves a truncated file behind. A dry run records the command and writes nothing.
pub fn backup(runner: &Runner, cluster: &Cluster, file: &Path) -> Result<u64> {
    let cmd = backup_cmd(cluster, &database_target(cluster)?);
    if runner.is_dry_run() {
        runner.run(&cmd)?;
        return Ok(0);
    }
    let io = |source| Error::Io {
        action: "writing the backup to",
        path: file.to_path_buf(),
        source,
    };
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".todo-chatbot-backup-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(io)?;
    runner.run_to_file(&cmd, tmp.as_file())?;
    let (head, tail) = edges(tmp.as_file()).map_err(io)?;
    if !head.starts_with("--") || !tail.contains(DUMP_FOOTER) {
        return Err(Error::Parse {
            command: cmd.to_string(),
            message: format!(
                "the dump is incomplete (no `{DUMP_FOOTER}` line); {} was not written",
                file.display()
            ),
        });
    }
    tmp.as_file().sync_all().map_err(io)?;
    let bytes = tmp.as_file().metadata().map_err(io)?.len();
    tmp.persist(file).map_err(|e| io(e.error))?;
    Ok(bytes)
}

/// The first and last [`DUMP_EDGE_BYTES`] of a file, as text.
fn edges(file: &fs::File) -> std::io::Result<(String, String)> {
    let len = file.metadata()?.len();
    let read_at = |offset: u64| -> std::io::Result<String> {
        let mut reader = file;
        reader.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        reader.take(DUMP_EDGE_BYTES).read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    Ok((read_at(0)?, read_at(len.saturating_sub(DUMP_EDGE_BYTES))?))
}

/// Loads `file` (a dump made by [`backup`]) into the database, replacing its tables. psql
/// reads the file through kubectl's stdin, so its size does not matter. The file is checked
/// first, also in a dry run.
pub fn restore(runner: &Runner, cluster: &Cluster, file: &Path) -> Result<()> {
    let (head, tail) = fs::File::open(file)
        .and_then(|f| edges(&f))
        .map_err(|source| Error::Io {
            action: "reading the backup",
            path: file.to_path_buf(),
            source,
        })?;
    if !head.contains(DUMP_HEADER) || !tail.contains(DUMP_FOOTER) {
        return Err(Error::Invalid(format!(
            "{} is not a complete dump from `todoctl db backup` (no `{DUMP_HEADER}` ... `{DUMP_FOOTER}` lines)",
            file.display()
        )));
    }
    runner.run(&restore_cmd(cluster, &database_target(cluster)?).stdin_file(file))?;
    Ok(())
}
