//! Logs written off the request path: events are formatted where they happen, appended to a
//! shared buffer, and one background thread writes the buffer to stderr in batches. A request
//! never waits on a write to stderr (a pipe a container runtime drains at its own pace), only
//! on a memory copy — unless the buffer is full, when it waits for room rather than drop lines.
//! The writer lets lines gather for [`LINGER`] before each write: waking it for every line cost
//! more (a futex wake and a context switch per request) than the write it saved. [`LogGuard`]
//! writes out what is left when the process ends.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::LogFormat;

/// Bytes buffered before a logging thread waits for the writer: enough for thousands of lines
/// while stderr is slow, small next to the service's memory budget.
pub const BUFFER_LIMIT: usize = 1 << 20;
/// How long the writer lets lines gather once the first one arrives: at most this late on
/// stderr, and at most 1 / LINGER wake-ups a second however busy the service is.
pub const LINGER: Duration = Duration::from_millis(20);
/// A batch this large is written at once, without waiting out [`LINGER`].
const WRITE_AT: usize = 256 * 1024;

struct State {
    buf: Vec<u8>,
    /// The writer sleeps until a line arrives; the first line into the empty buffer wakes it.
    writer_idle: bool,
    /// The writer waits out [`LINGER`]; a line that fills the batch to [`WRITE_AT`] wakes it.
    writer_lingering: bool,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled as described on `State`, and on close.
    ready: Condvar,
    /// Signalled when the writer took the buffer, so producers waiting for room go on.
    room: Condvar,
    /// Where the lines go; producers use it themselves only once the writer has stopped.
    sink: Mutex<Box<dyn Write + Send>>,
}

// A poisoned lock only means a thread panicked while holding it; the buffer is still bytes.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn push(&self, bytes: &[u8]) -> io::Result<()> {
        let mut st = lock(&self.state);
        while st.buf.len() >= BUFFER_LIMIT && !st.closed {
            st = self.room.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        if st.closed {
            drop(st);
            return lock(&self.sink).write_all(bytes);
        }
        st.buf.extend_from_slice(bytes);
        // Each flag is cleared here, so one sleep of the writer costs at most one wake-up.
        let wake = if st.writer_idle {
            st.writer_idle = false;
            true
        } else if st.writer_lingering && st.buf.len() >= WRITE_AT {
            st.writer_lingering = false;
            true
        } else {
            false
        };
        drop(st);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    fn run_writer(&self) {
        let mut batch = Vec::new();
        loop {
            {
                let mut st = lock(&self.state);
                while st.buf.is_empty() && !st.closed {
                    st.writer_idle = true;
                    st = self.ready.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
                st.writer_idle = false;
                let deadline = Instant::now() + LINGER;
                while st.buf.len() < WRITE_AT && !st.closed {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    st.writer_lingering = true;
                    st = self
                        .ready
                        .wait_timeout(st, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                st.writer_lingering = false;
                if st.buf.is_empty() {
                    return;
                }
                // The two buffers trade places, so neither side allocates per batch.
                std::mem::swap(&mut st.buf, &mut batch);
            }
            self.room.notify_all();
            let mut sink = lock(&self.sink);
            // Nowhere to report a failing stderr: the batch is dropped and logging goes on.
            let _ = sink.write_all(&batch).and_then(|()| sink.flush());
            drop(sink);
            batch.clear();
            if batch.capacity() > 2 * BUFFER_LIMIT {
                batch.shrink_to(BUFFER_LIMIT);
            }
        }
    }
}

/// The `MakeWriter` the subscriber writes events through; cheap to clone.
#[derive(Clone)]
pub struct BufferedWriter {
    shared: Arc<Shared>,
}

/// One event's writer: appends to the shared buffer.
pub struct EventWriter<'a> {
    shared: &'a Shared,
}

impl Write for EventWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.shared.push(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.shared.push(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedWriter {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> EventWriter<'a> {
        EventWriter {
            shared: &self.shared,
        }
    }
}

/// Keeps the writer thread; dropping it writes out every buffered line and stops the thread.
/// Lines logged after that are written directly.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LogGuard {
    /// Writes out every buffered line and stops the writer (what dropping does).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.ready.notify_one();
        self.shared.room.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A buffered writer into `sink` with its writer thread.
pub fn buffered(sink: Box<dyn Write + Send>) -> io::Result<(BufferedWriter, LogGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            buf: Vec::with_capacity(64 * 1024),
            writer_idle: false,
            writer_lingering: false,
            closed: false,
        }),
        ready: Condvar::new(),
        room: Condvar::new(),
        sink: Mutex::new(sink),
    });
    let thread = std::thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn({
            let shared = shared.clone();
            move || shared.run_writer()
        })?;
    Ok((
        BufferedWriter {
            shared: shared.clone(),
        },
        LogGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

/// Installs the global subscriber: `level` is an `EnvFilter` directive (`info`,
/// `todo_api=debug,info`), lines go to stderr through [`buffered`]. Keep the guard until the
/// end of `main`, then [`LogGuard::finish`] it.
pub fn init(level: &str, format: LogFormat) -> io::Result<LogGuard> {
    let filter = filter(level)?;
    let (writer, guard) = buffered(Box::new(io::stderr()))?;
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .init(),
        LogFormat::Pretty => registry.with(fmt::layer().with_writer(writer)).init(),
    }
    Ok(guard)
}

/// Directives of targets and levels — all a service is configured with — filter through
/// `Targets`; only the ones that name spans or fields (`[request{path}]=debug`) need
/// `EnvFilter`, which takes a lock shared by all threads on every enter and exit of every span:
/// each poll of each request's future.
fn filter(level: &str) -> io::Result<Box<dyn Layer<Registry> + Send + Sync>> {
    // `Targets` would read a span directive as a plain one, so those are told by their bracket.
    if !level.contains('[')
        && let Ok(targets) = level.parse::<Targets>()
    {
        return Ok(Box::new(targets));
    }
    let filter = EnvFilter::try_new(level).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("LOG_LEVEL: invalid filter {level:?}: {e}"),
        )
    })?;
    Ok(Box::new(filter))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink tests can read back, optionally slow, to fill the buffer.
    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        delay_per_write: Option<std::time::Duration>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(d) = self.delay_per_write {
                std::thread::sleep(d);
            }
            lock(&self.bytes).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn lines_from(threads: usize, per_thread: usize, line_len: usize, sink: &Sink) -> Vec<String> {
        let (writer, guard) = buffered(Box::new(sink.clone())).expect("writer thread");
        let producers: Vec<_> = (0..threads)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..per_thread {
                        let mut line = format!("{t} {i} ");
                        line.extend(std::iter::repeat_n('x', line_len));
                        line.push('\n');
                        writer
                            .make_writer()
                            .write_all(line.as_bytes())
                            .expect("write");
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().expect("producer");
        }
        guard.finish();
        let bytes = lock(&sink.bytes).clone();
        String::from_utf8(bytes)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn assert_complete_and_ordered(lines: &[String], threads: usize, per_thread: usize) {
        assert_eq!(lines.len(), threads * per_thread, "lines lost or added");
        let mut next = vec![0usize; threads];
        for line in lines {
            let mut parts = line.split(' ');
            let t: usize = parts.next().and_then(|p| p.parse().ok()).expect("thread");
            let i: usize = parts.next().and_then(|p| p.parse().ok()).expect("index");
            assert_eq!(
                i, next[t],
                "thread {t}'s lines out of order or torn: {line:.40}"
            );
            next[t] += 1;
        }
    }

    #[test]
    fn every_line_arrives_whole_and_in_each_threads_order() {
        let sink = Sink::default();
        let lines = lines_from(4, 5_000, 80, &sink);
        assert_complete_and_ordered(&lines, 4, 5_000);
    }

    #[test]
    fn a_slow_sink_makes_producers_wait_instead_of_losing_lines() {
        // 4 × 2,000 lines of ~1 KiB is 8 MiB, eight times the buffer limit, into a sink that
        // takes a millisecond per batch: producers must wait for room.
        let sink = Sink {
            delay_per_write: Some(std::time::Duration::from_millis(1)),
            ..Sink::default()
        };
        let lines = lines_from(4, 2_000, 1_000, &sink);
        assert_complete_and_ordered(&lines, 4, 2_000);
    }

    #[test]
    fn lines_after_the_guard_is_gone_are_written_directly() {
        let sink = Sink::default();
        let (writer, guard) = buffered(Box::new(sink.clone())).expect("writer thread");
        writer.make_writer().write_all(b"before\n").expect("write");
        guard.finish();
        writer.make_writer().write_all(b"after\n").expect("write");
        assert_eq!(lock(&sink.bytes).as_slice(), b"before\nafter\n");
    }

    /// Which of a fixed set of events (target, level) pass `filter`.
    fn passed(filter: impl Layer<Registry> + Send + Sync + 'static) -> Vec<String> {
        struct Record(Arc<Mutex<Vec<String>>>);
        impl<S: tracing::Subscriber> Layer<S> for Record {
            fn on_event(
                &self,
                event: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                let mut name = None;
                event.record(&mut |f: &tracing::field::Field, v: &dyn std::fmt::Debug| {
                    if f.name() == "message" {
                        name = Some(format!("{v:?}"));
                    }
                });
                lock(&self.0).push(name.expect("a message"));
            }
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry()
            .with(filter)
            .with(Record(seen.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "todo_api", "api-debug");
            tracing::info!(target: "todo_api", "api-info");
            tracing::trace!(target: "todo_api::db", "db-trace");
            tracing::debug!(target: "todo_api::db", "db-debug");
            tracing::info!(target: "hyper::proto", "hyper-info");
            tracing::warn!(target: "hyper::proto", "hyper-warn");
            tracing::debug!(target: "other", "other-debug");
            tracing::info!(target: "other", "other-info");
            tracing::error!(target: "other", "other-error");
            tracing::info_span!("request", path = "/x")
                .in_scope(|| tracing::debug!(target: "other", "span-debug"));
        });
        std::mem::take(&mut *lock(&seen))
    }

    #[test]
    fn plain_directives_filter_exactly_as_env_filter_does() {
        for directives in [
            "info",
            "WARN",
            "off",
            "trace",
            "todo_api=debug,info",
            "debug,hyper=warn",
            "todo_api",
            "error,todo_api::db=trace",
            "todo_api=info,todo_api::db=debug,warn",
        ] {
            let targets: Targets = directives.parse().expect(directives);
            let env = EnvFilter::try_new(directives).expect(directives);
            assert_eq!(passed(targets), passed(env), "{directives}");
        }
    }

    #[test]
    fn span_directives_still_work_and_bad_ones_name_the_variable() {
        // Debug inside a request span with a path, info elsewhere.
        let passed = passed(filter("[request{path}]=debug,info").expect("an EnvFilter"));
        let expect = [
            "api-info",
            "hyper-info",
            "hyper-warn",
            "other-info",
            "other-error",
            "span-debug",
        ];
        assert_eq!(passed, expect);
        let err = filter("info,todo_api=loud").err().expect("refused");
        assert!(
            err.to_string().starts_with("LOG_LEVEL: invalid filter"),
            "{err}"
        );
    }
}
