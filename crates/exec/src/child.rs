use std::time::Duration;

use nix::sys::signal::Signal;

use crate::interrupt::Tracked;
use crate::runner::{io_error, signal_group};
use crate::{Cmd, Error, Output};

/// A program running in the background, with its stdout and stderr captured.
///
/// Dropping a `Child` that is still running kills its process group, so a failing test never
/// leaves a server behind.
#[derive(Debug)]
pub struct Child {
    cmd: Cmd,
    handle: duct::Handle,
    tracked: Tracked,
}

impl Child {
    pub(crate) fn start(cmd: &Cmd) -> Result<Child, Error> {
        let (handle, tracked) = cmd.start_captured()?;
        Ok(Child {
            cmd: cmd.clone(),
            handle,
            tracked,
        })
    }

    /// The process id of the program (also its process group id).
    pub fn pid(&self) -> u32 {
        self.handle.pids().first().copied().unwrap_or_default()
    }

    /// Asks the program to stop with SIGTERM.
    pub fn terminate(&self) -> Result<(), Error> {
        self.signal(Signal::SIGTERM);
        Ok(())
    }

    /// Kills the program and everything it started with SIGKILL.
    pub fn kill(&self) -> Result<(), Error> {
        self.signal(Signal::SIGKILL);
        self.handle.wait().map_err(|e| io_error(&self.cmd, e))?;
        self.tracked.release();
        Ok(())
    }

    /// The output if the program has exited, without waiting.
    pub fn try_wait(&self) -> Result<Option<Output>, Error> {
        let done = self.handle.try_wait().map_err(|e| io_error(&self.cmd, e))?;
        Ok(done.map(|output| self.reaped(output)))
    }

    /// Waits up to `limit` for the program to exit.
    pub fn wait_timeout(&self, limit: Duration) -> Result<Option<Output>, Error> {
        let done = self
            .handle
            .wait_timeout(limit)
            .map_err(|e| io_error(&self.cmd, e))?;
        Ok(done.map(|output| self.reaped(output)))
    }

    /// Waits for the program to exit and returns what it printed, whatever its status.
    pub fn wait(&self) -> Result<Output, Error> {
        let done = self.handle.wait().map_err(|e| io_error(&self.cmd, e))?;
        Ok(self.reaped(done))
    }

    /// Signals the child's group unless it has been reaped (its pid may belong to another
    /// process by now).
    fn signal(&self, signal: Signal) {
        if !self.tracked.is_released() {
            signal_group(&self.handle.pids(), signal);
        }
    }

    fn reaped(&self, output: &std::process::Output) -> Output {
        self.tracked.release();
        Output::from_std(output)
    }

    /// The command this child runs (for messages).
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if matches!(self.handle.try_wait(), Ok(None)) {
            let _ = self.kill();
        }
    }
}
