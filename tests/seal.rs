//! Issue 20 item 10: a state file's step records are sealed; a record changed outside lyncdr
//! (edited, unsealed, copied from another run's state) is never trusted as done and is decided
//! as a step that may have run; an untouched state, or one written before seals, resumes as
//! before.

use crate::run::{
    NO_RGS, expect_code, hinted_commands, recovery, run_args, run_hint, started, state, status_of, subcommand,
};
use std::path::Path;

/// `cms-move --yes` without the RGS part: 8 steps done (`move-conference-directories`, not
/// idempotent, the last), then `move-users` refused without a terminal (exit 6), pending.
fn cms_move() -> Vec<String> {
    let mut args = run_args("cms-move", &["--yes"]);
    args.extend(NO_RGS.map(String::from));
    args
}

/// A state of `cms_move` whose first run stopped at `move-users` (`envs`: the stand-in's
/// settings for that run; `code`: how it ended).
fn first_run(dir: &Path, envs: &[(&str, &str)], code: i32) {
    expect_code(dir, &cms_move(), envs, Some(code));
}

/// Change the state file's JSON by hand.
fn edit_state(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v = state(dir);
    edit(&mut v);
    let text = serde_json::to_string_pretty(&v).expect("json");
    std::fs::write(dir.join("state.json"), text).expect("write state");
}

fn record<'a>(v: &'a mut serde_json::Value, id: &str) -> &'a mut serde_json::Value {
    (v["steps"].as_array_mut().expect("steps").iter_mut())
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn runs_of(dir: &Path, step: &str) -> usize {
    started(dir).iter().filter(|s| *s == step).count()
}

/// The resume stops at `step` as at a step that may have run (exit 3, not re-run, nothing
/// after it started), naming it with `problem` and the commands that decide it; so does
/// `status`; `report` counts it. Returns the resume's stdout.
fn refused_as_edited(dir: &Path, step: &str, problem: &str) -> String {
    let before = started(dir);
    let out = expect_code(dir, &cms_move(), &[], Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let named = format!("step `{step}`: its record was changed outside lyncdr ({problem}");
    let resolve = format!("`lyncdr resolve {step} --done --state state.json` (it took effect)");
    assert!(stdout.contains(&named) && stdout.contains(&resolve), "{stdout}");
    assert!(
        stderr.contains(&format!("step `{step}` had its record changed outside lyncdr")),
        "{stderr}"
    );
    assert_eq!(started(dir), before, "nothing ran: {stdout}");
    assert_eq!(status_of(dir, step), "edited");
    let status = subcommand(dir, &["status", "--state", "state.json"], 0);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(&named) && status.contains(&resolve), "{status}");
    let report = subcommand(dir, &["report", "--state", "state.json"], 0);
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains(", 1 changed outside lyncdr (not trusted)"),
        "{report}"
    );
    stdout
}

/// A pending step flipped to `done` by hand is not skipped; `resolve` (the sanctioned way) and
/// the run after it trust lyncdr's own records again.
#[test]
fn a_step_flipped_to_done_by_hand_is_not_skipped() {
    let t = recovery();
    let dir = t.path();
    first_run(dir, &[], 6);
    edit_state(dir, |v| record(v, "move-users")["status"] = "done".into());
    let stdout = refused_as_edited(dir, "move-users", "seal does not match; it said `done`");
    let retry = (hinted_commands(&stdout).into_iter())
        .find(|c| c.contains("--retry"))
        .expect("a resolve --retry hint");
    run_hint(dir, &retry, 0);
    assert_eq!(status_of(dir, "move-users"), "pending");
    let out = expect_code(dir, &cms_move(), &[], Some(6));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("outside lyncdr"));
    assert!(
        state(dir)["decisions"]
            .to_string()
            .contains("resolved: to be run again")
    );
}

/// A done step whose recorded output was changed, or whose seal was removed, is not trusted
/// as done: not re-run (it is not idempotent) and not skipped.
#[test]
fn a_done_step_edited_or_unsealed_is_decided_again() {
    for (problem, edit) in [
        (
            "seal does not match; it said `done`",
            (|r: &mut serde_json::Value| r["commands"][0]["output"] = "OK: nothing to move".into())
                as fn(&mut serde_json::Value),
        ),
        ("it has no seal; it said `done`", |r| {
            r.as_object_mut().expect("record").remove("seal").expect("a seal");
        }),
    ] {
        let t = recovery();
        let dir = t.path();
        first_run(dir, &[], 6);
        edit_state(dir, |v| edit(record(v, "move-conference-directories")));
        refused_as_edited(dir, "move-conference-directories", problem);
        assert_eq!(runs_of(dir, "move-conference-directories"), 1, "not re-run");
    }
}

/// A record copied from another run's state (a `done` over a `failed`) does not verify: each
/// run's records are sealed with the run's own id.
#[test]
fn a_record_copied_from_another_run_is_not_trusted() {
    let (other, t) = (recovery(), recovery());
    first_run(other.path(), &[], 6);
    let done = record(&mut state(other.path()), "move-conference-directories").clone();
    let dir = t.path();
    let fail = [(
        "LYNCSHELL_FAIL",
        "move-conference-directories/step/Move-CsConferenceDirectory",
    )];
    first_run(dir, &fail, 5);
    assert_eq!(status_of(dir, "move-conference-directories"), "failed");
    edit_state(dir, |v| *record(v, "move-conference-directories") = done);
    refused_as_edited(
        dir,
        "move-conference-directories",
        "seal does not match; it said `done`",
    );
}

/// lyncdr's own state resumes exactly as before: no record is called edited, and every record
/// on disk carries its seal.
#[test]
fn an_untouched_state_resumes_without_a_word() {
    let t = recovery();
    let dir = t.path();
    first_run(dir, &[], 6);
    let out = expect_code(dir, &cms_move(), &[], Some(6));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("outside lyncdr"), "{stdout}");
    assert!(stdout.contains("already done: step"), "{stdout}");
    assert_eq!(runs_of(dir, "move-conference-directories"), 1);
    let v = state(dir);
    assert_eq!(v["format"], 3);
    assert!(v["run_id"].as_str().is_some_and(|id| id.len() == 32));
    for r in v["steps"].as_array().expect("steps") {
        assert!(r["seal"].as_str().is_some_and(|s| s.len() == 64), "{r}");
    }
    let status = subcommand(dir, &["status", "--state", "state.json"], 0);
    assert!(!String::from_utf8_lossy(&status.stdout).contains("outside lyncdr"));
}

/// A state file of format 2 (before seals) is read as it was and sealed by the next write.
#[test]
fn a_state_file_from_before_seals_is_migrated() {
    let t = recovery();
    let dir = t.path();
    first_run(dir, &[], 6);
    edit_state(dir, |v| {
        v["format"] = 2.into();
        v.as_object_mut().expect("state").remove("run_id");
        for r in v["steps"].as_array_mut().expect("steps") {
            r.as_object_mut().expect("record").remove("seal");
        }
    });
    let status = subcommand(dir, &["status", "--state", "state.json"], 0);
    assert!(!String::from_utf8_lossy(&status.stdout).contains("outside lyncdr"));
    let out = expect_code(dir, &cms_move(), &[], Some(6));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("outside lyncdr"));
    assert_eq!(runs_of(dir, "move-conference-directories"), 1, "trusted as done");
    let v = state(dir);
    assert_eq!(v["format"], 3);
    assert!(v["steps"][0]["seal"].is_string(), "sealed by the resume");
    assert!(v["decisions"].to_string().contains("state file of format 2 read"));
    expect_code(dir, &cms_move(), &[], Some(6));
    assert!(!state(dir)["steps"].to_string().contains("\"edited\""));
}
