//! Passing an interrupt on to real children. Its own test binary: an interrupt is for the
//! whole process, so it would stop the other tests' children too.
#![allow(clippy::unwrap_used, missing_docs)]

use std::thread;

use exec::interrupt::{self, Interrupt};
use exec::{Cmd, Error, Runner};
use nix::errno::Errno;
use nix::sys::signal::killpg;
use nix::unistd::Pid;

fn group_exists(pid: u32) -> bool {
    match killpg(Pid::from_raw(i32::try_from(pid).unwrap()), None) {
        Ok(()) => true,
        Err(Errno::ESRCH) => false,
        Err(e) => panic!("killpg({pid}, 0): {e}"),
    }
}

#[test]
fn an_interrupt_reaches_every_child_and_no_new_child_starts() {
    assert_eq!(interrupt::interrupted(), None);
    // One child in the background, one a blocking run on another thread, both in groups of
    // their own that the terminal's Ctrl-C would never reach. (Not shells: one that has just
    // started may catch the signal before it has set up what to do with it.)
    let background = Cmd::new("sleep").arg("1000").spawn().unwrap();
    let blocking = thread::spawn(|| Cmd::new("sleep").arg("2000").run());
    while interrupt::running().len() < 2 {
        thread::yield_now();
    }
    let pid = background.pid();
    assert!(group_exists(pid));

    let signalled = interrupt::forward(Interrupt::Int);
    assert_eq!(signalled.len(), 2, "{signalled:?}");
    assert!(
        signalled.contains(&"sleep 1000".to_owned()),
        "{signalled:?}"
    );
    assert_eq!(interrupt::interrupted(), Some(Interrupt::Int));

    // Both end by the signal (not a timeout, not a kill by us), and once their owners have
    // waited for them nothing is left of their groups.
    let err = blocking.join().unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Failed { status: -1, .. }),
        "the blocking run should end by the signal: {err:?}"
    );
    assert_eq!(background.wait().unwrap().status, -1);
    interrupt::wait_for_children();
    assert!(interrupt::running().is_empty());
    assert!(!group_exists(pid), "sleep's process group is still there");

    // From now on nothing starts; a plan still records.
    let err = Cmd::new("true").run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`true` was not started: stopping on SIGINT"
    );
    assert!(matches!(
        Cmd::new("true").spawn().unwrap_err(),
        Error::Interrupted { .. }
    ));
    let plan = Runner::dry_run();
    plan.run(&Cmd::new("helm").arg("uninstall")).unwrap();
    assert_eq!(plan.recorded(), ["helm uninstall"]);
    assert_eq!(Interrupt::Int.exit_status(), 130);
    assert_eq!(Interrupt::Term.exit_status(), 143);
}
