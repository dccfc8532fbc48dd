//! Issue 20 items 1, 2 and 10 (hard-linked `--state`): another account that can write beside an
//! environment file plants a folder for lyncdr's scripts, or a link where lyncdr writes its
//! lock, run log or `--log`. lyncdr refuses, names the folder or file and what to do, runs
//! nothing and leaves the file the link leads to untouched.

use crate::backup::{backup, site};
use crate::builder::OutputRetried as _;
use crate::run::{recovery, run_args};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

fn lyncdr(dir: &Path, args: &[String]) -> Output {
    Command::new(crate::builder::lyncdr_bin())
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LYNCDR_OPERATOR", "Test Operator")
        .env("LYNCSHELL_LOG", dir.join("shell.log"))
        .args(args)
        .output_retried()
        .expect("run lyncdr")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `run cms-move --yes` with the state where lyncdr puts it by default (`.lyncdr/` beside the
/// environment file).
fn default_state_args() -> Vec<String> {
    let mut args = run_args("cms-move", &["--yes", "--set", "features.response_group=false"]);
    let at = args.iter().position(|a| a == "--state").expect("--state");
    args.drain(at..at + 2);
    args
}

fn world_writable(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}

/// No step ran. The one command a refused backup job still runs is its verdict line to the
/// event log (issue 17: every night leaves a line), from a private folder of its own.
fn nothing_ran(dir: &Path) {
    let log = crate::standin::read_log(&dir.join("shell.log"));
    let steps: Vec<&str> = log
        .iter()
        .map(|e| e.step.as_str())
        .filter(|s| *s != "event-log")
        .collect();
    assert!(steps.is_empty(), "a command ran: {steps:?}");
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn a_planted_world_writable_lyncdr_folder_makes_run_refuse() {
    let t = recovery();
    let dir = t.path();
    world_writable(&dir.join(".lyncdr"));
    let out = lyncdr(dir, &default_state_args());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(err.contains("`.lyncdr` is not private"), "{err}");
    assert!(err.contains("group or others (mode 777)"), "{err}");
    assert!(err.contains("chmod go-w -- '.lyncdr'"), "{err}");
    nothing_ran(dir);
}

#[test]
fn a_planted_scratch_folder_makes_run_refuse() {
    let t = recovery();
    let dir = t.path();
    // `--state state.json`: the run's scripts go to `state.tmp`.
    world_writable(&dir.join("state.tmp"));
    let out = lyncdr(
        dir,
        &run_args("cms-move", &["--yes", "--set", "features.response_group=false"]),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(err.contains("`state.tmp` is not private"), "{err}");
    nothing_ran(dir);
}

#[test]
fn a_planted_backup_scripts_folder_makes_backup_refuse() {
    let site = site();
    let dir = site.path();
    std::fs::create_dir(dir.join(".lyncdr")).expect("mkdir");
    world_writable(&dir.join(".lyncdr/backup.scripts"));
    let out = backup(dir, &[], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(err.contains("backup.scripts` is not private"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.join("sets")).expect("sets").count(),
        0,
        "a set was started"
    );
    nothing_ran(dir);
}

#[test]
fn a_scripts_folder_of_another_account_makes_backup_refuse() {
    if !is_root() {
        eprintln!("skipped: giving a folder to another account needs root");
        return;
    }
    let site = site();
    let dir = site.path();
    let scripts = dir.join(".lyncdr/backup.scripts");
    assert!(scripts.is_absolute());
    std::fs::create_dir_all(&scripts).expect("mkdir");
    std::fs::set_permissions(&scripts, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::os::unix::fs::chown(&scripts, Some(65534), Some(65534)).expect("chown");
    let out = backup(dir, &[], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(
        err.contains("it is owned by") && err.contains("uid 65534"),
        "{err}"
    );
    assert!(
        err.contains("mv -- '.lyncdr/backup.scripts' '.lyncdr/backup.scripts.suspect'"),
        "{err}"
    );
    nothing_ran(dir);
}

/// A root-only file the link leads to.
fn victim(dir: &Path) -> std::path::PathBuf {
    let v = dir.join("victim");
    std::fs::write(&v, b"precious").expect("victim");
    v
}

#[test]
fn a_link_planted_as_the_run_log_is_not_written_through() {
    let t = recovery();
    let dir = t.path();
    let v = victim(dir);
    std::os::unix::fs::symlink(&v, dir.join("state.log")).expect("symlink");
    let out = lyncdr(
        dir,
        &run_args("cms-move", &["--yes", "--set", "features.response_group=false"]),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(
        err.contains("cannot write the run log") && err.contains("is a link"),
        "{err}"
    );
    assert_eq!(std::fs::read(&v).expect("victim"), b"precious");
    nothing_ran(dir);
}

#[test]
fn a_link_planted_as_the_lock_is_not_cut() {
    let t = recovery();
    let dir = t.path();
    let v = victim(dir);
    std::os::unix::fs::symlink(&v, dir.join("state.json.lock")).expect("symlink");
    let out = lyncdr(
        dir,
        &run_args("cms-move", &["--yes", "--set", "features.response_group=false"]),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(err.contains("state.json.lock` is a link"), "{err}");
    assert_eq!(std::fs::read(&v).expect("victim"), b"precious");
    nothing_ran(dir);
}

#[test]
fn a_link_planted_as_the_backup_log_is_not_written_through() {
    let site = site();
    let dir = site.path();
    let v = victim(dir);
    std::os::unix::fs::symlink(&v, dir.join("backup-verdicts.log")).expect("symlink");
    let out = backup(dir, &[], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "{err}");
    assert!(err.contains("backup-verdicts.log` is a link"), "{err}");
    assert_eq!(std::fs::read(&v).expect("victim"), b"precious");
    assert_eq!(
        std::fs::read_dir(dir.join("sets")).expect("sets").count(),
        0,
        "a set was started"
    );
    nothing_ran(dir);
}

/// Issue 20 item 10: the lock is `<state>.lock`, so a second name for the state file was a
/// second lock. A state file with two names is refused.
#[test]
fn a_hard_linked_state_file_is_refused() {
    let t = recovery();
    let dir = t.path();
    std::fs::write(dir.join("first.json"), b"{}").expect("state");
    std::fs::hard_link(dir.join("first.json"), dir.join("state.json")).expect("link");
    let out = lyncdr(
        dir,
        &run_args("cms-move", &["--yes", "--set", "features.response_group=false"]),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(
        err.contains("state file `state.json` has 2 names (hard links)"),
        "{err}"
    );
    assert!(
        err.contains("cp -p -- 'state.json' 'state.json.own' && mv -- 'state.json.own' 'state.json'"),
        "{err}"
    );
    assert!(!dir.join("state.json.lock").exists());
    nothing_ran(dir);
}

#[test]
fn the_hint_for_a_hard_linked_state_file_runs_as_printed() {
    let t = recovery();
    let dir = t.path();
    std::fs::write(dir.join("first.json"), b"{}").expect("state");
    std::fs::hard_link(dir.join("first.json"), dir.join("state.json")).expect("link");
    let hint = lyncdr::fsx::own_copy_hint(Path::new("state.json"));
    let ran = Command::new("sh")
        .args(["-c", &hint])
        .current_dir(dir)
        .status()
        .expect("sh");
    assert!(ran.success());
    use std::os::unix::fs::MetadataExt as _;
    assert_eq!(
        std::fs::metadata(dir.join("state.json")).expect("state").nlink(),
        1
    );
}
