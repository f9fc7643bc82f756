//! Ctrl-C and SIGTERM: passed on to the tools running, which get to finish their own cleanup
//! (helm cancelling and rolling back, kubectl releasing its port), then todoctl exits with the
//! status a shell expects of a program the signal ended (130, 143).
//!
//! The signals are received by a thread of their own (see [`exec::interrupt::Listener`]): no
//! code of ours runs in signal context. The main thread notices the
//! interrupt because its current tool ends and no new one starts; it unwinds as it would on
//! any error, so temporary files (the 0600 secrets values file) are removed. A second signal
//! kills the tools and exits at once.

use std::process::ExitCode;
use std::thread;

use anyhow::Context as _;
use exec::interrupt::{self, Listener};

use crate::output;

/// Takes over SIGINT and SIGTERM and starts the thread that receives them.
pub fn install() -> anyhow::Result<()> {
    let mut listener = Listener::install().context("handling SIGINT and SIGTERM")?;
    thread::Builder::new()
        .name("signals".into())
        .spawn(move || listen(&mut listener))
        .context("starting the signal thread")?;
    Ok(())
}

fn listen(listener: &mut Listener) {
    let Ok(first) = listener.wait() else {
        return;
    };
    let programs: Vec<String> = interrupt::forward(first)
        .iter()
        .filter_map(|line| program_of(line))
        .collect();
    if programs.is_empty() {
        output::progress(format!("{}: stopping", first.name()));
    } else {
        output::progress(format!(
            "{}: waiting for {} to stop (press Ctrl-C again to kill)",
            first.name(),
            programs.join(", ")
        ));
    }
    if listener.wait().is_ok() {
        interrupt::kill_all();
        output::progress("killed");
        std::process::exit(first.exit_status().into());
    }
}

/// The program of a displayed command line (`KEY=value` prefixes skipped).
fn program_of(line: &str) -> Option<String> {
    let program = line
        .split_whitespace()
        .find(|word| !word.contains('='))?
        .trim_matches('\'');
    Some(program.rsplit('/').next().unwrap_or(program).to_owned())
}

/// Once the command has returned: when a signal interrupted it, waits until every tool it
/// started has been waited for and gives the exit code for that signal.
pub fn interrupted_exit() -> Option<ExitCode> {
    let signal = interrupt::interrupted()?;
    interrupt::wait_for_children();
    output::progress(format!("interrupted by {}", signal.name()));
    Some(ExitCode::from(signal.exit_status()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_name_the_programs_not_their_environment() {
        let check = |line: &str, expect: Option<&str>| {
            assert_eq!(super::program_of(line).as_deref(), expect, "{line}");
        };
        check("helm --kube-context c upgrade --install", Some("helm"));
        check(
            "KUBECONFIG=/k '/opt/bin/kubectl' port-forward",
            Some("kubectl"),
        );
        check("/usr/bin/kubectl get pods", Some("kubectl"));
        check("A=1 B=2", None);
    }
}
