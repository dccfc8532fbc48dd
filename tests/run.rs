//! `lyncdr run` against the stand-in Lync Management Shell (`tests/standin/`), which keeps the
//! rules of Windows PowerShell 2.0 and sqlcmd: no module auto-loading, errors that leave the
//! exit code at 0, prompts that fail under -NonInteractive or without a console, OEM output.
//! The guided flow at a real (pseudo-)terminal, Ctrl-C at a prompt, between two commands and
//! during one, crash safety under SIGKILL at fixed points, resume after changes, the lock,
//! damaged state files, status, resolve --rechoose, and the report.

use crate::audit;
use crate::builder::OutputRetried as _;
use crate::builder::{Test, repo};
#[cfg(unix)]
pub(crate) use crate::pty::rest_of_output;
#[cfg_attr(windows, allow(unused_imports))] // exit_code: the Unix-only pty tests
pub(crate) use crate::pty::{exit_code, kill, spawn_in_pty};
use crate::standin::{Event, lync_shell, read_log};
use expectrl::Expect;
#[cfg(unix)]
use expectrl::{Eof, Session};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `rgs-restore --yes` whose contact listing fails (exit 5): a state with one failed step.
fn rgs_run_failing_at_the_list(dir: &Path) {
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[(
            "LYNCSHELL_FAIL",
            "list-rgs-contacts/step/Get-CsApplicationContact",
        )],
        Some(5),
    );
}

/// A test folder with the example environment and the backups it names.
pub(crate) fn recovery() -> Test {
    let env = std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example");
    let t = Test::new();
    // finish takes its baseline into `sets\baseline` here, where the stand-ins write it and
    // lyncdr seals it (the example's share is on no test host).
    std::fs::create_dir(t.path().join("sets")).expect("sets");
    let sets = crate::builder::windows_path(&t.path().join("sets"));
    let env = env.replacen(
        r"folder: '\\fs01.contoso.com\LyncBackup'",
        &format!("folder: '{sets}'"),
        1,
    );
    let t = t.file("contoso.yaml", &env);
    let b = t.path().join("backups");
    std::fs::create_dir_all(b.join("FileStore/1-WebServices-1")).expect("mkdir");
    std::fs::write(b.join("FileStore/1-WebServices-1/meeting.dat"), b"content").expect("file store");
    // Backups the audit calls sound: `run` asks the audit whether a backup is usable.
    for (zip, bytes) in [
        ("CsConfiguration.zip", audit::cms_zip()),
        ("CsLisConfiguration.zip", audit::lis_zip()),
        ("RgsConfig_pool01.zip", audit::rgs_zip()),
    ] {
        std::fs::write(b.join(zip), bytes).expect("zip");
    }
    let yesterday = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    std::fs::write(b.join("rtc.bak"), audit::sql_backup("rtc", yesterday)).expect("bak");
    std::fs::write(b.join("SavedUserData.xml"), "\u{feff}<HomedResources/>").expect("xml");
    t
}

pub(crate) fn lyncdr(dir: &Path) -> Command {
    let mut c = Command::new(crate::builder::lyncdr_bin());
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LYNCDR_OPERATOR", "Test Operator")
        .env("LYNCSHELL_LOG", dir.join("shell.log"));
    c
}

/// Run lyncdr in `dir` with `args` (and extra environment), expect `code` (`None`: killed, see
/// [`killed`]), return the output.
pub(crate) fn expect_code(
    dir: &Path,
    args: &[String],
    envs: &[(&str, &str)],
    code: Option<i32>,
) -> std::process::Output {
    let out = lyncdr(dir)
        .args(args)
        .envs(envs.iter().copied())
        .output_retried()
        .expect("run lyncdr");
    let got = if killed(out.status) {
        None
    } else {
        out.status.code()
    };
    assert_eq!(
        got,
        code,
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A subcommand other than `run` (status, resolve, report): its output, the code expected.
pub(crate) fn subcommand(dir: &Path, args: &[&str], code: i32) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    expect_code(dir, &args, &[], Some(code))
}

pub(crate) fn run_args(runbook: &str, extra: &[&str]) -> Vec<String> {
    let shell = lync_shell().display().to_string();
    let mut v: Vec<String> = [
        "run",
        runbook,
        "--env",
        "contoso.yaml",
        "--state",
        "state.json",
        "--powershell",
        &shell,
        "--sqlcmd",
        &shell,
        "--backups",
        "backups",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

/// `--set features.response_group=false`: leaves out the one step that asks questions in
/// cms-move, backend-restore and cms-restore (the RGS contact deletion), for runs without a
/// terminal.
pub(crate) const NO_RGS: [&str; 2] = ["--set", "features.response_group=false"];

pub(crate) fn state(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("state.json")).expect("state file");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("state file does not parse: {e}\n{text}"))
}

/// Write `v` as the state file as lyncdr writes it, every record sealed: a state that no run of
/// the test can reach (a hand edit is not trusted, `tests/seal.rs`).
pub(crate) fn write_sealed_state(dir: &Path, v: serde_json::Value) {
    use lyncdr::run::state;
    let s: state::State = serde_json::from_value(v).expect("a state");
    state::save(&dir.join("state.json"), &s).expect("write state");
}

pub(crate) fn step_record(dir: &Path, id: &str) -> serde_json::Value {
    state(dir)["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no step {id}"))
}

pub(crate) fn statuses(dir: &Path) -> Vec<(String, String)> {
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

pub(crate) fn status_of(dir: &Path, id: &str) -> String {
    statuses(dir)
        .into_iter()
        .find(|s| s.0 == id)
        .map(|s| s.1)
        .unwrap_or_default()
}

pub(crate) fn shell_log(dir: &Path) -> Vec<Event> {
    read_log(&dir.join("shell.log"))
}

/// Steps whose commands the stand-in started (phase `step`), in order.
pub(crate) fn started(dir: &Path) -> Vec<String> {
    shell_log(dir)
        .into_iter()
        .filter(|e| e.event == "start" && e.phase == "step")
        .map(|e| e.step)
        .collect()
}

/// Event 30024 from a Front End of each pool of the example (`fe01`, failed pool; `fe03`, target).
pub(crate) fn evidence_xml(minutes_from_now: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes_from_now);
    ["fe01.contoso.com", "fe03.contoso.com"]
        .map(|c| lyncdr::run::evidence::event_xml(30024, "LS User Replicator", &t.to_string(), c))
        .concat()
}

/// Wait (at most 30 s) until the stand-in logged `event` for `step`.
pub(crate) fn wait_for(dir: &Path, step: &str, event: &str) {
    let start = Instant::now();
    while !shell_log(dir).iter().any(|e| e.step == step && e.event == event) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the stand-in never logged `{event}` for {step}: {:?}",
            shell_log(dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn plan_json(dir: &Path, runbook: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["plan", runbook, "--env", "contoso.yaml", "--format", "json"];
    args.extend(extra);
    let out = lyncdr(dir).args(&args).output_retried().expect("plan");
    crate::builder::json_result(&out.stdout)
}

/// The `Verb-Cs...` command words of a script (outside strings and comments is close enough for
/// the runbooks' scripts; the stand-in's own tests hold the exact rule).
#[cfg(unix)] // used by the pty tests only
fn lync_cmdlets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("");
        for word in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if let Some((verb, noun)) = word.split_once("-Cs")
                && !verb.is_empty()
                && !noun.is_empty()
                && verb.chars().all(|c| c.is_ascii_alphabetic())
                && !out.iter().any(|w| w == word)
            {
                out.push(word.to_owned());
            }
        }
    }
    out
}

/// Every runbook, run to its end at a terminal with `--yes`: each step's commands and each
/// check reach their cmdlets (the wrapper loaded the Lync module: the stand-in calls a `*-Cs*`
/// cmdlet "not recognized" otherwise), every check runs after its step, the prompts are answered
/// at the terminal, and every step ends done or skipped.
#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn every_runbook_reaches_its_cmdlets() {
    for runbook in crate::builder::RUNBOOKS {
        let t = recovery();
        let dir = t.path();
        std::fs::write(dir.join("30024.xml"), evidence_xml(30)).expect("evidence");
        let mut p = spawn_in_pty(
            dir,
            &run_args(runbook, &["--yes", "--evidence", "30024.xml"]),
            &[],
        );
        // The RGS contact deletion and Move-CsUser ask; answer A (yes to all) each time.
        loop {
            match p.expect(expectrl::Any::boxed(vec![
                Box::new("(default is \"Y\"):"),
                Box::new(Eof),
            ])) {
                Ok(found) if found.matches().any(|m| m.ends_with(b"):")) => {
                    p.send_line("A").expect("answer");
                }
                Ok(_) => break,
                Err(e) => panic!("{runbook}: {e}"),
            }
        }
        assert_eq!(exit_code(&p), 0, "{runbook}: {:?}", statuses(dir));
        let st = statuses(dir);
        assert!(
            st.iter().all(|s| s.1 == "done" || s.1 == "skipped"),
            "{runbook}: {st:?}"
        );
        let log = shell_log(dir);
        assert!(
            !log.iter()
                .any(|e| e.detail.ends_with("not-recognized") || e.detail.ends_with(" error")),
            "{runbook}: {log:#?}"
        );
        let plan = plan_json(dir, runbook, &[]);
        for step in plan["steps"].as_array().expect("steps") {
            let id = step["id"].as_str().unwrap_or("");
            if step["skipped"] == true || step["manual"] == true {
                continue;
            }
            let phases = [
                ("step", step["commands"].clone()),
                ("check", serde_json::json!([step["verify"]])),
            ];
            for (phase, commands) in phases {
                for c in commands.as_array().into_iter().flatten() {
                    if c["language"] != "powershell" || c["alternative"] == true {
                        continue;
                    }
                    if phase == "check" && step["runs_on"] == "rebuilt-server" {
                        continue; // shown for the operator to run there
                    }
                    for cmdlet in lync_cmdlets(c["text"].as_str().unwrap_or("")) {
                        assert!(
                            log.iter().any(|e| e.step == id
                                && e.phase == phase
                                && e.event == "cmdlet"
                                && e.detail.starts_with(&format!("{cmdlet} "))),
                            "{runbook}: {cmdlet} of step {id} ({phase}) was never reached: {log:#?}"
                        );
                    }
                }
                if step["language"] == "sql" {
                    continue;
                }
            }
            // The check runs after the step's commands, never before.
            if step["verify"].is_object() && step["runs_on"] != "rebuilt-server" {
                let first_check = log.iter().position(|e| e.step == id && e.phase == "check");
                let last_step = log.iter().rposition(|e| e.step == id && e.phase == "step");
                assert!(first_check.is_some(), "{runbook}: the check of {id} never ran");
                assert!(last_step < first_check, "{runbook}: {id}: check before step");
            }
        }
    }
}

/// A cmdlet that writes an error while PowerShell would still exit 0: the wrapper turns it into
/// a failure, and the step is recorded failed, never done.
#[test]
fn a_step_whose_cmdlet_errors_is_failed_never_done() {
    let t = recovery();
    let dir = t.path();
    let out = expect_code(
        dir,
        &run_args("cms-move", &["--yes"]),
        &[("LYNCSHELL_FAIL", "enable-topology/step/Enable-CsTopology")],
        Some(5),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("step `enable-topology` failed: exit code 1"),
        "{stderr}"
    );
    assert_eq!(status_of(dir, "enable-topology"), "failed");
    let output = step_record(dir, "enable-topology")["commands"][0]["output"].to_string();
    assert!(output.contains("Simulated failure"), "{output}");
    assert!(!started(dir).iter().any(|s| s == "move-conference-directories"));
}

/// A step that asks questions (Move-CsUser) under --yes without a terminal is not started, and
/// never recorded done; at a terminal (on Windows a console) it takes the console and the
/// answer reaches the cmdlet.
#[test]
fn a_prompting_step_is_answered_at_a_terminal_and_refused_without_one() {
    let t = recovery();
    let dir = t.path();
    refused_without_a_terminal(dir);
    let mut p = spawn_in_pty(dir, &run_args("cms-move", &["--yes"]), &[]);
    p.expect("Takes the console").expect("the step says so");
    p.expect("Performing operation \"Move\"")
        .expect("Move-CsUser asks");
    p.send_line("Y").expect("yes");
    p.expect("Target \"André Öberg\"").expect("the second user");
    p.send_line("N").expect("no");
    wait_for(dir, "move-users", "exit");
    let log = shell_log(dir);
    let answers: Vec<&str> = log
        .iter()
        .filter(|e| e.step == "move-users" && e.event == "cmdlet")
        .map(|e| e.detail.as_str())
        .collect();
    assert!(answers.contains(&"Move-CsUser answered:Y"), "{answers:?}");
    assert!(answers.contains(&"Move-CsUser answered:N"), "{answers:?}");
    assert!(
        log.iter()
            .any(|e| e.step == "move-users" && e.event == "start" && e.detail.contains("interactive=yes")),
        "run without -NonInteractive: {log:?}"
    );
    kill(&mut p);
}

/// A step that asks questions never starts where nobody can answer: exit 6, the step pending.
fn refused_without_a_terminal(dir: &Path) {
    let out = expect_code(dir, &run_args("cms-move", &["--yes"]), &[], Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("step `move-users` asks questions") && stderr.contains("no terminal"),
        "{stderr}"
    );
    assert_eq!(status_of(dir, "move-users"), "pending");
    assert!(!started(dir).iter().any(|s| s == "move-users"), "never started");
}

/// The interactive step where no terminal is, on every platform (the terminal half above needs
/// a pseudo-terminal).
#[test]
fn a_prompting_step_is_refused_without_a_terminal() {
    let t = recovery();
    refused_without_a_terminal(t.path());
}

/// Output in the console's OEM code page (native programs write it whatever PowerShell's
/// setting) reaches the screen, the state and the run log decoded, and never stalls the run.
#[test]
fn oem_output_reaches_the_log_intact() {
    let t = recovery();
    let dir = t.path();
    std::fs::write(dir.join("30024.xml"), evidence_xml(30)).expect("evidence");
    // cms-move without a terminal stops at Move-CsUser (it asks); what ran before it printed.
    let args = run_args("cms-move", &["--yes", "--evidence", "30024.xml"]);
    let out = expect_code(dir, &args, &[], Some(6));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Jürgen Müller"), "{stdout}");
    let log = std::fs::read_to_string(dir.join("state.log")).expect("run log");
    assert!(log.contains("Jürgen Müller"), "{log}");
    assert!(!log.contains('\u{fffd}'), "nothing lost in decoding: {log}");
    // The run log holds lyncdr's records and the steps' output, no library lines.
    for line in log
        .lines()
        .filter(|l| l.contains(" INFO ") || l.contains(" DEBUG ") || l.contains(" TRACE "))
    {
        assert!(line.contains(" lyncdr"), "a line from outside lyncdr: {line}");
    }
    // The DBImpExp import (a native program, always CP437) in backend-restore:
    let t = recovery();
    let dir = t.path();
    std::fs::write(dir.join("30024.xml"), evidence_xml(30)).expect("evidence");
    let mut args = run_args("backend-restore", &["--yes", "--evidence", "30024.xml"]);
    args.extend(NO_RGS.map(String::from));
    expect_code(dir, &args, &[], Some(0));
    let output = step_record(dir, "import-user-data")["commands"][0]["output"].to_string();
    assert!(output.contains("für Jürgen Müller"), "{output}");
}

/// A child that writes a megabyte of CP437 (not UTF-8) and a 200 KB line without a break never
/// stalls: the old reader stopped at the first invalid byte, the child blocked on a full pipe,
/// and the step "timed out". The state keeps a bounded part; the run log has every line.
#[test]
fn a_flood_of_oem_output_never_stalls_the_run() {
    let t = recovery();
    let dir = t.path();
    let args = run_args("rgs-restore", &["--yes", "--step-timeout", "2m"]);
    expect_code(
        dir,
        &args,
        &[("LYNCSHELL_FLOOD", "list-rgs-contacts/step/20000")],
        Some(6), // on to the deletion, which asks
    );
    let rec = step_record(dir, "list-rgs-contacts");
    assert_eq!(rec["status"], "done", "{}", rec["note"]);
    let kept = rec["commands"][0]["output"].as_str().unwrap_or("");
    assert!(
        kept.len() < 100 << 10,
        "the state keeps a bounded part: {} bytes",
        kept.len()
    );
    assert!(
        kept.contains("Fortschritt 0: Benutzer Jürgen Müller übertragen"),
        "decoded"
    );
    assert!(kept.contains("lines not kept in the state file"));
    let log = std::fs::read_to_string(dir.join("state.log")).expect("run log");
    assert!(log.contains("Fortschritt 19999: Benutzer Jürgen Müller übertragen"));
}

/// Issue 10, item 10: a program's output holding terminal control sequences (a hostile name in
/// the directory) is shown with them made visible, on the screen and in the report, never sent.
#[test]
fn control_sequences_in_command_output_never_reach_the_terminal() {
    let t = recovery();
    let dir = t.path();
    let out = expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_FLOOD", "list-rgs-contacts/step/1")],
        Some(6),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Benutzer \\u{1b}]52;c;aGk="), "shown: {stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "sent to the terminal"
    );
    let report = lyncdr(dir)
        .args(["report", "--state", "state.json"])
        .output_retried()
        .expect("report");
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("Benutzer \\u{1b}]52"), "{report}");
    assert!(!report.contains('\u{1b}') && !report.contains('\u{7}'));
}

/// Issue 10, item 10: a name from outside (here the operator's) stays text in the Markdown
/// report: it cannot end its table cell, add a link or start a heading of its own.
#[test]
fn outside_text_in_the_report_stays_markdown_text() {
    let t = recovery();
    let dir = t.path();
    let hostile = "Eve | [ok](https://evil.example) ![x](y)\n# Result: ready";
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes", "--operator", hostile]),
        &[],
        Some(6),
    );
    let report = lyncdr(dir)
        .args(["report", "--state", "state.json"])
        .output_retried()
        .expect("report");
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains(r"Eve \| \[ok\](https://evil.example) \!\[x\](y) \# Result: ready"),
        "{report}"
    );
    assert!(!report.lines().any(|l| l.starts_with("# Result")), "{report}");
    // Every table row keeps its 8 cells.
    for row in report
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
    {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 9, "{row}");
    }
}

/// Every check runs after its step; a failing check keeps the step from done, and a resume runs
/// the check again (not the step) and then goes on.
#[test]
fn a_failing_check_keeps_the_step_from_done() {
    let t = recovery();
    let dir = t.path();
    let out = expect_code(
        dir,
        &run_args("cms-move", &["--yes"]),
        &[(
            "LYNCSHELL_FAIL",
            "move-conference-directories/check/Get-CsConferenceDirectory",
        )],
        Some(5),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the check of step `move-conference-directories` failed"),
        "{stderr}"
    );
    let rec = step_record(dir, "move-conference-directories");
    assert_eq!(rec["status"], "checking", "{rec}");
    assert_eq!(rec["checks"][0]["verdict"], "failed", "{rec}");
    let runs = |d: &Path| {
        started(d)
            .iter()
            .filter(|s| *s == "move-conference-directories")
            .count()
    };
    assert_eq!(runs(dir), 1);
    // Fixed: the resume runs the check, not the step, and goes on.
    expect_code(dir, &run_args("cms-move", &["--yes"]), &[], Some(6));
    assert_eq!(runs(dir), 1, "the step itself never ran again");
    let rec = step_record(dir, "move-conference-directories");
    assert_eq!(rec["status"], "done");
    assert_eq!(rec["checks"][1]["verdict"], "passed", "{rec}");
    let out = lyncdr(dir)
        .args(["report", "--state", "state.json"])
        .output_retried()
        .expect("report");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("## Checks"), "{report}");
    assert!(
        report.contains("`move-conference-directories`: FAILED"),
        "{report}"
    );
}

/// The whole backend-restore at a terminal: option B picked over the environment's A, the
/// DBImpExp import blocked without event 30024, then let through with an XML export; the RGS
/// contact deletion answered at the terminal.
#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn interactive_backend_restore_with_option_b() {
    let t = recovery();
    let dir = t.path().to_path_buf();
    let mut p = spawn_in_pty(
        &dir,
        &run_args("backend-restore", &["--set", "options.user_data_restore=A"]),
        &[],
    );
    fn enter(p: &mut impl Expect) {
        p.send("\r").expect("send");
    }
    // A, B, C: manual steps on the rebuilt server, confirmed; their checks run there, not here:
    // the operator says what they showed.
    for title in [
        "Rebuild the server",
        "Log on to the rebuilt server",
        "Install SQL Server",
    ] {
        p.expect(title).expect(title);
        p.expect("This step is done by hand.").expect("manual prompt");
        enter(&mut p);
        p.expect("run this read-only check on the server being rebuilt")
            .expect("a check on the rebuilt server");
        p.expect("What did it say?").expect("asked");
        enter(&mut p);
    }
    // D: run it with the stand-in PowerShell; its check runs by itself.
    p.expect("Create the pool's Back End databases").expect("D");
    p.expect("What now?").expect("action prompt");
    enter(&mut p);
    p.expect("Install-CsDatabase").expect("runner output streamed");
    p.expect("[install-configured-databases]: passed")
        .expect("D's check");
    // E: the environment says A; choose B.
    p.expect("Which option?").expect("choice prompt");
    p.send("\x1b[B").expect("down");
    enter(&mut p);
    p.expect("Confirm: At least one Front End server")
        .expect("confirm prompt");
    p.send("y").expect("y");
    p.expect("What now?").expect("sync action");
    enter(&mut p);
    p.expect("Update-CsUserDatabase").expect("sync ran");
    p.expect("BLOCKED: event 30024")
        .expect("blocked without evidence");
    p.expect("This step is blocked.").expect("blocked menu");
    enter(&mut p); // Check again: still blocked.
    p.expect("BLOCKED: event 30024").expect("still blocked");
    p.expect("This step is blocked.").expect("blocked menu again");
    p.send("\x1b[B").expect("down");
    enter(&mut p);
    p.expect("Path of the export").expect("path prompt");
    p.send_line("3024.xml").expect("path");
    p.expect("Not used: cannot read `3024.xml`")
        .expect("bad path refused");
    p.expect("This step is blocked.")
        .expect("blocked menu after a bad path");
    std::fs::write(dir.join("30024.xml"), evidence_xml(1)).expect("evidence");
    p.send("\x1b[B").expect("down");
    enter(&mut p);
    p.expect("Path of the export").expect("path prompt");
    p.send_line("30024.xml").expect("path");
    p.expect("ok: event 30024 from LS User Replicator")
        .expect("evidence accepted");
    p.expect("What now?").expect("import action");
    enter(&mut p);
    p.expect("DBImpExp").expect("import ran");
    // F: the RGS restore: manual, list, manual review, delete (asks at the terminal), import.
    p.expect("This step is done by hand.").expect("rgs scripts");
    enter(&mut p);
    p.expect("What now?").expect("rgs list");
    enter(&mut p);
    p.expect("This step is done by hand.").expect("rgs review");
    enter(&mut p);
    p.expect("What now?").expect("rgs delete");
    enter(&mut p);
    p.expect("(default is \"Y\"):").expect("the deletion asks");
    p.send_line("A").expect("yes to all");
    p.expect("What now?").expect("rgs import");
    enter(&mut p);
    // The closing steps (finish): services, baseline exports and backups, each run from here.
    loop {
        let found = p
            .expect(expectrl::Any::boxed(vec![
                Box::new("What now?"),
                Box::new("Recovery complete"),
            ]))
            .expect("closing steps");
        if found.matches().any(|m| m == b"Recovery complete") {
            break;
        }
        enter(&mut p);
    }
    p.expect(Eof).expect("exit");

    let st = statuses(&dir);
    assert_eq!(status_of(&dir, "rtc.restore-rtc-sql"), "skipped", "{st:?}");
    assert_eq!(status_of(&dir, "import-user-data"), "done");
    assert!(st.iter().all(|s| s.1 == "done" || s.1 == "skipped"), "{st:?}");
    let s = state(&dir);
    assert_eq!(s["choices"]["options.user_data_restore"], "B");
    let import = step_record(&dir, "import-user-data");
    assert!(
        import["evidence"]
            .to_string()
            .contains("event 30024 from LS User Replicator"),
        "{import}"
    );
    assert!(s["decisions"].to_string().contains("Test Operator"));
    assert!(started(&dir).iter().any(|l| l == "import-user-data"));
    assert!(!started(&dir).iter().any(|l| l.starts_with("rtc.")));
    let log = shell_log(&dir);
    assert!(log.iter().any(|e| e.step == "rgs.delete-rgs-contacts" && e.detail == "Get-CsApplicationContact answered:Y"), "{log:?}");
}

#[test]
fn import_is_blocked_without_30024_and_passes_with_evidence() {
    let t = recovery();
    let dir = t.path();
    let with = |extra: &[&str]| {
        let mut a = run_args("backend-restore", &["--yes"]);
        a.extend(NO_RGS.map(String::from));
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let out = expect_code(dir, &with(&[]), &[], Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("import-user-data") && stderr.contains("Update-CsUserDatabase"),
        "{stderr}"
    );
    assert!(!started(dir).iter().any(|l| l == "import-user-data"));
    std::fs::write(dir.join("old.xml"), evidence_xml(-600)).expect("old evidence");
    let out = expect_code(dir, &with(&["--evidence", "old.xml"]), &[], Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("only from before"));
    std::fs::write(
        dir.join("new.xml"),
        format!("<Events>{}</Events>", evidence_xml(1)),
    )
    .expect("evidence");
    expect_code(dir, &with(&["--evidence", "new.xml"]), &[], Some(0));
    assert!(started(dir).iter().any(|l| l == "import-user-data"));
}

/// The points of a run where a SIGKILL is interesting: before and after each command and each
/// check the stand-in runs, for the steps of `runbook` that run commands.
#[cfg(unix)] // used by the Unix-only crash-safety loop
fn kill_points(dir: &Path, runbook: &str, extra: &[&str]) -> Vec<String> {
    let plan = plan_json(dir, runbook, extra);
    let mut out = Vec::new();
    for step in plan["steps"].as_array().expect("steps") {
        if step["skipped"] == true || step["manual"] == true {
            continue;
        }
        let id = step["id"].as_str().unwrap_or("");
        let runs = step["commands"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["alternative"] != true && c["language"] != "cmd")
        });
        if runs {
            out.push(format!("{id}/step/before"));
            out.push(format!("{id}/step/after"));
        }
        if step["verify"].is_object() && step["runs_on"] != "rebuilt-server" {
            out.push(format!("{id}/check/before"));
            out.push(format!("{id}/check/after"));
        }
    }
    out
}

/// A killed run's command goes on to its end as an orphan, and a resume refuses (exit 75) while
/// it runs: wait until the command the run recorded has ended (the stand-in logs `exit` with its
/// process id last; the same on every platform).
#[cfg(unix)] // used by the Unix-only crash-safety loop and the /proc test
fn wait_for_orphan(dir: &Path) {
    let record = std::fs::read_to_string(dir.join("state.tmp/child")).unwrap_or_default();
    let Some(pid) = record.lines().next().and_then(|p| p.trim().parse::<u32>().ok()) else {
        return;
    };
    for _ in 0..250 {
        if shell_log(dir).iter().any(|e| e.pid == pid && e.event == "exit") {
            // The exit event is written just before the process ends.
            std::thread::sleep(std::time::Duration::from_millis(50));
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Did a kill end lyncdr: SIGKILL on Unix, TerminateProcess with the stand-in's code 137 (as a
/// shell reports a SIGKILL) on Windows.
pub(crate) fn killed(status: std::process::ExitStatus) -> bool {
    if cfg!(windows) {
        status.code() == Some(137)
    } else {
        status.code().is_none()
    }
}

/// SIGKILL at every fixed point (before and after each command and check), resuming each time:
/// the state always parses, no step recorded done before a kill runs again, an interrupted step
/// is decided as an operator could (done, so its check runs next; or run again), and the run ends
/// with every step done. No sleeps: the stand-in kills lyncdr at the point itself.
#[cfg(unix)] // too slow under wine; status_says_interrupted_... covers TerminateProcess there
#[test]
fn crash_safety_under_sigkill_at_fixed_points() {
    let t = recovery();
    let dir = t.path();
    std::fs::write(dir.join("30024.xml"), evidence_xml(60)).expect("evidence");
    let extra = [
        "--set",
        "options.user_data_restore=A",
        "--set",
        "features.response_group=false",
    ];
    let mut args = run_args("backend-restore", &["--yes", "--evidence", "30024.xml"]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let points = kill_points(dir, "backend-restore", &extra);
    assert!(points.len() >= 8, "{points:?}");
    let mut kills = Vec::new();
    for point in &points {
        let done_before: Vec<String> = if dir.join("state.json").exists() {
            statuses(dir)
                .into_iter()
                .filter(|s| s.1 == "done")
                .map(|s| s.0)
                .collect()
        } else {
            Vec::new()
        };
        let log_before = shell_log(dir).len();
        // Go on until this point's kill happens (a decision may come first).
        for _ in 0..4 {
            wait_for_orphan(dir);
            let out = lyncdr(dir)
                .args(&args)
                .env("LYNCSHELL_KILL_PARENT", point)
                .output_retried()
                .expect("run");
            let killed = killed(out.status);
            let st = statuses(dir); // parses, or the test fails here
            if killed {
                kills.push(point.clone());
                assert!(
                    shell_log(dir).iter().any(|e| e.event == "killed-parent"
                        && point.starts_with(&format!("{}/{}/", e.step, e.phase))),
                    "{point}: killed elsewhere"
                );
                break;
            }
            if out.status.code() == Some(3) {
                let (step, _) = st
                    .iter()
                    .find(|s| s.1 == "running" || s.1 == "interrupted")
                    .cloned()
                    .expect("interrupted step");
                // A killed lyncdr leaves its command running to its end (an orphan), so both
                // answers are true to the operator's eye: run it again where this round's point
                // is in its commands, else take it as done (its check runs next).
                let how = if point.starts_with(&format!("{step}/step/")) {
                    "--retry"
                } else {
                    "--done"
                };
                subcommand(dir, &["resolve", &step, how, "--state", "state.json"], 0);
                continue;
            }
            assert_eq!(
                out.status.code(),
                Some(0),
                "{point}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            break;
        }
        for e in &shell_log(dir)[log_before..] {
            if e.event == "start" && e.phase == "step" {
                assert!(
                    !done_before.contains(&e.step),
                    "{point}: step {} was done before the kill and ran again",
                    e.step
                );
            }
        }
    }
    expect_code(dir, &args, &[], Some(0));
    assert!(
        statuses(dir).iter().all(|s| s.1 == "done" || s.1 == "skipped"),
        "{:?}",
        statuses(dir)
    );
    assert_eq!(kills, points, "every fixed point was reached and killed");
}

/// Issue 10 (low): after `kill -9` of lyncdr its command goes on (its own process group) while
/// the lock is gone. A resume refuses while that command still runs, naming it, and goes on as
/// usual once it has ended.
#[cfg(target_os = "linux")]
#[test]
fn a_resume_waits_for_the_command_a_killed_run_left_running() {
    let t = recovery();
    let dir = t.path();
    let mut run = lyncdr(dir)
        .args(run_args("rgs-restore", &["--yes"]))
        .env("LYNCSHELL_BLOCK", "list-rgs-contacts/step")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run lyncdr");
    let mut pid = String::new();
    for _ in 0..500 {
        let record = std::fs::read_to_string(dir.join("state.tmp/child")).unwrap_or_default();
        if record.contains("list-rgs-contacts") {
            pid = record.lines().next().unwrap_or_default().to_owned();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!pid.is_empty(), "the command was recorded");
    run.kill().expect("SIGKILL lyncdr");
    run.wait().expect("reaped");
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(75));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the command of step `list-rgs-contacts` that an earlier run of `state.json` started still runs (process {pid})"
        )),
        "{stderr}"
    );
    assert_eq!(status_of(dir, "list-rgs-contacts"), "running", "nothing changed");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    for _ in 0..100 {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Ended: the resume goes on (a read-only listing is run again under --yes) up to the step
    // that needs a terminal.
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("still runs"), "{stderr}");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "done");
}

/// The step whose command blocks and leaves a grandchild in the tests below.
#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
const BLOCKED: &str = "list-rgs-contacts/step";

/// lyncdr started on `rgs-restore --yes`, its listing command blocking after starting a
/// grandchild (`LYNCSHELL_GRANDCHILD`), as powershell.exe runs sqlcmd.exe; with the grandchild's
/// pid once it has started (killed when the guard drops).
#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
fn run_leaving_a_grandchild(dir: &Path, extra: &[&str]) -> (std::process::Child, Reaper) {
    let run = lyncdr(dir)
        .args(run_args("rgs-restore", &[&["--yes"], extra].concat()))
        .env("LYNCSHELL_BLOCK", BLOCKED)
        .env("LYNCSHELL_GRANDCHILD", BLOCKED)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run lyncdr");
    let grandchild = grandchild(dir);
    let start = Instant::now();
    while std::fs::read_to_string(dir.join("state.tmp/child")).map_or(0, |r| r.lines().count()) < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the command was never recorded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (run, grandchild)
}

/// The grandchild's pid, from its `grandchild` event (waiting at most 30 s for it).
#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
fn grandchild(dir: &Path) -> Reaper {
    wait_for(dir, "list-rgs-contacts", "grandchild");
    let pid = shell_log(dir)
        .iter()
        .find(|e| e.event == "grandchild")
        .map(|e| e.pid)
        .expect("grandchild logged");
    Reaper(pid)
}

/// A process a test left behind, SIGKILLed when the test ends whatever happened.
#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
struct Reaper(u32);

#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Does `pid` run (a `/proc` entry that is no zombie)?
#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
fn runs(pid: u32) -> bool {
    proc_stat(pid as i32, 0).is_some_and(|s| s != "Z" && s != "X")
}

#[cfg(target_os = "linux")] // Linux: the tests that look for the grandchild in /proc
fn kill_and_wait(pid: u32) {
    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    let start = Instant::now();
    while runs(pid) {
        assert!(start.elapsed() < Duration::from_secs(10), "{pid} never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Issue 20 item 3: a time limit stops the tool the step's script started (sqlcmd under
/// powershell.exe), not only the script; the record of the command goes once all of it ended.
#[cfg(target_os = "linux")] // the grandchild is looked for in /proc
#[test]
fn a_timeout_stops_the_whole_process_tree() {
    let t = recovery();
    let dir = t.path();
    let (mut run, grandchild) = run_leaving_a_grandchild(dir, &["--step-timeout", "2s"]);
    assert!(runs(grandchild.0));
    assert_eq!(run.wait().expect("lyncdr ends").code(), Some(5));
    assert!(!runs(grandchild.0), "the grandchild outlived the timeout");
    assert!(!dir.join("state.tmp/child").exists(), "the record is cleared");
    let note = step_record(dir, "list-rgs-contacts")["note"].to_string();
    assert!(note.contains("timed out"), "{note}");
}

/// A command that ends by itself leaving a tool running (holding its output pipe, as sqlcmd.exe
/// started by powershell.exe does): the tool is stopped with it, and the run goes on at once
/// instead of waiting for the pipe to close.
#[cfg(target_os = "linux")] // the grandchild is looked for in /proc
#[test]
fn a_step_leaves_nothing_running() {
    let t = recovery();
    let dir = t.path();
    let start = Instant::now();
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_GRANDCHILD", BLOCKED)],
        Some(6), // on to the deletion, which asks
    );
    let grandchild = grandchild(dir);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "waited for the grandchild"
    );
    assert!(!runs(grandchild.0), "the grandchild outlived its step");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "done");
    assert!(!dir.join("state.tmp/child").exists(), "the record is cleared");
}

/// Issue 20 item 3: Ctrl-C (SIGINT to lyncdr) stops the step's whole tree too.
#[cfg(target_os = "linux")] // the grandchild is looked for in /proc
#[test]
fn ctrl_c_stops_the_whole_process_tree() {
    let t = recovery();
    let dir = t.path();
    let (mut run, grandchild) = run_leaving_a_grandchild(dir, &[]);
    wait_for(dir, "list-rgs-contacts", "blocked");
    let sent = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    assert_eq!(run.wait().expect("lyncdr ends").code(), Some(130));
    assert!(!runs(grandchild.0), "the grandchild outlived Ctrl-C");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "interrupted");
    assert!(!dir.join("state.tmp/child").exists(), "the record is cleared");
}

/// Issue 20 item 3: lyncdr SIGKILLed mid-step, its command ended too, but the tool the command
/// started still runs: a resume is refused while it runs, naming it, and goes on once it ended.
#[cfg(target_os = "linux")] // the processes are looked for in /proc
#[test]
fn a_resume_waits_for_a_tool_the_killed_run_left_running() {
    let t = recovery();
    let dir = t.path();
    let (mut run, grandchild) = run_leaving_a_grandchild(dir, &[]);
    let record = std::fs::read_to_string(dir.join("state.tmp/child")).expect("record");
    let script: u32 = record.lines().next().and_then(|l| l.parse().ok()).expect("pid");
    run.kill().expect("SIGKILL lyncdr");
    run.wait().expect("reaped");
    kill_and_wait(script);
    assert!(runs(grandchild.0));
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(75));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("still runs (process {})", grandchild.0)),
        "{stderr}"
    );
    kill_and_wait(grandchild.0);
    expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(6));
    assert_eq!(status_of(dir, "list-rgs-contacts"), "done");
}

/// Issue 20 item 4: a recorded process id now held by another process (another start time) never
/// blocks a resume, even one carrying the step's LYNCDR_* variables, which was all the old check
/// looked at; the same record with the true start time does.
#[cfg(target_os = "linux")] // the start time is read from /proc
#[test]
fn a_recycled_process_id_never_blocks_a_resume() {
    use std::os::unix::fs::MetadataExt as _;
    let t = recovery();
    let dir = t.path();
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_KILL_PARENT", "list-rgs-contacts/step/after")],
        None,
    );
    wait_for_orphan(dir);
    let mut other = Command::new("sleep")
        .arg("60")
        .env("LYNCDR_RUNBOOK", "rgs-restore")
        .env("LYNCDR_STEP", "list-rgs-contacts")
        .spawn()
        .expect("sleep");
    let pid = other.id();
    let start: u64 = proc_stat(pid as i32, 19)
        .and_then(|s| s.parse().ok())
        .expect("start");
    let uid = std::fs::metadata(format!("/proc/{pid}")).expect("proc").uid();
    let record = |start: u64| {
        let text = format!("{pid}\nrgs-restore\nlist-rgs-contacts\n{pid} 0 {start} {uid}\n");
        std::fs::write(dir.join("state.tmp/child"), text).expect("record");
    };
    record(start);
    expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(75));
    record(start + 1);
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(6));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("still runs"));
    assert_eq!(status_of(dir, "list-rgs-contacts"), "done");
    let _ = other.kill();
    let _ = other.wait();
}

/// A killed run leaves its step recorded `running`; with no run alive, `status` says what it is:
/// interrupted, with the command that decides it.
#[test]
fn status_says_interrupted_for_a_step_whose_run_was_killed() {
    let t = recovery();
    let dir = t.path();
    expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_KILL_PARENT", "list-rgs-contacts/step/after")],
        None,
    );
    assert_eq!(status_of(dir, "list-rgs-contacts"), "running", "as recorded");
    let out = subcommand(dir, &["status", "--state", "state.json", "--format", "json"], 0);
    let v = crate::builder::json_result(&out.stdout);
    let step = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == "list-rgs-contacts")
        .expect("step")
        .clone();
    assert_eq!(step["status"], "interrupted", "{step}");
    assert_eq!(step["recorded_status"], "running");
    assert!(
        step["decide"][0]
            .as_str()
            .unwrap_or("")
            .contains("lyncdr resolve list-rgs-contacts")
    );
    assert_eq!(v["live"], false);
    let out = subcommand(dir, &["status", "--state", "state.json"], 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("interrupted") && text.contains("To decide ("),
        "{text}"
    );
    // While a run holds the lock, `running` is the truth.
    let _held = lyncdr::run::state::lock(&dir.join("state.json")).expect("lock");
    let out = subcommand(dir, &["status", "--state", "state.json", "--format", "json"], 0);
    let v = crate::builder::json_result(&out.stdout);
    assert_eq!(v["live"], true);
    assert!(v["steps"].to_string().contains("\"running\""));
}

#[test]
fn interrupted_non_idempotent_step_needs_a_decision() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args("cms-move", &["--yes"]);
    args.extend(NO_RGS.map(String::from));
    expect_code(
        dir,
        &args,
        &[("LYNCSHELL_KILL_PARENT", "move-conference-directories/step/after")],
        None,
    );
    assert_eq!(status_of(dir, "move-conference-directories"), "running");
    let out = expect_code(dir, &args, &[], Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("step `move-conference-directories`"), "{stderr}");
    assert!(
        stderr.contains("lyncdr resolve move-conference-directories --done --state state.json"),
        "{stderr}"
    );
    let moves = |d: &Path| {
        started(d)
            .iter()
            .filter(|s| *s == "move-conference-directories")
            .count()
    };
    assert_eq!(moves(dir), 1, "not re-run silently");
    subcommand(
        dir,
        &[
            "resolve",
            "move-conference-directories",
            "--done",
            "--state",
            "state.json",
        ],
        0,
    );
    expect_code(dir, &args, &[], Some(6));
    assert_eq!(moves(dir), 1, "resolved as done: never run again");
    assert!(
        state(dir)["decisions"]
            .to_string()
            .contains("resolved: it took effect")
    );
    assert_eq!(
        status_of(dir, "move-conference-directories"),
        "done",
        "after its check passed"
    );
}

#[test]
fn a_changed_runbook_or_environment_stops_the_resume_and_says_what_changed() {
    let t = recovery();
    let dir = t.path();
    let rb = dir.join("rb");
    std::fs::create_dir_all(&rb).expect("mkdir");
    for f in ["rgs-restore.yaml", "finish.yaml", "backup.yaml"] {
        std::fs::copy(repo().join("runbooks").join(f), rb.join(f)).expect("copy");
    }
    let with_rb = |extra: &[&str]| {
        let mut a = vec!["--runbooks".to_owned(), "rb".to_owned()];
        a.extend(run_args("rgs-restore", extra));
        a
    };
    expect_code(
        dir,
        &with_rb(&["--yes"]),
        &[(
            "LYNCSHELL_FAIL",
            "list-rgs-contacts/step/Get-CsApplicationContact",
        )],
        Some(5),
    );
    let text = std::fs::read_to_string(rb.join("rgs-restore.yaml")).expect("read");
    std::fs::write(
        rb.join("rgs-restore.yaml"),
        text.replace("title: ", "title: (edited) "),
    )
    .expect("edit");
    let env = std::fs::read_to_string(dir.join("contoso.yaml")).expect("env");
    std::fs::write(
        dir.join("contoso.yaml"),
        env.replace("failed: pool01.contoso.com", "failed: pool03.contoso.com"),
    )
    .expect("edit env");
    let before = std::fs::read(dir.join("state.json")).expect("state");
    let out = expect_code(dir, &with_rb(&["--yes"]), &[], Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("changed since this run was checkpointed")
            && stderr.contains("runbook rgs-restore.yaml changed")
            && stderr.contains("environment `pools.failed`: pool01.contoso.com -> pool03.contoso.com"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept-changes"));
    assert_eq!(
        std::fs::read(dir.join("state.json")).expect("state"),
        before,
        "state untouched"
    );
    // Accepting goes on (the failed step is idempotent: --yes runs it again).
    expect_code(dir, &with_rb(&["--yes", "--accept-changes"]), &[], Some(6));
    assert!(state(dir)["decisions"].to_string().contains("accepted changes"));
}

#[test]
fn two_runs_cannot_share_a_state_file() {
    let t = recovery();
    let dir = t.path();
    let _held = lyncdr::run::state::lock(&dir.join("state.json")).expect("lock");
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(75));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another lyncdr run is using `state.json`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("(process {})", std::process::id())),
        "{stderr}"
    );
    assert!(shell_log(dir).is_empty(), "nothing ran");
}

#[test]
fn a_damaged_state_file_is_reported_and_never_overwritten() {
    let t = recovery();
    let dir = t.path();
    rgs_run_failing_at_the_list(dir);
    let full = std::fs::read(dir.join("state.json")).expect("state");
    for damaged in [
        full[..full.len() / 2].to_vec(),
        b"".to_vec(),
        b"{\"format\": 2}".to_vec(),
        full.iter().map(|b| if *b == b'"' { b'\'' } else { *b }).collect(),
    ] {
        std::fs::write(dir.join("state.json"), &damaged).expect("damage");
        for args in [
            run_args("rgs-restore", &["--yes"]),
            vec!["status".into(), "--state".into(), "state.json".into()],
        ] {
            let out = expect_code(dir, &args, &[], Some(65));
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
    let format = format!("\"format\": {}", lyncdr::run::state::FORMAT);
    let future = String::from_utf8_lossy(&full).replacen(&format, "\"format\": 9", 1);
    std::fs::write(dir.join("state.json"), future).expect("write");
    let out = lyncdr(dir)
        .args(run_args("rgs-restore", &["--yes"]))
        .output_retried()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("has format 9"));
}

/// A dry run walks everything, runs and writes nothing, and ends with the unmet prerequisites:
/// exit 4 when there is any, 0 when there is none.
#[test]
fn dry_run_lists_unmet_prerequisites_and_exits_4() {
    let t = recovery();
    let dir = t.path();
    let out = expect_code(dir, &run_args("backend-restore", &["--dry-run"]), &[], Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Dry run complete: 38 steps walked"), "{stdout}");
    let tail = stdout
        .split("Not ready: 1 prerequisite(s) are not met now:")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        tail.contains("event 30024") && tail.contains("import-user-data"),
        "{tail}"
    );
    assert!(!dir.join("state.json").exists());
    assert!(shell_log(dir).is_empty());
    std::fs::write(dir.join("30024.xml"), evidence_xml(5)).expect("evidence");
    let out = expect_code(
        dir,
        &run_args("backend-restore", &["--dry-run", "--evidence", "30024.xml"]),
        &[],
        Some(0),
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Not ready"));
}

#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn status_json_and_report_snapshot() {
    let t = recovery();
    let dir = t.path();
    let mut p = spawn_in_pty(
        dir,
        &run_args("rgs-restore", &["--yes", "--operator", "Ada Admin"]),
        &[],
    );
    p.expect("(default is \"Y\"):").expect("the deletion asks");
    p.send_line("A").expect("yes to all");
    p.expect(Eof).expect("end");
    assert_eq!(exit_code(&p), 0);
    let out = lyncdr(dir)
        .args(["status", "--state", "state.json", "--format", "json"])
        .output_retried()
        .expect("status");
    let v = crate::builder::json_result(&out.stdout);
    assert_eq!(v["runbook"], "rgs-restore");
    assert!(
        v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            // The nightly task's two steps: the example names no task.
            .all(|s| s["status"] == "done"
                || (s["status"] == "skipped"
                    && s["id"].as_str().is_some_and(|i| i.ends_with("nightly-backup"))))
    );
    let out = lyncdr(dir)
        .args(["report", "--state", "state.json"])
        .output_retried()
        .expect("report");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (r"lyncdr-\d{8}-\d{6}Z", "lyncdr-[RUN START]"),
        (r"Z:\\tmp\\\.tmp\w+\\sets", "[SETS]"),
        (r"/tmp/\.tmp\w+/sets", "[SETS]"),
        (r"\| \d+[dhms]( \d+[dhms])? \|", "| [DURATION] |"),
        (r"\(\d+[dhms]( \d+[dhms])?\)", "([DURATION])"),
        (r"\d+[dhms]( \d+[dhms])? old", "[AGE] old"),
        (r"/[^ \n]*/lync-shell", "[SHELL]"),
        (r"[^ \n']*\.transcript\.txt", "[TRANSCRIPT]"),
        (r"(?m)^(\s*)(Start|End) time: \d+$", "$1$2 time: [TIME]"),
        (r"Process ID: \d+", "Process ID: [PID]"),
    ]}, {
        insta::assert_snapshot!("report_rgs_restore", report);
    });
}

/// Ctrl-C at a menu: the terminal is raw there, so it arrives as a key; the state is saved, the
/// cursor shown again, exit 130, and the step it stood at never started.
#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn ctrl_c_at_a_prompt() {
    let t = recovery();
    let dir = t.path();
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &[]);
    p.expect("This step is done by hand.").expect("first step");
    p.send("\r").expect("done");
    p.expect("What now?").expect("list step");
    // The menu reads keys in raw mode: wait for it (echo off), so the byte reaches it as a key.
    let start = Instant::now();
    while p.get_process().get_echo().unwrap_or(true) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the menu never took the terminal"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    p.send("\x03").expect("Ctrl-C");
    let rest = rest_of_output(&mut p);
    assert_eq!(exit_code(&p), 130, "{rest}");
    assert!(rest.contains("Interrupted (Ctrl-C) at step"), "{rest}");
    let hidden = rest.rfind("\x1b[?25l");
    let shown = rest.rfind("\x1b[?25h");
    assert!(shown > hidden, "cursor left hidden: {rest:?}");
    assert_eq!(status_of(dir, "get-rgs-scripts"), "done");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "pending");
    assert!(!started(dir).iter().any(|s| s == "list-rgs-contacts"));
}

/// Ctrl-C between two commands (after one ended, before the next started): lyncdr is frozen by
/// the stand-in right as the step's check ends (SIGSTOP), the terminal's SIGINT is sent to its
/// process group, and it is let go: the finished check counts, the next step never starts.
#[cfg(unix)] // signals to a process group and /proc: the Unix process model
#[test]
fn ctrl_c_between_two_commands() {
    let t = recovery();
    let dir = t.path();
    let p = spawn_in_pty(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_STOP_PARENT", "get-rgs-scripts/check")],
    );
    wait_for(dir, "get-rgs-scripts", "stopped-parent");
    let pid = p.get_process().pid().as_raw();
    let start = Instant::now();
    while proc_stat(pid, 0).as_deref() != Some("T") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "lyncdr was not stopped"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    signal_group(pid, "INT");
    signal_group(pid, "CONT");
    let mut p = p;
    let rest = rest_of_output(&mut p);
    assert_eq!(exit_code(&p), 130, "{rest}");
    assert!(rest.contains("Interrupted (Ctrl-C)"), "{rest}");
    assert_eq!(status_of(dir, "get-rgs-scripts"), "done", "{rest}");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "pending");
    assert!(
        !started(dir).iter().any(|s| s == "list-rgs-contacts"),
        "the next command never started"
    );
}

/// A Ctrl-C that reached the step's program (Windows: powershell.exe in lyncdr's console ends
/// with STATUS_CONTROL_C_EXIT, 0xC000013A; Linux: killed by SIGINT) is an interruption, never a
/// failure: the step is recorded `interrupted`, lyncdr exits 130, the next step never starts.
/// Under wine the stand-in ends with the real exit code.
#[test]
fn a_step_ended_by_ctrl_c_is_interrupted_never_failed() {
    let t = recovery();
    let dir = t.path();
    let out = expect_code(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_CTRL_C", "list-rgs-contacts/step")],
        Some(130),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status_of(dir, "list-rgs-contacts"), "interrupted", "{stderr}");
    assert!(!started(dir).iter().any(|s| s == "review-rgs-contacts"));
}

/// Ctrl-C while a command runs: the command is stopped, the step recorded interrupted, exit 130,
/// and the next step never starts.
#[cfg(unix)] // under wine a Ctrl-C typed into a ConPTY never reached the console's processes
#[test]
fn ctrl_c_during_a_command() {
    let t = recovery();
    let dir = t.path();
    let mut p = spawn_in_pty(
        dir,
        &run_args("rgs-restore", &["--yes"]),
        &[("LYNCSHELL_BLOCK", "list-rgs-contacts/step")],
    );
    wait_for(dir, "list-rgs-contacts", "blocked");
    p.send("\x03").expect("Ctrl-C at the terminal");
    let rest = rest_of_output(&mut p);
    assert_eq!(exit_code(&p), 130, "{rest}");
    assert!(
        rest.contains("Interrupted (Ctrl-C) during step `list-rgs-contacts`"),
        "{rest}"
    );
    assert_eq!(status_of(dir, "list-rgs-contacts"), "interrupted");
    assert!(
        !started(dir)
            .iter()
            .any(|s| s == "review-rgs-contacts" || s == "delete-rgs-contacts")
    );
    let log = std::fs::read_to_string(dir.join("state.log")).expect("run log");
    assert!(log.contains("interrupted"), "{log}");
}

/// Field `n` of `/proc/PID/stat` after the command name: 0 the state (`T`: stopped), 2 the
/// process group.
#[cfg(unix)] // signals to a process group and /proc: the Unix process model
fn proc_stat(pid: i32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(n).map(str::to_owned)
}

/// Send `signal` to the process group of `pid` (as the terminal does with Ctrl-C).
#[cfg(unix)] // signals to a process group and /proc: the Unix process model
fn signal_group(pid: i32, signal: &str) {
    let pgrp = proc_stat(pid, 2).unwrap_or_default();
    let out = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgrp}")])
        .output_retried()
        .expect("kill");
    assert!(
        out.status.success(),
        "kill -{signal} -{pgrp}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `resolve --rechoose` withdraws an option while none of its steps has started; the change is
/// recorded; once a step of the option has started it is refused.
#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn a_choice_can_be_changed_until_its_steps_start() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args("backend-restore", &["--set", "options.user_data_restore=A"]);
    args.extend(NO_RGS.map(String::from));
    // At a terminal: the manual steps, the databases, option A; then stop at its first step.
    let mut p = spawn_in_pty(dir, &args, &[]);
    for _ in 0..3 {
        p.expect("This step is done by hand.").expect("manual step");
        p.send("\r").expect("done");
        p.expect("What did it say?").expect("check on the rebuilt server");
        p.send("\r").expect("passed");
    }
    p.expect("What now?").expect("databases");
    p.send("\r").expect("run");
    p.expect("Which option?").expect("choice");
    p.send("\r").expect("A");
    p.expect("What now?").expect("the restore");
    p.send("\x1b").expect("Esc: stop here");
    p.expect(Eof).expect("exit");
    assert_eq!(exit_code(&p), 0);
    assert_eq!(state(dir)["choices"]["options.user_data_restore"], "A");
    let resolve =
        |how: &str| ["resolve", "restore-user-data", how, "--state", "state.json"].map(String::from);
    let out = expect_code(dir, &resolve("--rechoose"), &[], Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("option A (options.user_data_restore) withdrawn"));
    let s = state(dir);
    assert!(
        s["choices"].as_object().is_some_and(|c| c.is_empty()),
        "{}",
        s["choices"]
    );
    assert_eq!(status_of(dir, "restore-user-data"), "pending");
    assert!(s["decisions"].to_string().contains("withdrawn"));
    // Chosen again (from the environment, --yes), and its first step started: no more changing.
    let mut yes = args.clone();
    yes.push("--yes".into());
    expect_code(
        dir,
        &yes,
        &[("LYNCSHELL_KILL_PARENT", "rtc.restore-rtc-sql/step/before")],
        None,
    );
    let out = expect_code(dir, &resolve("--rechoose"), &[], Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("its steps have started: `rtc.read-rtc-backup-sets`"),
        "{stderr}"
    );
    let out = subcommand(
        dir,
        &[
            "resolve",
            "import-user-data",
            "--rechoose",
            "--state",
            "state.json",
        ],
        64,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a choice"));
}

/// Without --state the run keeps its state beside the environment file, wherever lyncdr is
/// started from, and says so; status and report find it with --env.
#[test]
fn the_state_lives_beside_the_environment_file() {
    let t = recovery();
    let dir = t.path();
    let site = dir.join("site");
    std::fs::create_dir_all(&site).expect("mkdir");
    std::fs::rename(dir.join("contoso.yaml"), site.join("contoso.yaml")).expect("move env");
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let mut args = run_args("rgs-restore", &["--yes"]);
    let at = args.iter().position(|a| a == "--state").expect("--state");
    args.drain(at..at + 2);
    for a in args.iter_mut() {
        if a == "contoso.yaml" {
            *a = "../site/contoso.yaml".into();
        } else if a == "backups" {
            *a = "../backups".into();
        }
    }
    let out = expect_code(&elsewhere, &args, &[], Some(6));
    // Windows joins `.lyncdr\rgs-restore.json` to the `../site/` given, as it should.
    let stdout = String::from_utf8_lossy(&out.stdout).replace("site\\.lyncdr\\", "site/.lyncdr/");
    assert!(
        stdout.contains("Starting a new run; state in ../site/.lyncdr/rgs-restore.json"),
        "{stdout}"
    );
    assert!(site.join(".lyncdr/rgs-restore.json").exists());
    assert!(!elsewhere.join(".lyncdr").exists());
    let out = subcommand(&elsewhere, &["status", "--env", "../site/contoso.yaml"], 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("list-rgs-contacts"));
    let out = expect_code(&elsewhere, &args, &[], Some(6));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .replace("site\\.lyncdr\\", "site/.lyncdr/")
            .contains("Resuming the run in ../site/.lyncdr/rgs-restore.json")
    );
    // Two runs beside it: status lists both.
    std::fs::copy(
        site.join(".lyncdr/rgs-restore.json"),
        site.join(".lyncdr/other.json"),
    )
    .expect("copy");
    let out = subcommand(
        &elsewhere,
        &["status", "--env", "../site/contoso.yaml", "--format", "json"],
        0,
    );
    let v = crate::builder::json_result(&out.stdout);
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(2), "{v}");
    let out = subcommand(&elsewhere, &["report", "--env", "../site/contoso.yaml"], 64);
    assert!(String::from_utf8_lossy(&out.stderr).contains("several runs in"));
}

/// An attestation given at a terminal is remembered when the run is resumed: not asked again.
#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn an_attestation_is_remembered_on_resume() {
    let t = recovery();
    let dir = t.path();
    std::fs::remove_file(dir.join("backups/RgsConfig_pool01.zip")).expect("rm");
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &[]);
    p.expect("BLOCKED: backup `rgs-export`").expect("blocked");
    p.expect("This step is blocked.").expect("menu");
    p.send("\x1b[B\r").expect("attest");
    p.expect("Attest without evidence?").expect("confirm");
    p.send("y").expect("y");
    p.expect("This step is done by hand.").expect("first step");
    p.send("\x1b[B\r").expect("stop here");
    p.expect(Eof).expect("exit");
    assert_eq!(exit_code(&p), 0);
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &[]);
    p.expect("attested earlier: backup `rgs-export`")
        .expect("remembered");
    p.expect("This step is done by hand.")
        .expect("straight to the step");
    kill(&mut p);
}

/// Nobody said who the operator is (no --operator, LYNCDR_OPERATOR, USER or USERNAME): the run
/// asks once, and the name goes into the record.
#[cfg(unix)] // reads the pty to its end (Eof) or its echo mode: Unix pty API, a ConPTY has neither
#[test]
fn the_operator_is_asked_once_when_unknown() {
    let t = recovery();
    let dir = t.path();
    let mut cmd = lyncdr(dir);
    cmd.args(run_args("rgs-restore", &[]))
        .env_remove("LYNCDR_OPERATOR")
        .env_remove("USER")
        .env_remove("USERNAME");
    let mut p = Session::spawn(cmd).expect("spawn");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect("Your name").expect("asked");
    p.send_line("Grace Hopper").expect("name");
    p.expect("This step is done by hand.").expect("first step");
    p.send("\r").expect("done");
    p.expect("What now?").expect("next step");
    p.send("\x1b").expect("stop");
    p.expect(Eof).expect("exit");
    assert_eq!(step_record(dir, "get-rgs-scripts")["operator"], "Grace Hopper");
    assert_eq!(exit_code(&p), 0);
}

/// Option A end to end: the rtc restore (PowerShell, the backup path a SqlClient parameter, so a
/// `$(x)` in it is nothing to sqlcmd or T-SQL), the services stopped before it and started after
/// the database chaining fix, which runs through sqlcmd with -x (the stand-in sqlcmd fails on
/// `$(x)` without it) on the Back End instance.
#[test]
fn option_a_restores_rtc_between_stopped_services() {
    let t = recovery();
    let dir = t.path();
    std::fs::rename(dir.join("backups/rtc.bak"), dir.join("backups/rtc $(x).bak")).expect("rename");
    std::fs::write(dir.join("30024.xml"), evidence_xml(30)).expect("evidence");
    let mut args = run_args(
        "backend-restore",
        &[
            "--yes",
            "--set",
            "options.user_data_restore=A",
            "--set",
            r"backups.rtc_database=C:\Backups\rtc $(x).bak",
        ],
    );
    args.extend(NO_RGS.map(String::from));
    expect_code(dir, &args, &[], Some(0));
    let step = step_record(dir, "rtc.restore-rtc-sql");
    assert!(
        step["commands"][0]["command"]
            .as_str()
            .unwrap_or("")
            .contains(r"AddWithValue('@file', 'C:\Backups\rtc $(x).bak')")
    );
    let order: Vec<String> = started(dir)
        .into_iter()
        .filter(|s| s.starts_with("rtc."))
        .collect();
    assert_eq!(order, crate::source_mapping::OPTION_A_ORDER);
    let log = shell_log(dir);
    assert!(
        log.iter().any(|e| e.step == "rtc.enable-db-chaining"
            && e.event == "start"
            && e.detail == r"sqlcmd server=be01.contoso.com\rtc"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.step == "rtc.enable-db-chaining" && e.event == "sql" && e.detail == "exit 0"),
        "{log:?}"
    );
}

/// The Response Group contact deletion never runs once the import has started in the same run:
/// the contacts on the pool are then the restored ones. (A state where the deletion is pending
/// after the import: a deletion retried after the import by hand or by another tool.)
#[test]
fn the_rgs_deletion_is_refused_after_the_import() {
    let t = recovery();
    let dir = t.path();
    rgs_run_failing_at_the_list(dir);
    let mut s = state(dir);
    for r in s["steps"].as_array_mut().expect("steps") {
        match r["id"].as_str() {
            Some("import-rgs-configuration") => r["status"] = "done".into(),
            Some("list-rgs-contacts") | Some("review-rgs-contacts") => r["status"] = "done".into(),
            _ => {}
        }
    }
    write_sealed_state(dir, s);
    let out = expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("step `delete-rgs-contacts` is refused")
            && stderr.contains("`import-rgs-configuration` has already run"),
        "{stderr}"
    );
    assert!(
        !started(dir).iter().any(|s| s == "delete-rgs-contacts"),
        "never started"
    );
    assert_eq!(status_of(dir, "delete-rgs-contacts"), "pending");
}

/// Event 30024 counts per Active Directory domain (`user_domains`) and only from a Front End of
/// the pool being restored (`pools.failed_front_ends`), newer than the start of the sync step:
/// with XML evidence and with an `.evtx` export alike.
#[test]
fn the_30024_gate_needs_one_event_per_domain_from_the_pool() {
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5)).to_string();
    let xml = |computer: &str, domain: &str| {
        lyncdr::run::evidence::event_xml_with_data(
            30024,
            "LS User Replicator",
            &soon,
            computer,
            &format!("User Replicator has completed synchronization of domain {domain}."),
        )
    };
    let args = |evidence: &str| {
        let mut a = run_args(
            "backend-restore",
            &[
                "--yes",
                "--evidence",
                evidence,
                "--set",
                "user_domains=contoso.com,emea.contoso.com",
                "--set",
                "pools.failed_front_ends=fe01.contoso.com,fe02.contoso.com",
            ],
        );
        a.extend(NO_RGS.map(String::from));
        a
    };
    let t = recovery();
    let dir = t.path();
    // One domain done, the other only on a server of another pool: blocked, naming the domain.
    std::fs::write(
        dir.join("some.xml"),
        xml("fe01.contoso.com", "contoso.com") + &xml("fe09.contoso.com", "emea.contoso.com"),
    )
    .expect("xml");
    let out = expect_code(dir, &args("some.xml"), &[], Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no event 30024 yet for domain(s) emea.contoso.com"),
        "{stderr}"
    );
    assert!(!started(dir).iter().any(|s| s == "import-user-data"));
    // Only another pool's servers: blocked, naming the computers.
    std::fs::write(dir.join("other.xml"), xml("fe09.contoso.com", "contoso.com")).expect("xml");
    let out = expect_code(dir, &args("other.xml"), &[], Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("came only from fe09.contoso.com"), "{stderr}");
    // Both domains from the pool's Front End servers (one logged by its short name): the import runs.
    let both = [
        crate::evtx::Event {
            id: 30024,
            provider: "LS User Replicator",
            time: &soon,
            computer: "fe01.contoso.com",
            data: "User Replicator has completed synchronization of domain contoso.com.",
        },
        crate::evtx::Event {
            id: 30024,
            provider: "LS User Replicator",
            time: &soon,
            computer: "FE02",
            data: "User Replicator has completed synchronization of domain DC=emea,DC=contoso,DC=com.",
        },
    ];
    std::fs::write(dir.join("lync.evtx"), crate::evtx::evtx(&both)).expect("evtx");
    expect_code(dir, &args("lync.evtx"), &[], Some(0));
    assert!(started(dir).iter().any(|s| s == "import-user-data"));
    let evidence = step_record(dir, "import-user-data")["evidence"].to_string();
    assert!(evidence.contains("one for each of 2 domain(s)"), "{evidence}");
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
        data: "",
    }];
    std::fs::write(dir.join("lync.evtx"), crate::evtx::evtx(&events)).expect("evtx");
    let mut args = run_args("backend-restore", &["--yes", "--evidence", "lync.evtx"]);
    args.extend(NO_RGS.map(String::from));
    expect_code(dir, &args, &[], Some(0));
    assert!(started(dir).iter().any(|l| l == "import-user-data"));
    assert!(
        step_record(dir, "import-user-data")["evidence"]
            .to_string()
            .contains("event 30024 from LS User Replicator")
    );
    let t = recovery();
    let other = [crate::evtx::Event {
        id: 30025,
        provider: "LS User Replicator",
        time: &soon,
        computer: "fe01",
        data: "",
    }];
    std::fs::write(t.path().join("lync.evtx"), crate::evtx::evtx(&other)).expect("evtx");
    expect_code(t.path(), &args, &[], Some(4));
}

/// A step for the server being rebuilt is never run here, where it would act on the wrong host:
/// the operator runs it there and confirms.
#[test]
fn a_step_for_the_rebuilt_server_is_not_run_here() {
    let t = recovery().file(
        "rb/elsewhere.yaml",
        r#"id: elsewhere
title: A step on another server
summary: For a test.
source: test
steps:
  - id: on-the-new-server
    title: Check the new server's name
    runs_on: rebuilt-server
    explanation: Runs there.
    commands:
      - powershell: Get-CsPool
"#,
    );
    let dir = t.path();
    let mut args = vec!["--runbooks".to_owned(), "rb".to_owned()];
    args.extend(run_args("elsewhere", &["--yes"]));
    // Issue 18: --yes never counts a step as done that nobody ran; the hint's command runs.
    let out = expect_code(dir, &args, &[], Some(6));
    assert!(
        shell_log(dir).is_empty(),
        "nothing started here: {:?}",
        shell_log(dir)
    );
    assert_eq!(status_of(dir, "on-the-new-server"), "pending");
    let hint = hinted_commands(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        hint,
        ["lyncdr resolve on-the-new-server --done --state state.json"]
    );
    run_hint(dir, &hint[0], 0);
    expect_code(dir, &args, &[], Some(0));
    assert_eq!(status_of(dir, "on-the-new-server"), "done");
    assert_eq!(step_record(dir, "on-the-new-server")["how"], "resolved");
}

/// Every `lyncdr ...` command quoted in backticks in `text`.
pub(crate) fn hinted_commands(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("lyncdr "))
        .map(str::to_owned)
        .collect()
}

/// Run a printed hint as printed (split at spaces; the hints hold no quoted words), expect `code`.
pub(crate) fn run_hint(dir: &Path, hint: &str, code: i32) -> std::process::Output {
    let words: Vec<String> = hint.split_whitespace().skip(1).map(str::to_owned).collect();
    expect_code(dir, &words, &[], Some(code))
}

/// The rtc backup is read by SQL Server on the Back End: without a `--backups` copy, `run` does
/// not look for it on this machine (a path there may mean another disk), and says where it is
/// checked; the bundle driver likewise leaves it to the step that reads its sets.
#[test]
fn the_rtc_backup_is_checked_where_sql_server_reads_it() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args(
        "backend-restore",
        &["--dry-run", "--set", "options.user_data_restore=A"],
    );
    let at = args.iter().position(|a| a == "--backups").expect("--backups");
    args.drain(at..at + 2);
    let out = lyncdr(dir).args(&args).output_retried().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(r"ok      backup `rtc-database` present (`backups.rtc_database`) [steps E.A.1, E.A.1.3]: `C:\Backups\rtc.bak` is read by SQL Server on the Back End"),
        "{stdout}"
    );
    let out = lyncdr(dir)
        .args(["bundle", "backend-restore", "--env", "contoso.yaml", "--out", "b"])
        .output_retried()
        .expect("bundle");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let driver = std::fs::read_to_string(dir.join("b/Invoke-Recovery.ps1")).expect("driver");
    assert!(driver.contains("Artifact = 'rtc-database'; Key = 'backups.rtc_database'; Path = 'C:\\Backups\\rtc.bak'; ReadBySqlServer = $true;"), "{driver}");
    assert!(driver.contains("    if ($P.ReadBySqlServer) {"));
}

/// A sync that takes a while: its 30024 is logged before the step that started it is recorded
/// finished. The event counts from the start of the sync step, not its end.
#[test]
fn a_30024_logged_while_the_sync_step_ran_counts() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args("backend-restore", &["--yes"]);
    args.extend(NO_RGS.map(String::from));
    expect_code(dir, &args, &[], Some(4)); // blocked at the import: no evidence yet
    // The sync step took ten minutes (as recorded), and the event came five minutes in.
    let mut s = state(dir);
    let mut sync_start = None;
    for r in s["steps"].as_array_mut().expect("steps") {
        if r["id"] == "trigger-user-sync" {
            let start: jiff::Timestamp = r["started_at"].as_str().expect("started").parse().expect("time");
            r["finished_at"] = (start + jiff::SignedDuration::from_mins(10)).to_string().into();
            sync_start = Some(start);
        }
    }
    write_sealed_state(dir, s);
    let during = sync_start.expect("sync step") + jiff::SignedDuration::from_mins(5);
    std::fs::write(
        dir.join("30024.xml"),
        lyncdr::run::evidence::event_xml(
            30024,
            "LS User Replicator",
            &during.to_string(),
            "fe01.contoso.com",
        ),
    )
    .expect("evidence");
    args.extend(["--evidence", "30024.xml"].map(String::from));
    expect_code(dir, &args, &[], Some(0));
    assert!(started(dir).contains(&"import-user-data".to_owned()));
}

/// A compressed rtc backup in the `--backups` copy: only its first bytes are known, so `run` says
/// it is unverified here (SQL Server verifies it before the restore), never plainly "ok".
#[test]
fn a_compressed_rtc_backup_is_unverified_here() {
    let t = recovery();
    let dir = t.path();
    // A stub smaller than any backup is refused (issue 20): this one has a header's size.
    std::fs::write(
        dir.join("backups/rtc.bak"),
        [&b"MSSQLBAK"[..], &[0x5A; 4096]].concat(),
    )
    .expect("bak");
    let out = lyncdr(dir)
        .args(run_args(
            "backend-restore",
            &["--dry-run", "--set", "options.user_data_restore=A"],
        ))
        .output_retried()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("compressed, so UNVERIFIED here"), "{stdout}");
}

/// `backups.max_age` has one default (issue 11 item 4): with it unset, `run` refuses a backup
/// 8 days old as `audit` calls it stale and the bundle's driver checks the same 7 days; audit's
/// `--max-age` still overrides it.
#[test]
fn an_unset_max_age_is_seven_days_for_run_bundle_and_audit() {
    let t = recovery();
    let dir = t.path();
    let env = std::fs::read_to_string(dir.join("contoso.yaml")).expect("env");
    assert!(env.contains("  max_age: 7d\n"));
    std::fs::write(dir.join("contoso.yaml"), env.replace("  max_age: 7d\n", "")).expect("env");
    let eight_days_ago = std::time::SystemTime::now() - Duration::from_secs(8 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(dir.join("backups/SavedUserData.xml"))
        .and_then(|f| f.set_modified(eight_days_ago))
        .expect("set mtime");

    let out = expect_code(dir, &run_args("backend-restore", &["--dry-run"]), &[], Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "SavedUserData.xml` is 8d old, more than the 7d allowed (lyncdr's default; backups.max_age is not set)"
        ),
        "{stdout}"
    );

    let audit = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["audit", "backups", "--env", "contoso.yaml", "--format", "json"];
        args.extend(extra);
        let out = lyncdr(dir).args(&args).output_retried().expect("audit");
        crate::builder::json_result(&out.stdout)
    };
    let stale = |json: &serde_json::Value| {
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "stale" && f["path"] == "SavedUserData.xml")
    };
    let json = audit(&[]);
    assert_eq!(json["max_age_seconds"], 7 * 86_400, "{json}");
    assert!(stale(&json), "{json}");
    assert!(!stale(&audit(&["--max-age", "9d"])));

    subcommand(
        dir,
        &[
            "bundle",
            "backend-restore",
            "--env",
            "contoso.yaml",
            "--out",
            "bundle",
        ],
        0,
    );
    let driver = std::fs::read_to_string(dir.join("bundle/Invoke-Recovery.ps1")).expect("driver");
    assert!(
        driver.contains("# backups.max_age is not set: lyncdr's default\r\n$MaxBackupAge = [TimeSpan]::FromSeconds(604800)\r\n$MaxBackupAgeText = '7d'"),
        "{driver}"
    );
}

/// `run` asks the audit whether a backup is usable (issue 11 item 3): a `.bak` that starts like
/// one (`TAPE`) but whose backup set header is damaged is refused at the gate, in the audit's
/// words, and nothing runs.
#[test]
fn run_refuses_a_bak_the_audit_calls_corrupt() {
    let t = recovery();
    let dir = t.path();
    std::fs::write(
        dir.join("backups/rtc.bak"),
        audit::sql_backup_with_a_damaged_set("rtc"),
    )
    .expect("bak");
    let mut args = run_args(
        "backend-restore",
        &["--yes", "--set", "options.user_data_restore=A"],
    );
    args.extend(NO_RGS.map(String::from));
    let out = expect_code(dir, &args, &[], Some(4));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(
            "rtc.bak`: the backup header is damaged: no backup set (SSET) block in the first 64 KiB"
        ),
        "{said}"
    );
    assert!(shell_log(dir).is_empty(), "nothing ran");

    let report = lyncdr(dir)
        .args([
            "audit",
            "backups",
            "--env",
            "contoso.yaml",
            "--format",
            "json",
            "--no-hash",
        ])
        .output_retried()
        .expect("audit");
    let json = crate::builder::json_result(&report.stdout);
    let audit_says: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["path"] == "rtc.bak")
        .map(|f| &f["message"])
        .collect();
    assert_eq!(
        audit_says,
        ["the backup header is damaged: no backup set (SSET) block in the first 64 KiB"],
        "{json}"
    );
}

/// Issue 10 (low): a `--state` that is a link to another run's state file is the same run: it
/// is locked as that file, never a second run beside it.
#[cfg(unix)] // no link under wine: a host link to a file shows as the file, and mklink makes none
#[test]
fn a_state_file_reached_through_a_link_is_locked_as_itself() {
    let t = recovery();
    let dir = t.path();
    rgs_run_failing_at_the_list(dir);
    std::os::unix::fs::symlink(dir.join("state.json"), dir.join("alias.json")).expect("link");
    let _held = lyncdr::run::state::lock(&dir.join("state.json")).expect("lock");
    let mut args = run_args("rgs-restore", &["--yes"]);
    let at = args
        .iter()
        .position(|a| a == "state.json")
        .expect("--state value");
    args[at] = "alias.json".into();
    let out = expect_code(dir, &args, &[], Some(75));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another lyncdr run is using"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::symlink_metadata(dir.join("alias.json"))
            .expect("alias")
            .file_type()
            .is_symlink(),
        "the link is left a link"
    );
}

/// Issue 10 (low): a device or a FIFO given as the state file or as evidence is refused, never
/// read forever; an unknown runbook creates nothing beside the state file.
#[cfg(unix)] // FIFOs and device files are Unix files
#[test]
fn devices_and_fifos_are_refused_as_state_or_evidence() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args("rgs-restore", &["--yes"]);
    let at = args
        .iter()
        .position(|a| a == "state.json")
        .expect("--state value");
    args[at] = "/dev/zero".into();
    let out = expect_code(dir, &args, &[], Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a regular file"));
    // Refused before the lock: nothing was created beside the device.
    let fifo_state = dir.join("state-pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo_state)
            .status()
            .expect("mkfifo")
            .success()
    );
    let mut args = run_args("rgs-restore", &["--yes"]);
    let at = args
        .iter()
        .position(|a| a == "state.json")
        .expect("--state value");
    args[at] = "state-pipe".into();
    expect_code(dir, &args, &[], Some(65));
    assert!(!dir.join("state-pipe.lock").exists(), "no lock beside a FIFO");
    assert!(!dir.join("state-pipe.log").exists(), "no log beside a FIFO");
    assert!(
        Command::new("mkfifo")
            .arg(dir.join("pipe.xml"))
            .status()
            .expect("mkfifo")
            .success()
    );
    let mut args = run_args("backend-restore", &["--yes", "--evidence", "pipe.xml"]);
    args.extend(NO_RGS.map(String::from));
    let out = expect_code(dir, &args, &[], Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`pipe.xml` is not a regular file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args = run_args("no-such-runbook", &["--yes"]);
    let at = args
        .iter()
        .position(|a| a == "state.json")
        .expect("--state value");
    args[at] = "fresh/state.json".into();
    expect_code(dir, &args, &[], Some(64));
    assert!(
        !dir.join("fresh").exists(),
        "nothing created for an unknown runbook"
    );
}

/// Issue 17 item 10: `finish` decides its baseline folder once, at the run's start, and every step
/// gets that one folder, after a resume too: a run stopped by a failing step and resumed later
/// writes the rest of its baseline beside the first part, named after the first start.
#[test]
fn every_finish_step_gets_the_folder_of_the_run_start_after_a_resume_too() {
    let t = recovery();
    let dir = t.path();
    let fail = [(
        "LYNCSHELL_FAIL",
        "baseline.export-rgs/step/Export-CsRgsConfiguration",
    )];
    expect_code(dir, &run_args("finish", &["--yes"]), &fail, Some(5));
    let started_at = state(dir)["started_at"].as_str().expect("started_at").to_owned();
    let t0: jiff::Timestamp = started_at.parse().expect("a time");
    let folder = format!(
        r"{}\baseline\lyncdr-{}",
        crate::builder::windows_path(&dir.join("sets")),
        t0.strftime("%Y%m%d-%H%M%SZ")
    );
    // Later than the first start, to the second: a folder named anew would differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    subcommand(
        dir,
        &[
            "resolve",
            "baseline.export-rgs",
            "--retry",
            "--state",
            "state.json",
        ],
        0,
    );
    expect_code(dir, &run_args("finish", &["--yes"]), &[], Some(0));
    assert_eq!(state(dir)["started_at"], started_at.as_str());
    let mut seen = Vec::new();
    for id in [
        "open-baseline",
        "baseline.export-cs-configuration",
        "baseline.export-rgs",
        "baseline.backup-rtc",
    ] {
        let record = step_record(dir, id);
        let commands = record["commands"].as_array().expect("commands");
        assert!(!commands.is_empty(), "{id}: {record}");
        for c in commands {
            let text = c["command"].as_str().unwrap_or("");
            assert!(text.contains(&folder), "{id}: {folder} not in {text}");
            seen.push(id);
        }
    }
    // The RGS export ran twice (failed, then resumed): both times into the first folder, and
    // the one folder is the sealed set.
    assert!(
        seen.iter().filter(|s| **s == "baseline.export-rgs").count() >= 2,
        "{seen:?}"
    );
    assert_eq!(status_of(dir, "seal-baseline"), "done");
    let sets: Vec<_> = std::fs::read_dir(dir.join("sets").join("baseline"))
        .expect("baseline")
        .collect();
    assert_eq!(sets.len(), 1, "{sets:?}");
}
