//! `lyncdr run`: the guided flow at a real (pseudo-)terminal, crash safety under SIGKILL,
//! resume after changes, the lock, interrupted steps under --yes, damaged state files, report.

use crate::builder::{Test, repo};
use expectrl::{Eof, Expect, Session};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const FAKE_RUNNER: &str = r#"#!/bin/sh
# A stand-in for powershell.exe and sqlcmd: logs the step it runs, takes a moment, succeeds.
log="$(dirname "$0")/runner.log"
echo "start $LYNCDR_STEP $$" >> "$log"
printf 'running %s as %s %s\n' "$LYNCDR_STEP" "$0" "$*"
if [ -n "$FAKE_SLEEP" ]; then sleep "$FAKE_SLEEP"; fi
if [ "$LYNCDR_STEP" = "$FAKE_DIE_AT" ] && [ ! -e "$(dirname "$0")/died" ]; then
  touch "$(dirname "$0")/died"; kill -9 "$PPID"; sleep 1
fi
if [ "$LYNCDR_STEP" = "$FAKE_FAIL_AT" ]; then echo "simulated failure" >&2; exit 1; fi
echo "end $LYNCDR_STEP $$" >> "$log"
"#;

/// A test folder with the example environment, the backups it names, and a fake runner.
fn recovery() -> Test {
    let env = std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example");
    let t = Test::new()
        .file("contoso.yaml", &env)
        .file("bin/fake", FAKE_RUNNER);
    make_executable(&t.path().join("bin/fake"));
    let b = t.path().join("backups");
    std::fs::create_dir_all(&b).expect("mkdir");
    for zip in [
        "CsConfiguration.zip",
        "CsLisConfiguration.zip",
        "RgsConfig_pool01.zip",
    ] {
        std::fs::write(b.join(zip), b"PK\x03\x04 a zip").expect("zip");
    }
    std::fs::write(b.join("rtc.bak"), b"TAPE and the rest of a backup").expect("bak");
    std::fs::write(b.join("SavedUserData.xml"), "\u{feff}<HomedResources/>").expect("xml");
    t
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn lyncdr(dir: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("lyncdr"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LYNCDR_OPERATOR", "Test Operator");
    c
}

/// Run lyncdr in `dir` with `args` (and extra environment), expect `code`, return the output.
fn expect_code(
    dir: &Path,
    args: &[String],
    envs: &[(&str, &str)],
    code: Option<i32>,
) -> std::process::Output {
    let out = lyncdr(dir)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run lyncdr");
    assert_eq!(
        out.status.code(),
        code,
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run_args(runbook: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "run",
        runbook,
        "--env",
        "contoso.yaml",
        "--state",
        "state.json",
        "--powershell",
        "bin/fake",
        "--sqlcmd",
        "bin/fake",
        "--backups",
        "backups",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

fn state(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("state.json")).expect("state file");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("state file does not parse: {e}\n{text}"))
}

fn statuses(dir: &Path) -> Vec<(String, String)> {
    state(dir)["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or("").to_owned(),
                s["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn runner_log(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("bin/runner.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn evidence_xml(minutes_from_now: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes_from_now);
    lyncdr::run::evidence::event_xml(30024, "LS User Replicator", &t.to_string(), "fe01.contoso.com")
}

/// The whole backend-restore at a terminal: option B picked over the environment's A, the
/// DBImpExp import blocked without event 30024, then let through with an XML export.
#[test]
fn interactive_backend_restore_with_option_b() {
    let t = recovery();
    let dir = t.path().to_path_buf();
    let mut cmd = lyncdr(&dir);
    cmd.args(run_args(
        "backend-restore",
        &["--set", "options.user_data_restore=A"],
    ));
    let mut p = Session::spawn(cmd).expect("spawn in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    fn enter(p: &mut impl Expect) {
        p.send("\r").expect("send");
    }
    // A, B, C: manual steps, confirmed.
    for title in [
        "Rebuild the server",
        "Log on to the rebuilt server",
        "Install SQL Server",
    ] {
        p.expect(title).expect(title);
        p.expect("This step is done by hand.").expect("manual prompt");
        enter(&mut p);
    }
    // D: run it with the (fake) PowerShell.
    p.expect("Create the pool's Back End databases").expect("D");
    p.expect("What now?").expect("action prompt");
    enter(&mut p);
    p.expect("running install-configured-databases")
        .expect("runner output streamed");
    // E: the environment says A; choose B.
    p.expect("Which option?").expect("choice prompt");
    p.send("\x1b[B").expect("down");
    enter(&mut p);
    // E.B: confirm a Front End runs, run the User Replicator sync.
    p.expect("Confirm: At least one Front End server")
        .expect("confirm prompt");
    p.send("y").expect("y");
    p.expect("What now?").expect("sync action");
    enter(&mut p);
    p.expect("running trigger-user-sync").expect("sync ran");
    // The import is blocked: no evidence of event 30024.
    p.expect("BLOCKED: event 30024")
        .expect("blocked without evidence");
    p.expect("This step is blocked.").expect("blocked menu");
    enter(&mut p); // Check again: still blocked.
    p.expect("BLOCKED: event 30024").expect("still blocked");
    p.expect("This step is blocked.").expect("blocked menu again");
    // A mistyped path is refused and changes nothing.
    p.send("\x1b[B").expect("down");
    enter(&mut p);
    p.expect("Path of the export").expect("path prompt");
    p.send_line("3024.xml").expect("path");
    p.expect("Not used: cannot read `3024.xml`")
        .expect("bad path refused");
    p.expect("This step is blocked.")
        .expect("blocked menu after a bad path");
    // The operator exports the log; lyncdr reads it.
    std::fs::write(dir.join("30024.xml"), evidence_xml(1)).expect("evidence");
    p.send("\x1b[B").expect("down");
    enter(&mut p);
    p.expect("Path of the export").expect("path prompt");
    p.send_line("30024.xml").expect("path");
    p.expect("ok: event 30024 from LS User Replicator")
        .expect("evidence accepted");
    p.expect("What now?").expect("import action");
    enter(&mut p);
    p.expect("running import-user-data").expect("import ran");
    // F: the RGS restore (manual, run, manual, run, run).
    for _ in 0..2 {
        p.expect("This step is done by hand.").expect("rgs manual");
        enter(&mut p);
        p.expect("What now?").expect("rgs run");
        enter(&mut p);
    }
    p.expect("What now?").expect("rgs import");
    enter(&mut p);
    p.expect("Recovery complete").expect("end");
    p.expect(Eof).expect("exit");

    let st = statuses(&dir);
    let get = |id: &str| {
        st.iter()
            .find(|s| s.0 == id)
            .map(|s| s.1.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("restore-rtc-sql"), "skipped", "{st:?}");
    assert_eq!(get("import-user-data"), "done");
    assert_eq!(
        get("enable-db-chaining"),
        "skipped",
        "option A's fix does not apply to B"
    );
    assert!(st.iter().all(|s| s.1 == "done" || s.1 == "skipped"), "{st:?}");
    let s = state(&dir);
    assert_eq!(s["choices"]["options.user_data_restore"], "B");
    let import = s["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|x| x["id"] == "import-user-data")
        .expect("step");
    let evidence = import["evidence"].to_string();
    assert!(
        evidence.contains("event 30024 from LS User Replicator"),
        "{evidence}"
    );
    assert!(s["decisions"].to_string().contains("Test Operator"));
    let ran: Vec<String> = runner_log(&dir)
        .into_iter()
        .filter(|l| l.starts_with("start"))
        .collect();
    assert!(ran.iter().any(|l| l.contains("import-user-data")));
    assert!(!ran.iter().any(|l| l.contains("restore-rtc-sql")));
}

#[test]
fn import_is_blocked_without_30024_and_passes_with_evidence() {
    let t = recovery();
    let dir = t.path();
    // --yes: the block stops the run with exit code 4, before the import runs.
    let out = expect_code(dir, &run_args("backend-restore", &["--yes"]), &[], Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("import-user-data") && stderr.contains("Update-CsUserDatabase"),
        "{stderr}"
    );
    assert!(!runner_log(dir).iter().any(|l| l.contains("import-user-data")));
    // An event from before the sync does not count.
    std::fs::write(dir.join("old.xml"), evidence_xml(-600)).expect("old evidence");
    let out = expect_code(
        dir,
        &run_args("backend-restore", &["--yes", "--evidence", "old.xml"]),
        &[],
        Some(4),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("only from before"));
    // A fresh one, wrapped in <Events> as `wevtutil qe /e:Events` writes it, lets it through.
    std::fs::write(
        dir.join("new.xml"),
        format!("<Events>{}</Events>", evidence_xml(1)),
    )
    .expect("evidence");
    expect_code(
        dir,
        &run_args("backend-restore", &["--yes", "--evidence", "new.xml"]),
        &[],
        Some(0),
    );
    assert!(
        runner_log(dir)
            .iter()
            .any(|l| l.starts_with("end import-user-data"))
    );
}

/// SIGKILL at many random moments; resume each time. Every step ends done, the state file always
/// parses, and no step recorded done before a kill ever runs again.
#[test]
fn crash_safety_under_sigkill() {
    let t = recovery();
    let dir = t.path().to_path_buf();
    let args = run_args(
        "backend-restore",
        &["--yes", "--set", "options.user_data_restore=A"],
    );
    let mut seed: u64 = 0x5eed_1a2b;
    let mut rand = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut done_before: Vec<String> = Vec::new();
    let mut log_len_at_kill = 0;
    let mut kills = 0;
    for round in 0..80u64 {
        let mut child = lyncdr(&dir)
            .args(&args)
            .env("FAKE_SLEEP", "0.1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let wait = Duration::from_millis(rand(150) + 15 * round);
        std::thread::sleep(wait);
        let finished = child.try_wait().expect("try_wait");
        // Kill in the first 40 rounds; after that let the run end, however slow the machine.
        if finished.is_none() && round < 40 {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        let status = child.wait().expect("wait");
        std::thread::sleep(Duration::from_millis(120)); // an orphaned runner finishes its line
        // Nothing recorded done before an earlier kill has run again since.
        let log = runner_log(&dir);
        for line in &log[log_len_at_kill.min(log.len())..] {
            if let Some(step) = line
                .strip_prefix("start ")
                .and_then(|r| r.split_whitespace().next())
            {
                assert!(
                    !done_before.iter().any(|d| d == step),
                    "step {step} was done before a kill and ran again"
                );
            }
        }
        if !dir.join("state.json").exists() {
            continue;
        }
        let st = statuses(&dir);
        done_before = st.iter().filter(|s| s.1 == "done").map(|s| s.0.clone()).collect();
        log_len_at_kill = log.len();
        if status.code() == Some(0) {
            assert!(st.iter().all(|s| s.1 == "done" || s.1 == "skipped"), "{st:?}");
            assert!(
                kills >= 10,
                "only {kills} kills: the test did not exercise crashes"
            );
            return;
        }
        if status.code() == Some(3) {
            // An interrupted step that is not idempotent: decide the way an operator would,
            // from whether the runner finished it.
            let step = st
                .iter()
                .find(|s| s.1 == "running" || s.1 == "interrupted")
                .map(|s| s.0.clone())
                .expect("interrupted step");
            let log = runner_log(&dir);
            let last_start = log.iter().rposition(|l| l.starts_with(&format!("start {step} ")));
            let finished =
                last_start.is_some_and(|i| log[i..].iter().any(|l| l.starts_with(&format!("end {step} "))));
            let how = if finished { "--done" } else { "--retry" };
            expect_code(
                &dir,
                &["resolve", &step, how, "--state", "state.json"].map(String::from),
                &[],
                Some(0),
            );
            if finished {
                done_before.push(step);
            }
        }
    }
    panic!("the run did not finish after 80 rounds ({kills} kills)");
}

#[test]
fn interrupted_non_idempotent_step_needs_a_decision() {
    let t = recovery();
    let dir = t.path();
    // The runner kills lyncdr while the (not idempotent) delete step runs.
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("FAKE_DIE_AT", "delete-rgs-contacts")],
        None,
    );
    assert!(statuses(dir).contains(&("delete-rgs-contacts".into(), "running".into())));
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("step `delete-rgs-contacts`"), "{stderr}");
    assert!(
        stderr.contains("lyncdr resolve delete-rgs-contacts --done --state state.json"),
        "{stderr}"
    );
    let deletes = |d: &Path| {
        runner_log(d)
            .iter()
            .filter(|l| l.starts_with("start delete-rgs-contacts"))
            .count()
    };
    assert_eq!(deletes(dir), 1, "not re-run silently");
    expect_code(
        dir,
        &[
            "resolve",
            "delete-rgs-contacts",
            "--done",
            "--state",
            "state.json",
        ]
        .map(String::from),
        &[],
        Some(0),
    );
    expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(0));
    assert_eq!(deletes(dir), 1, "resolved as done: never run again");
    assert!(
        state(dir)["decisions"]
            .to_string()
            .contains("resolved: it took effect")
    );
}

#[test]
fn a_changed_runbook_stops_the_resume() {
    let t = recovery();
    let dir = t.path();
    let rb = dir.join("rb");
    std::fs::create_dir_all(&rb).expect("mkdir");
    std::fs::copy(
        repo().join("runbooks/rgs-restore.yaml"),
        rb.join("rgs-restore.yaml"),
    )
    .expect("copy");
    let with_rb = |extra: &[&str]| {
        let mut a = vec!["--runbooks".to_owned(), "rb".to_owned()];
        a.extend(run_args("rgs-restore", extra));
        a
    };
    expect_code(
        dir,
        &with_rb(&["--yes"]),
        &[("FAKE_FAIL_AT", "delete-rgs-contacts")],
        Some(5),
    );
    let text = std::fs::read_to_string(rb.join("rgs-restore.yaml")).expect("read");
    std::fs::write(
        rb.join("rgs-restore.yaml"),
        text.replace("title: ", "title: (edited) "),
    )
    .expect("edit");
    let before = std::fs::read(dir.join("state.json")).expect("state");
    let out = expect_code(dir, &with_rb(&["--yes"]), &[], Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("changed since this run was checkpointed")
            && stderr.contains("runbook rgs-restore.yaml changed"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept-changes"));
    assert_eq!(
        std::fs::read(dir.join("state.json")).expect("state"),
        before,
        "state untouched"
    );
    // Accepting the change goes on (and the failed, non-idempotent step still needs a decision).
    expect_code(dir, &with_rb(&["--yes", "--accept-changes"]), &[], Some(3));
    assert!(state(dir)["decisions"].to_string().contains("accepted changes"));
}

#[test]
fn two_runs_cannot_share_a_state_file() {
    let t = recovery();
    let dir = t.path();
    let _held = lyncdr::run::state::lock(&dir.join("state.json")).expect("lock");
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another lyncdr run is using `state.json`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("(process {})", std::process::id())),
        "{stderr}"
    );
    assert!(runner_log(dir).is_empty(), "nothing ran");
}

#[test]
fn a_damaged_state_file_is_reported_and_never_overwritten() {
    let t = recovery();
    let dir = t.path();
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("FAKE_FAIL_AT", "list-rgs-contacts")],
        Some(5),
    );
    let full = std::fs::read(dir.join("state.json")).expect("state");
    for damaged in [
        full[..full.len() / 2].to_vec(),
        b"".to_vec(),
        b"{\"format\": 1}".to_vec(),
        full.iter().map(|b| if *b == b'"' { b'\'' } else { *b }).collect(),
    ] {
        std::fs::write(dir.join("state.json"), &damaged).expect("damage");
        for args in [
            run_args("rgs-restore", &["--yes"]),
            vec!["status".into(), "--state".into(), "state.json".into()],
        ] {
            let out = expect_code(dir, &args, &[], Some(2));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("state file `state.json` is damaged and was not changed"),
                "{stderr}"
            );
            assert!(!stderr.contains("panicked"));
            assert_eq!(
                std::fs::read(dir.join("state.json")).expect("state"),
                damaged,
                "never overwritten"
            );
        }
    }
    let future = String::from_utf8_lossy(&full).replacen("\"format\": 1", "\"format\": 9", 1);
    std::fs::write(dir.join("state.json"), future).expect("write");
    let out = lyncdr(dir)
        .args(run_args("rgs-restore", &["--yes"]))
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("has format 9"));
}

#[test]
fn dry_run_runs_nothing_and_writes_nothing() {
    let t = recovery();
    let dir = t.path();
    let out = expect_code(dir, &run_args("cms-move", &["--dry-run"]), &[], Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Dry run") && stdout.contains("BLOCKED: event 30024"),
        "{stdout}"
    );
    // Through the choice (the environment's option) to the end, the import's gate shown.
    let out = expect_code(dir, &run_args("backend-restore", &["--dry-run"]), &[], Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Dry run complete: 15 steps walked"), "{stdout}");
    assert!(stdout.contains("BLOCKED: event 30024"), "{stdout}");
    assert!(!dir.join("state.json").exists());
    assert!(runner_log(dir).is_empty());
}

#[test]
fn status_json_and_report_snapshot() {
    let t = recovery();
    let dir = t.path();
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes", "--operator", "Ada Admin"]),
        &[],
        Some(0),
    );
    let out = lyncdr(dir)
        .args(["status", "--state", "state.json", "--format", "json"])
        .output()
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["runbook"], "rgs-restore");
    assert!(
        v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["status"] == "done")
    );
    let out = lyncdr(dir)
        .args(["report", "--state", "state.json"])
        .output()
        .expect("report");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (r"\d+m \d\ds", "[DURATION]"),
        (r"\d+ (minutes|hours|days) old", "[AGE] old"),
        (r"bin/fake", "[RUNNER]"),
        (r"state\.tmp/[^ \n]*", "[SCRIPT]"),
    ]}, {
        insta::assert_snapshot!("report_rgs_restore", report);
    });
}

#[test]
fn ctrl_c_during_a_command_records_it_interrupted() {
    let t = recovery();
    let dir = t.path();
    let mut child = lyncdr(dir)
        .args(run_args("rgs-restore", &["--yes"]))
        .env("FAKE_SLEEP", "3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the runner is inside the first command, then press Ctrl-C (SIGINT).
    for _ in 0..400 {
        if runner_log(dir)
            .iter()
            .any(|l| l.starts_with("start list-rgs-contacts"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130));
    assert!(statuses(dir).contains(&("list-rgs-contacts".into(), "interrupted".into())));
    let log = std::fs::read_to_string(dir.join("state.log")).expect("run log beside the state file");
    assert!(log.contains("interrupted"), "{log}");
}

/// sqlcmd expands `$(NAME)` even inside string literals; the runner turns that off with -x, and
/// the T-SQL keeps a hostile path as one literal.
#[test]
fn sql_steps_run_through_sqlcmd_without_variable_expansion() {
    let t = recovery();
    let dir = t.path();
    std::fs::rename(dir.join("backups/rtc.bak"), dir.join("backups/rtc $(x).bak")).expect("rename");
    let args = run_args(
        "backend-restore",
        &[
            "--yes",
            "--set",
            "options.user_data_restore=A",
            "--set",
            r"backups.rtc_database=C:\Backups\rtc $(x).bak",
        ],
    );
    expect_code(dir, &args, &[], Some(0));
    let s = state(dir);
    let step = s["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|x| x["id"] == "restore-rtc-sql")
        .expect("step");
    let output = step["commands"][0]["output"].as_str().unwrap_or("");
    assert!(
        output.contains("-S be01.contoso.com\\rtc -E -b -x -i"),
        "{output}"
    );
    assert!(
        step["commands"][0]["command"]
            .as_str()
            .unwrap_or("")
            .contains(r"N'C:\Backups\rtc $(x).bak'")
    );
}

/// The same gate with an `.evtx` export (`wevtutil epl "Lync Server" lync.evtx`).
#[test]
fn import_passes_with_an_evtx_export() {
    let t = recovery();
    let dir = t.path();
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1)).to_string();
    let events = [crate::evtx::Event {
        id: 30024,
        provider: "LS User Replicator",
        time: &soon,
        computer: "fe01.contoso.com",
    }];
    std::fs::write(dir.join("lync.evtx"), crate::evtx::evtx(&events)).expect("evtx");
    let args = run_args("backend-restore", &["--yes", "--evidence", "lync.evtx"]);
    expect_code(dir, &args, &[], Some(0));
    assert!(
        runner_log(dir)
            .iter()
            .any(|l| l.starts_with("end import-user-data"))
    );
    let s = state(dir);
    let import = s["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|x| x["id"] == "import-user-data")
        .expect("step");
    assert!(
        import["evidence"]
            .to_string()
            .contains("event 30024 from LS User Replicator")
    );
    // A log without the event does not let it through.
    let t = recovery();
    let other = [crate::evtx::Event {
        id: 30025,
        provider: "LS User Replicator",
        time: &soon,
        computer: "fe01",
    }];
    std::fs::write(t.path().join("lync.evtx"), crate::evtx::evtx(&other)).expect("evtx");
    expect_code(t.path(), &args, &[], Some(4));
}

/// `status`, `report` and `resolve` find the run's state file in `.lyncdr/` when it is the only one.
#[test]
fn status_finds_the_default_state_file() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args("rgs-restore", &["--yes"]);
    let at = args.iter().position(|a| a == "--state").expect("--state");
    args.drain(at..at + 2);
    expect_code(dir, &args, &[], Some(0));
    assert!(dir.join(".lyncdr/rgs-restore.json").exists());
    let out = expect_code(dir, &["status".to_owned()], &[], Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("import-rgs-configuration"));
    std::fs::copy(
        dir.join(".lyncdr/rgs-restore.json"),
        dir.join(".lyncdr/other.json"),
    )
    .expect("copy");
    let out = expect_code(dir, &["report".to_owned()], &[], Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("several runs in .lyncdr/"));
}
