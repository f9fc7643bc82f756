use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::interrupt::{self, Tracked};
use crate::{Child, Error, Output, Runner, resolve};

const REDACTED: &str = "***";

/// A command to run: a program, its arguments and its environment.
///
/// Build it with [`Cmd::new`] and the chained setters, then [`run`](Cmd::run) it (or hand it
/// to a [`Runner`]). Its [`Display`](fmt::Display) is the redacted, shell-quoted command line.
#[derive(Clone, Debug)]
pub struct Cmd {
    program: String,
    args: Vec<Part>,
    env: Vec<(String, Part)>,
    dir: Option<PathBuf>,
    stdin: Option<Stdin>,
    timeout: Option<Duration>,
}

/// What the program reads on stdin.
#[derive(Clone, Debug)]
enum Stdin {
    Bytes(Vec<u8>),
    /// Read by the program itself, so a file of any size never passes through our memory.
    File(PathBuf),
}

#[derive(Clone, Debug)]
struct Part {
    value: String,
    secret: bool,
}

impl Cmd {
    /// A command running `program`: a bare name (resolved through its environment override,
    /// then `PATH`, see [`resolve`]) or a path.
    pub fn new(program: impl Into<String>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            dir: None,
            stdin: None,
            timeout: None,
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Cmd {
        self.args.push(Part {
            value: arg.into(),
            secret: false,
        });
        self
    }

    /// Appends several arguments.
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(|a| Part {
            value: a.into(),
            secret: false,
        }));
        self
    }

    /// Appends an argument that is shown as `***` everywhere. Prefer [`secret_env`] or stdin:
    /// an argument is visible to other users of the machine through `ps`.
    ///
    /// [`secret_env`]: Cmd::secret_env
    pub fn secret_arg(mut self, arg: impl Into<String>) -> Cmd {
        self.args.push(Part {
            value: arg.into(),
            secret: true,
        });
        self
    }

    /// Sets an environment variable for the child (a later call for the same key wins).
    pub fn env(self, key: impl Into<String>, value: impl Into<String>) -> Cmd {
        let value = value.into();
        self.set_env(
            key.into(),
            Part {
                value,
                secret: false,
            },
        )
    }

    /// Sets an environment variable whose value is shown as `***` everywhere.
    pub fn secret_env(self, key: impl Into<String>, value: impl Into<String>) -> Cmd {
        let value = value.into();
        self.set_env(
            key.into(),
            Part {
                value,
                secret: true,
            },
        )
    }

    fn set_env(mut self, key: String, part: Part) -> Cmd {
        self.env.retain(|(existing, _)| *existing != key);
        self.env.push((key, part));
        self
    }

    /// Runs the program in `dir`.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Cmd {
        self.dir = Some(dir.into());
        self
    }

    /// Feeds `bytes` to the program's stdin (otherwise stdin is empty).
    pub fn stdin_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(Stdin::Bytes(bytes.into()));
        self
    }

    /// Connects the program's stdin to the file at `path` (opened when the program starts).
    pub fn stdin_file(mut self, path: impl Into<PathBuf>) -> Cmd {
        self.stdin = Some(Stdin::File(path.into()));
        self
    }

    /// Kills the program (and anything it started) when it runs longer than `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Cmd {
        self.timeout = Some(timeout);
        self
    }

    /// The program as given to [`Cmd::new`].
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The arguments, with secret ones replaced by `***`.
    pub fn redacted_args(&self) -> Vec<String> {
        self.args
            .iter()
            .map(Part::shown)
            .map(str::to_owned)
            .collect()
    }

    /// The timeout, if one was set.
    pub fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    /// Runs to completion now, capturing output; a non-zero exit is [`Error::Failed`].
    ///
    /// This and the other `run*` methods and [`spawn`](Cmd::spawn) run even during a dry run:
    /// they are for reads (a plan has to look at things too). A command that changes anything
    /// goes through the caller's [`Runner`] instead, so that `--dry-run` records it.
    pub fn run(&self) -> Result<Output, Error> {
        Runner::live().run(self)
    }

    /// Runs to completion, capturing output, and returns it whatever the exit status.
    pub fn run_unchecked(&self) -> Result<Output, Error> {
        Runner::live().run_unchecked(self)
    }

    /// Runs to completion, calling `on_line` with each line of stdout and stderr (merged) as it
    /// arrives; a non-zero exit is [`Error::Failed`] with the tail of that output.
    pub fn run_streaming(&self, on_line: impl FnMut(&str)) -> Result<Output, Error> {
        Runner::live().run_streaming(self, on_line)
    }

    /// Starts the program in the background with its output captured.
    pub fn spawn(&self) -> Result<Child, Error> {
        Child::start(self)
    }

    /// Replaces every secret value in `text` with `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.args
            .iter()
            .chain(self.env.iter().map(|(_, part)| part))
            .filter(|part| part.secret && !part.value.is_empty())
            .fold(text.to_owned(), |text, part| {
                text.replace(&part.value, REDACTED)
            })
    }

    /// Starts the command with stdout and stderr captured.
    pub(crate) fn start_captured(&self) -> Result<(duct::Handle, Tracked), Error> {
        self.start(|expr| expr.stdout_capture().stderr_capture())
    }

    /// Starts the command with its streams set up by `redirect`, registered as a live child
    /// (see [`interrupt`]) until the returned [`Tracked`] is released.
    pub(crate) fn start(
        &self,
        redirect: impl FnOnce(duct::Expression) -> duct::Expression,
    ) -> Result<(duct::Handle, Tracked), Error> {
        let handle = redirect(self.expression()?)
            .start()
            .map_err(|source| crate::runner::spawn_error(self, source))?;
        let tracked = Tracked::register(&handle.pids(), &self.to_string());
        Ok((handle, tracked))
    }

    /// The duct expression for this command, in its own process group so that a timeout or
    /// kill reaches everything it started. Refused once the process is stopping.
    pub(crate) fn expression(&self) -> Result<duct::Expression, Error> {
        if let Some(signal) = interrupt::refused() {
            return Err(Error::Interrupted {
                command: self.to_string(),
                signal: signal.name(),
            });
        }
        let path = resolve(&self.program)?;
        #[allow(clippy::disallowed_methods)] // this crate is the one place allowed to spawn
        let mut expr =
            duct::cmd(path, self.args.iter().map(|a| a.value.clone())).before_spawn(|command| {
                command.process_group(0);
                Ok(())
            });
        for (key, part) in &self.env {
            expr = expr.env(key, &part.value);
        }
        if let Some(dir) = &self.dir {
            expr = expr.dir(dir);
        }
        expr = match &self.stdin {
            Some(Stdin::Bytes(bytes)) => expr.stdin_bytes(bytes.clone()),
            Some(Stdin::File(path)) => expr.stdin_path(path),
            None => expr.stdin_null(),
        };
        Ok(expr.unchecked())
    }
}

impl Part {
    fn shown(&self) -> &str {
        if self.secret { REDACTED } else { &self.value }
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env = self
            .env
            .iter()
            .map(|(key, part)| format!("{key}={}", shell_words::quote(part.shown())));
        let words = std::iter::once(shell_words::quote(&self.program).into_owned()).chain(
            self.args
                .iter()
                .map(|a| shell_words::quote(a.shown()).into_owned()),
        );
        let line: Vec<String> = env.chain(words).collect();
        f.write_str(&line.join(" "))
    }
}
