//! lyncdr at a terminal the test makes: a Unix pseudo-terminal, or on Windows a ConPTY under
//! wine (the test's terminal only: lyncdr never creates one, and Windows Server 2008 R2 has
//! none; to lyncdr it is a console like conhost's, in the OEM code page 437). A ConPTY under wine
//! is 80 columns wide and breaks longer lines wherever they reach the edge: tests look for
//! short texts.

use crate::run::lyncdr;
use expectrl::Session;
use expectrl::session::OsSession;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// lyncdr in a terminal (so steps that ask questions can take it).
pub(crate) fn spawn_in_pty(dir: &Path, args: &[String], envs: &[(&str, &str)]) -> OsSession {
    let mut cmd = lyncdr(dir);
    cmd.args(args).envs(envs.iter().copied());
    spawn(cmd)
}

/// Any command in a terminal, answers awaited at most 30 s.
pub(crate) fn spawn(cmd: Command) -> OsSession {
    spawn_as_is(platform(cmd))
}

/// A command started as it is: on Windows its standard handles are not the console's (see
/// [`platform`]).
pub(crate) fn spawn_as_is(cmd: Command) -> OsSession {
    let mut p = Session::spawn(whole_environment(cmd)).expect("spawn in a terminal");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p
}

#[cfg(unix)]
fn platform(cmd: Command) -> Command {
    cmd
}

/// Under wine a child of a ConPTY keeps its parent's standard handles (the test's pipes), where
/// Windows gives it the console's: `in-console` (tests/tools) opens the console for it.
#[cfg(windows)]
fn platform(cmd: Command) -> Command {
    let launcher = crate::standin::lync_shell().with_file_name("in-console.exe");
    assert!(
        launcher.is_file(),
        "scripts/windows.sh test builds {}",
        launcher.display()
    );
    let mut wrapped = Command::new(launcher);
    wrapped.arg(cmd.get_program()).args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        wrapped.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    wrapped
}

#[cfg(unix)]
fn whole_environment(cmd: Command) -> Command {
    cmd
}

/// The conpty crate hands the child only the variables a `Command` sets and joins the
/// arguments unquoted: the child gets the whole environment here, and an argument with a space
/// is refused rather than split.
#[cfg(windows)]
fn whole_environment(cmd: Command) -> Command {
    let mut full = Command::new(cmd.get_program());
    for a in cmd.get_args() {
        assert!(!a.to_string_lossy().contains(' '), "unquoted by conpty: {a:?}");
        full.arg(a);
    }
    if let Some(d) = cmd.get_current_dir() {
        full.current_dir(d);
    }
    full.envs(std::env::vars_os());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => full.env(k, v),
            None => full.env_remove(k),
        };
    }
    full
}

/// The exit code once the process has ended.
#[cfg(unix)]
pub(crate) fn exit_code(p: &OsSession) -> i32 {
    use expectrl::process::unix::WaitStatus;
    match p.get_process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("lyncdr did not exit normally: {other:?}"),
    }
}

/// The exit code once the process has ended (at most a minute).
#[cfg(windows)]
pub(crate) fn exit_code(p: &OsSession) -> i32 {
    let code = p.get_process().wait(Some(60_000)).expect("wait");
    code.cast_signed()
}

/// End the process at once (SIGKILL; TerminateProcess on Windows).
pub(crate) fn kill(p: &mut OsSession) {
    #[cfg(unix)]
    let _ = p.get_process_mut().kill(expectrl::process::unix::Signal::SIGKILL);
    #[cfg(windows)]
    let _ = p.get_process_mut().exit(137);
}

/// Read everything the pty still has until lyncdr exits; the bytes as text. (A ConPTY's
/// output never ends while the pseudo console lives, so this is Unix-only.)
#[cfg(unix)]
pub(crate) fn rest_of_output(p: &mut OsSession) -> String {
    use expectrl::{Eof, Expect};
    let found = p.expect(Eof).expect("exit");
    let mut all = found.before().to_vec();
    for m in found.matches() {
        all.extend_from_slice(m);
    }
    String::from_utf8_lossy(&all).into_owned()
}
