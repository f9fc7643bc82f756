//! Stopping cleanly on Ctrl-C and SIGTERM.
//!
//! Every child starts in a process group of its own, so that a timeout can kill everything it
//! started. That also means the terminal's Ctrl-C reaches only our process, never the
//! children: without help, an interrupted `todoctl port-forward` leaves kubectl holding the
//! port and an interrupted deploy leaves helm running. So this crate keeps the process groups
//! of every child that has not been waited for yet, and a binary's signal handling
//! ([`Listener`]) can pass the signal on to them ([`forward`]), wait until each has been
//! reaped ([`wait_for_children`]) and then exit. From the first signal on, no new child starts:
//! starting one returns [`Error::Interrupted`](crate::Error::Interrupted), which unwinds the
//! caller's work (and runs its cleanup) instead of carrying on.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use nix::sys::signal::Signal;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// A signal that asks the program to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT: Ctrl-C in the terminal.
    Int,
    /// SIGTERM: `kill`, a service manager, a CI runner stopping the job.
    Term,
}

impl Interrupt {
    /// `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        self.signal().as_str()
    }

    /// The exit status shells give a program this signal ended: 128 + its number (130, 143).
    pub fn exit_status(self) -> u8 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }

    fn signal(self) -> Signal {
        match self {
            Interrupt::Int => Signal::SIGINT,
            Interrupt::Term => Signal::SIGTERM,
        }
    }
}

/// Receives SIGINT and SIGTERM as values instead of letting them end the process.
///
/// A handler that only writes to a pipe (signal-hook's) replaces the default action, and
/// [`Listener::wait`] reads the pipe on an ordinary thread: no code of ours runs in signal
/// context, and the signal mask stays as it was, so children start with the default action
/// (the kernel resets caught signals on exec) and die of a forwarded signal as they would in a
/// terminal.
pub struct Listener {
    signals: Signals,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener(SIGINT, SIGTERM)")
    }
}

impl Listener {
    /// Installs the handlers for SIGINT and SIGTERM; from now on they no longer end the
    /// process by themselves.
    pub fn install() -> io::Result<Listener> {
        let signals = Signals::new([SIGINT, SIGTERM])?;
        Ok(Listener { signals })
    }

    /// Blocks until SIGINT or SIGTERM arrives.
    pub fn wait(&mut self) -> io::Result<Interrupt> {
        loop {
            for signal in self.signals.wait() {
                match signal {
                    SIGINT => return Ok(Interrupt::Int),
                    SIGTERM => return Ok(Interrupt::Term),
                    // Only the two registered signals arrive here.
                    _ => {}
                }
            }
        }
    }
}

/// The children not yet waited for, and whether the process is stopping.
struct Groups {
    interrupted: Option<Interrupt>,
    /// Process group id (the child's pid) → its redacted command line, for messages.
    live: BTreeMap<i32, String>,
}

static GROUPS: Mutex<Groups> = Mutex::new(Groups {
    interrupted: None,
    live: BTreeMap::new(),
});
static REAPED: Condvar = Condvar::new();

fn groups() -> MutexGuard<'static, Groups> {
    GROUPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The signal that interrupted the process, once one has.
pub fn interrupted() -> Option<Interrupt> {
    groups().interrupted
}

/// The command lines (redacted) of the children not yet waited for, oldest group first.
pub fn running() -> Vec<String> {
    groups().live.values().cloned().collect()
}

/// Marks the process as interrupted (no new child starts) and passes `interrupt` on to the
/// process group of every child still running. Returns their command lines (redacted), so the
/// caller can say what it waits for.
pub fn forward(interrupt: Interrupt) -> Vec<String> {
    let mut groups = groups();
    groups.interrupted.get_or_insert(interrupt);
    for &group in groups.live.keys() {
        signal(group, interrupt.signal());
    }
    groups.live.values().cloned().collect()
}

/// Kills the process group of every child still running with SIGKILL (a second Ctrl-C: the
/// user no longer wants to wait for their cleanup).
pub fn kill_all() {
    for &group in groups().live.keys() {
        signal(group, Signal::SIGKILL);
    }
}

/// Blocks until every child started so far has been waited for by the code that started it.
pub fn wait_for_children() {
    let mut groups = groups();
    while !groups.live.is_empty() {
        groups = REAPED.wait(groups).unwrap_or_else(PoisonError::into_inner);
    }
}

/// Sends `signal` to the process group `group`.
pub(crate) fn signal(group: i32, signal: Signal) {
    // The group may be gone already; that is the outcome wanted.
    let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), signal);
}

/// Whether a new child may start; `Some(signal)` once the process is stopping.
pub(crate) fn refused() -> Option<Interrupt> {
    interrupted()
}

/// A started child's process groups, registered until the child has been reaped.
#[derive(Debug)]
pub(crate) struct Tracked {
    groups: Vec<i32>,
    released: AtomicBool,
}

impl Tracked {
    /// Registers the groups led by `pids` (every child leads its own). A child that started
    /// while a signal was being forwarded missed it, so it gets the signal now.
    pub(crate) fn register(pids: &[u32], command: &str) -> Tracked {
        let groups: Vec<i32> = pids.iter().filter_map(|&p| i32::try_from(p).ok()).collect();
        let mut registry = self::groups();
        for &group in &groups {
            registry.live.insert(group, command.to_owned());
            if let Some(interrupt) = registry.interrupted {
                signal(group, interrupt.signal());
            }
        }
        Tracked {
            groups,
            released: AtomicBool::new(false),
        }
    }

    /// Called once the child has been reaped: its pid may be reused from now on, so it must
    /// never be signalled again.
    pub(crate) fn release(&self) {
        if self.released.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut registry = groups();
        for group in &self.groups {
            registry.live.remove(group);
        }
        REAPED.notify_all();
    }

    /// Whether the child has been reaped (its pid is no longer ours to signal).
    pub(crate) fn is_released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.release();
    }
}
