use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::interrupt::Tracked;
use crate::{Cmd, Error};

/// How many trailing lines of stderr an error keeps.
const STDERR_TAIL_LINES: usize = 20;

/// What a finished program printed, and how it exited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit code; -1 when a signal ended the process.
    pub status: i32,
    /// Captured stdout (for streamed runs, stdout and stderr merged).
    pub stdout: String,
    /// Captured stderr (empty for streamed runs).
    pub stderr: String,
}

impl Output {
    /// Whether the program exited with status 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }

    pub(crate) fn from_std(output: &std::process::Output) -> Output {
        Output {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs commands, or only records them.
///
/// Library code that mutates anything takes a `&Runner`, so the same code path prints a plan
/// (`--dry-run`) or carries it out. A dry run records the redacted command line and answers as
/// if the program had succeeded silently.
#[derive(Clone, Debug, Default)]
pub struct Runner {
    record: Option<Arc<Mutex<Vec<String>>>>,
}

impl Runner {
    /// A runner that really runs commands.
    pub fn live() -> Runner {
        Runner { record: None }
    }

    /// A runner that records commands instead of running them.
    pub fn dry_run() -> Runner {
        Runner {
            record: Some(Arc::default()),
        }
    }

    /// Whether this runner only records.
    pub fn is_dry_run(&self) -> bool {
        self.record.is_some()
    }

    /// The redacted command lines recorded so far (always empty for a live runner).
    pub fn recorded(&self) -> Vec<String> {
        self.record
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .unwrap_or_default()
    }

    /// Runs `cmd` to completion; a non-zero exit is [`Error::Failed`].
    pub fn run(&self, cmd: &Cmd) -> Result<Output, Error> {
        let output = self.run_unchecked(cmd)?;
        check(cmd, output)
    }

    /// Runs `cmd` to completion and returns its output whatever the exit status.
    pub fn run_unchecked(&self, cmd: &Cmd) -> Result<Output, Error> {
        if self.recorded_instead(cmd) {
            return Ok(Output::default());
        }
        let (handle, tracked) = cmd.start_captured()?;
        wait_within_timeout(cmd, &handle, &tracked)
    }

    /// Runs `cmd` to completion with its stdout written straight into `file` (at the file's
    /// current position), so output of any size never passes through memory; stderr is
    /// captured for errors, secrets scrubbed, and the timeout applies as in [`Runner::run`].
    /// The returned [`Output`] has an empty `stdout`. A dry run records the command and
    /// writes nothing.
    pub fn run_to_file(&self, cmd: &Cmd, file: &File) -> Result<Output, Error> {
        if self.recorded_instead(cmd) {
            return Ok(Output::default());
        }
        let stdout = file.try_clone().map_err(|source| io_error(cmd, source))?;
        let (handle, tracked) = cmd.start(|expr| expr.stdout_file(stdout).stderr_capture())?;
        let output = wait_within_timeout(cmd, &handle, &tracked)?;
        check(cmd, output)
    }

    /// Runs `cmd` to completion, handing each line of its merged stdout and stderr to
    /// `on_line` as it arrives; a non-zero exit is [`Error::Failed`].
    pub fn run_streaming(&self, cmd: &Cmd, mut on_line: impl FnMut(&str)) -> Result<Output, Error> {
        if self.recorded_instead(cmd) {
            return Ok(Output::default());
        }
        let reader = cmd
            .expression()?
            .stderr_to_stdout()
            .reader()
            .map_err(|source| spawn_error(cmd, source))?;
        // Released when this function returns: by then the reader has reached the end of the
        // output, which duct only reports after reaping the child.
        let _tracked = Tracked::register(&reader.pids(), &cmd.to_string());
        let reader = Arc::new(reader);
        let watchdog = cmd
            .timeout_duration()
            .map(|limit| Watchdog::start(limit, reader.pids()));
        let mut merged = String::new();
        for line in BufReader::new(&*reader).lines() {
            let line = line.map_err(|source| io_error(cmd, source))?;
            on_line(&cmd.scrub(&line));
            merged.push_str(&line);
            merged.push('\n');
        }
        if watchdog.is_some_and(|w| w.fired()) {
            return Err(timeout_error(cmd, &merged));
        }
        let status = reader
            .try_wait()
            .map_err(|source| io_error(cmd, source))?
            .map(|o| o.status.code().unwrap_or(-1))
            .unwrap_or(-1);
        check(
            cmd,
            Output {
                status,
                stdout: merged.clone(),
                stderr: String::new(),
            },
        )
        .map_err(|err| match err {
            Error::Failed {
                command, status, ..
            } => Error::Failed {
                command,
                status,
                stderr: tail(&cmd.scrub(&merged)),
            },
            other => other,
        })
    }

    fn recorded_instead(&self, cmd: &Cmd) -> bool {
        match &self.record {
            Some(record) => {
                record
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(cmd.to_string());
                true
            }
            None => false,
        }
    }
}

/// Waits for a started command, killing its process group when its timeout passes.
fn wait_within_timeout(
    cmd: &Cmd,
    handle: &duct::Handle,
    tracked: &Tracked,
) -> Result<Output, Error> {
    let finished = match cmd.timeout_duration() {
        None => handle.wait().map(Some),
        Some(limit) => handle.wait_timeout(limit),
    }
    .map_err(|source| io_error(cmd, source))?;
    let result = match finished {
        Some(output) => Ok(Output::from_std(output)),
        None => {
            kill_group(&handle.pids());
            let output = handle.wait().map_err(|source| io_error(cmd, source))?;
            Err(timeout_error(cmd, &String::from_utf8_lossy(&output.stderr)))
        }
    };
    tracked.release();
    result
}

/// Kills a streamed command's process group when its time is up.
struct Watchdog {
    fired: Arc<Mutex<bool>>,
    done: Arc<Mutex<bool>>,
}

impl Watchdog {
    fn start(limit: Duration, pids: Vec<u32>) -> Watchdog {
        let fired = Arc::new(Mutex::new(false));
        let done = Arc::new(Mutex::new(false));
        let (fired_flag, done_flag) = (Arc::clone(&fired), Arc::clone(&done));
        thread::spawn(move || {
            let deadline = Instant::now() + limit;
            while Instant::now() < deadline {
                if *done_flag.lock().unwrap_or_else(PoisonError::into_inner) {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            *fired_flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
            kill_group(&pids);
        });
        Watchdog { fired, done }
    }

    fn fired(self) -> bool {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        *self.fired.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends SIGKILL to the process groups led by `pids` (every command starts its own group).
pub(crate) fn kill_group(pids: &[u32]) {
    signal_group(pids, nix::sys::signal::Signal::SIGKILL);
}

pub(crate) fn signal_group(pids: &[u32], signal: nix::sys::signal::Signal) {
    for &pid in pids {
        if let Ok(pid) = i32::try_from(pid) {
            crate::interrupt::signal(pid, signal);
        }
    }
}

fn check(cmd: &Cmd, output: Output) -> Result<Output, Error> {
    if output.success() {
        Ok(output)
    } else {
        Err(Error::Failed {
            command: cmd.to_string(),
            status: output.status,
            stderr: tail(&cmd.scrub(&output.stderr)),
        })
    }
}

pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(STDERR_TAIL_LINES);
    lines[start..].join("\n")
}

pub(crate) fn spawn_error(cmd: &Cmd, source: std::io::Error) -> Error {
    Error::Spawn {
        command: cmd.to_string(),
        source,
    }
}

pub(crate) fn io_error(cmd: &Cmd, source: std::io::Error) -> Error {
    Error::Io {
        command: cmd.to_string(),
        source,
    }
}

fn timeout_error(cmd: &Cmd, stderr: &str) -> Error {
    Error::Timeout {
        command: cmd.to_string(),
        after: cmd.timeout_duration().unwrap_or_default(),
        stderr: tail(&cmd.scrub(stderr)),
    }
}
