//! Timed steps: the unit every dynamic report (local, live, smoke) is made of.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

/// One step of a run: what was checked, whether it passed, what was seen, how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What the step checks, e.g. `register` or `rollout Deployment/todo-chatbot-backend`.
    pub name: String,
    /// Passed.
    pub ok: bool,
    /// What was seen: a short success note, or the failure explained (events, log lines).
    pub detail: String,
    /// Wall time, milliseconds.
    pub millis: u64,
}

/// Why a step failed, in the words its report shows. Anything that displays converts into
/// one, so a step's body uses `?` on kubectl, helm, exec and HTTP errors alike and writes its
/// own explanations as `Err(text.into())`.
#[derive(Debug)]
pub struct StepFailure(String);

impl StepFailure {
    /// The explanation, for a step that records it itself ([`Step::not_run`]).
    pub fn into_detail(self) -> String {
        self.0
    }
}

// No `Display` for `StepFailure` itself: this blanket conversion needs it not to have one.
impl<E: fmt::Display> From<E> for StepFailure {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

/// What a step's body returns: a short note on success, or why it failed.
pub type StepResult = Result<String, StepFailure>;

impl Step {
    /// Runs `f` as a step, timing it; an `Err` is a failure with that explanation.
    pub fn run(name: impl Into<String>, f: impl FnOnce() -> StepResult) -> Self {
        let start = Instant::now();
        let (ok, detail) = match f() {
            Ok(d) => (true, d),
            Err(StepFailure(d)) => (false, d),
        };
        Self {
            name: name.into(),
            ok,
            detail,
            millis: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// A step that did not run (a prerequisite failed), counted as failed.
    pub fn not_run(name: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: false,
            detail: why.into(),
            millis: 0,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.ok { "ok  " } else { "FAIL" };
        let secs = self.millis as f64 / 1000.0;
        write!(f, "  {mark} {:<60} {secs:>6.2}s", self.name)?;
        let mut lines = self.detail.lines().filter(|l| !l.trim().is_empty());
        if let Some(first) = lines.next() {
            write!(f, "  {first}")?;
        }
        for l in lines {
            write!(f, "\n         {l}")?;
        }
        Ok(())
    }
}

/// Writes steps one per line and a PASS/FAIL summary.
pub fn write_steps(f: &mut fmt::Formatter<'_>, steps: &[Step]) -> fmt::Result {
    for s in steps {
        writeln!(f, "{s}")?;
    }
    let failed = steps.iter().filter(|s| !s.ok).count();
    let total: u64 = steps.iter().map(|s| s.millis).sum();
    writeln!(
        f,
        "  {}: {} of {} steps passed in {:.1}s",
        if failed == 0 { "PASS" } else { "FAIL" },
        steps.len() - failed,
        steps.len(),
        total as f64 / 1000.0
    )
}

/// What a [`Progress`] callback is told.
#[derive(Debug, Clone, Copy)]
pub enum ProgressEvent<'a> {
    /// A step starts (show a spinner with its name).
    Started(&'a str),
    /// A step finished.
    Finished(&'a Step),
}

type Callback = dyn Fn(ProgressEvent<'_>) + Send + Sync;

/// An optional callback told when each step starts and finishes, so a CLI can show progress
/// on long runs (libraries never print).
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Callback>>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(callback)"
        } else {
            "Progress(none)"
        })
    }
}

impl Progress {
    /// Progress reported to `f`.
    pub fn new(f: impl Fn(ProgressEvent<'_>) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }

    /// [`Step::run`], announced.
    pub fn run(&self, name: impl Into<String>, f: impl FnOnce() -> StepResult) -> Step {
        let name = name.into();
        if let Some(cb) = &self.0 {
            cb(ProgressEvent::Started(&name));
        }
        let step = Step::run(name, f);
        if let Some(cb) = &self.0 {
            cb(ProgressEvent::Finished(&step));
        }
        step
    }
}
