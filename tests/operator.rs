//! Issue 18, "the operator at 3 a.m.": a tired admin presses Enter at every question and reads
//! only the last lines. Safe defaults after a failure, questions that name their step, Ctrl-C
//! inside a cmdlet's own prompt, rehearsals that say so, an end that counts what was not plain,
//! and hints that run as printed.

use crate::run::{
    NO_RGS, exit_code, hinted_commands, recovery, rest_of_output, run_args, run_hint, spawn_in_pty, state,
    status_of, step_record, subcommand, wait_for,
};
use expectrl::session::OsSession;
use expectrl::{Any, Eof, Expect};
use std::path::Path;

/// The stand-in makes the RGS contact listing fail (exit 5 with `--yes`).
const LISTING_FAILS: [(&str, &str); 1] = [(
    "LYNCSHELL_FAIL",
    "list-rgs-contacts/step/Get-CsApplicationContact",
)];

/// The words every decision prompt of `run` ends its question with.
const PROMPTS: [&str; 7] = [
    "(default is \"Y\"):",
    "What now?",
    "This step is done by hand.",
    "What did it say?",
    "Which option?",
    "This step is blocked.",
    "Confirm: ",
];

/// Press Enter at every question until lyncdr exits (at a prerequisite's "Confirm:", `y` when
/// `confirm`: it is the operator's statement, not a decision after a failure); everything it
/// printed, as text.
fn enter_everywhere(p: &mut OsSession, confirm: bool) -> String {
    let mut all = Vec::new();
    for _ in 0..100 {
        let mut needles: Vec<Box<dyn expectrl::Needle>> = PROMPTS
            .iter()
            .map(|s| Box::new(*s) as Box<dyn expectrl::Needle>)
            .collect();
        needles.push(Box::new(Eof));
        let found = p.expect(Any::boxed(needles)).expect("a prompt or the end");
        all.extend_from_slice(found.before());
        let mut ended = true;
        let mut key = "\r";
        for m in found.matches() {
            all.extend_from_slice(m);
            ended &= !PROMPTS.iter().any(|s| s.as_bytes() == m);
            if confirm && m == b"Confirm: " {
                key = "y";
            }
        }
        if ended {
            return String::from_utf8_lossy(&all).into_owned();
        }
        p.send(key).expect("Enter");
    }
    panic!(
        "more than 100 questions (a default that loops?):\n{}",
        String::from_utf8_lossy(&all)
    );
}

/// No step is recorded done whose command failed or whose last check failed.
fn nothing_done_that_failed(dir: &Path) {
    for s in state(dir)["steps"].as_array().expect("steps") {
        if s["status"] != "done" {
            continue;
        }
        for c in s["commands"].as_array().into_iter().flatten() {
            assert_eq!(c["exit_code"], 0, "done although a command failed: {s}");
        }
        if let Some(last) = s["checks"].as_array().and_then(|c| c.last()) {
            assert_ne!(last["verdict"], "failed", "done although its check failed: {s}");
        }
    }
}

/// Enter at every prompt of a run whose step fails: the default stops (exit 3: it needs a
/// decision), at once and again on the resume; the question names the step and what happened.
#[test]
fn enter_at_every_prompt_after_a_failure_marks_nothing_done() {
    let t = recovery();
    let dir = t.path();
    let fail = LISTING_FAILS;
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &fail);
    let out = enter_everywhere(&mut p, false);
    assert_eq!(exit_code(&p), 3, "{out}");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "failed", "{out}");
    assert!(
        out.contains("[list-rgs-contacts] failed (exit code"),
        "the question names the step and what happened: {out}"
    );
    nothing_done_that_failed(dir);
    // The resume: the same question, the same safe default.
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &fail);
    let out = enter_everywhere(&mut p, false);
    assert_eq!(exit_code(&p), 3, "{out}");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "failed", "{out}");
    assert!(out.contains("still needs a decision"), "{out}");
    nothing_done_that_failed(dir);
}

/// Enter at every prompt of a run whose step's check fails: never overridden by default.
#[test]
fn enter_at_every_prompt_after_a_failed_check_overrides_nothing() {
    let t = recovery();
    let dir = t.path();
    let fail = [(
        "LYNCSHELL_FAIL",
        "move-conference-directories/check/Get-CsConferenceDirectory",
    )];
    let mut p = spawn_in_pty(dir, &run_args("cms-move", &NO_RGS), &fail);
    let out = enter_everywhere(&mut p, true);
    assert_eq!(exit_code(&p), 3, "{out}");
    assert_eq!(status_of(dir, "move-conference-directories"), "checking", "{out}");
    assert!(
        out.contains("[move-conference-directories]: its check FAILED"),
        "{out}"
    );
    nothing_done_that_failed(dir);
    assert!(!state(dir)["decisions"].to_string().contains("override"));
}

/// Marking a failed step done takes the explicit choice and a typed reason (an empty one goes
/// back to the menu); the reason is in the state, and the end of the run, the report's header and
/// `status` say how the step was done.
#[test]
fn marking_a_failed_step_done_needs_a_reason_and_the_end_counts_it() {
    let t = recovery();
    let dir = t.path();
    let fail = LISTING_FAILS;
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &fail);
    p.expect("This step is done by hand.").expect("first step");
    p.send("\r").expect("done");
    p.expect("What now?").expect("list step");
    p.send("\r").expect("run it");
    p.expect("failed (exit code").expect("the failure menu");
    p.expect("What now?").expect("asked");
    p.send("\x1b[A\r").expect("the last item: mark it done");
    p.expect("Why do you say it took effect?")
        .expect("a reason is asked");
    p.send("\r").expect("no reason");
    p.expect("What now?").expect("back to the menu");
    p.send("\x1b[A\r").expect("mark it done again");
    p.expect("Why do you say it took effect?").expect("asked again");
    p.send_line("listed them by hand in the shell").expect("a reason");
    let out = enter_everywhere(&mut p, false);
    assert_eq!(exit_code(&p), 0, "{out}");
    assert!(
        out.contains("Recovery complete: 21 steps done, 2 skipped. Of note: 2 step(s) done by hand, 1 step(s) marked done by the operator after a failure or interruption."),
        "{out}"
    );
    let rec = step_record(dir, "list-rgs-contacts");
    assert_eq!(rec["status"], "done");
    assert_eq!(rec["how"], "marked-done");
    assert!(
        state(dir)["decisions"]
            .to_string()
            .contains("listed them by hand in the shell"),
        "{}",
        state(dir)["decisions"]
    );
    let report = crate::run::subcommand(dir, &["report", "--state", "state.json"], 0);
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains("- Of note: 2 step(s) done by hand, 1 step(s) marked done"),
        "{report}"
    );
    assert!(report.contains("listed them by hand in the shell"), "{report}");
    let status = crate::run::subcommand(dir, &["status", "--state", "state.json"], 0);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("-- marked done by the operator after a failure"),
        "{status}"
    );
}

/// Ctrl-C at an interactive cmdlet's own prompt (the RGS contact deletion asks Yes/No on the
/// terminal): the cmdlet gets the SIGINT too and ends with an error, but the step is recorded
/// interrupted, not failed, and lyncdr exits 130 at once, without another question.
#[test]
fn ctrl_c_inside_a_cmdlets_prompt_is_an_interrupt() {
    let t = recovery();
    let dir = t.path();
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &[]), &[]);
    for prompt in [
        "This step is done by hand.",
        "What now?",
        "This step is done by hand.",
        "What now?",
    ] {
        p.expect(prompt).expect(prompt);
        p.send("\r").expect("Enter");
    }
    p.expect("(default is \"Y\"):").expect("the cmdlet asks");
    wait_for(dir, "delete-rgs-contacts", "start");
    p.send("\x03").expect("Ctrl-C");
    let rest = rest_of_output(&mut p);
    assert_eq!(exit_code(&p), 130, "{rest}");
    assert!(
        rest.contains("Interrupted (Ctrl-C) during step `delete-rgs-contacts`"),
        "{rest}"
    );
    assert!(!rest.contains("What now?"), "no menu after the Ctrl-C: {rest}");
    assert_eq!(status_of(dir, "delete-rgs-contacts"), "interrupted");
}

/// `--yes` where no PowerShell runs is a rehearsal, and says so everywhere: its summary,
/// `status` and the report; never "Recovery complete" nor "confirmed by the operator"; and it
/// keeps a state file of its own, which a real run never resumes.
#[test]
fn a_rehearsal_says_so_and_keeps_its_own_state() {
    let t = recovery();
    let dir = t.path();
    let args = [
        "run",
        "rgs-restore",
        "--env",
        "contoso.yaml",
        "--backups",
        "backups",
        "--powershell",
        "no-such-powershell.exe",
        "--yes",
    ];
    let out = subcommand(dir, &args, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("*** REHEARSAL"), "{stdout}");
    assert!(stdout.contains("Rehearsal complete"), "{stdout}");
    assert!(!stdout.contains("Recovery complete"), "{stdout}");
    assert!(dir.join(".lyncdr/rgs-restore.rehearsal.json").is_file());
    assert!(
        !dir.join(".lyncdr/rgs-restore.json").exists(),
        "the real run's state is untouched"
    );
    let status = subcommand(dir, &["status", "--env", "contoso.yaml"], 0);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.starts_with("REHEARSAL"), "{status}");
    assert!(!status.contains("confirmed by the operator"), "{status}");
    assert!(status.contains("rehearsed: nothing ran"), "{status}");
    let report = subcommand(
        dir,
        &["report", "--state", ".lyncdr/rgs-restore.rehearsal.json"],
        0,
    );
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.starts_with("# Rehearsal report"), "{report}");
    assert!(!report.contains("confirmed by the operator"), "{report}");
    // The rehearsal's state is never taken for a real run's (nor the other way round).
    let shell = crate::standin::lync_shell().display().to_string();
    let state = ".lyncdr/rgs-restore.rehearsal.json";
    let mut real = args.to_vec();
    real[7] = &shell;
    real.extend(["--state", state]);
    let out = subcommand(dir, &real, 65);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds a rehearsal, and this is a real run"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The commands a message tells the operator to run: each backticked `lyncdr ...`, and each
/// line of `status`'s "To decide" list.
fn hints(text: &str) -> Vec<String> {
    let mut out = hinted_commands(text);
    out.extend(
        text.lines()
            .map(str::trim)
            .filter(|l| l.starts_with("lyncdr "))
            .map(str::to_owned),
    );
    out
}

/// Run every hint in `text` as printed; each must be accepted (exit `code`).
fn run_hints(dir: &Path, text: &str, code: i32) -> usize {
    let found = hints(text);
    for h in &found {
        let out = run_hint(dir, h, code);
        assert_eq!(out.status.code(), Some(code), "`{h}`");
    }
    found.len()
}

/// Every `lyncdr ...` command the failure paths tell the operator to run is accepted as
/// printed: exit 6 (a step needs a terminal: `resolve --done` on the pending step, done by
/// hand), exit 5 (a failed step), `status`'s list of decisions, several runs beside the
/// environment (`report RUNBOOK`), no run at all.
#[test]
fn every_hint_of_a_failure_runs_as_printed() {
    let t = recovery();
    let dir = t.path();
    let out = crate::run::expect_code(dir, &run_args("cms-move", &["--yes"]), &[], Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(run_hints(dir, &stderr, 0), 1, "{stderr}");
    assert_eq!(status_of(dir, "move-users"), "checking");
    let out = subcommand(dir, &["status", "--state", "state.json"], 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(run_hints(dir, &text, 0), 1, "{text}");

    let t = recovery();
    let dir = t.path();
    let fail = LISTING_FAILS;
    let out = crate::run::expect_code(dir, &run_args("rgs-restore", &["--yes"]), &fail, Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let status = subcommand(dir, &["status", "--state", "state.json"], 0);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert_eq!(run_hints(dir, &stderr, 0), 1, "{stderr}");
    assert_eq!(status_of(dir, "list-rgs-contacts"), "pending");
    // `status` offered --done and --retry; the step is pending now, so each is refused (64).
    assert_eq!(hints(&status).len(), 2, "{status}");

    // No run yet beside the environment: a plain answer, and a hint that runs.
    let t = recovery();
    let dir = t.path();
    let out = subcommand(dir, &["status", "--env", "contoso.yaml"], 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("No run has been started in .lyncdr yet."),
        "{text}"
    );
    assert_eq!(run_hints(dir, &text, 0), 1);
    let out = subcommand(dir, &["status", "--env", "contoso.yaml", "--format", "json"], 0);
    let v = crate::builder::json_result(&out.stdout);
    assert_eq!(v["runs"], serde_json::json!([]));
    let out = subcommand(dir, &["report", "--env", "contoso.yaml"], 66);
    assert_eq!(run_hints(dir, &String::from_utf8_lossy(&out.stderr), 0), 1);

    // Two runs beside the environment (a real one and a rehearsal): `report` names each.
    let shell = crate::standin::lync_shell().display().to_string();
    // The real run stops at the RGS deletion, which needs a terminal (6); the rehearsal ends.
    for (ps, code) in [(shell.as_str(), 6), ("no-such-powershell.exe", 0)] {
        let args = [
            "run",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backups",
            "backups",
            "--yes",
            "--powershell",
            ps,
        ];
        subcommand(dir, &args, code);
    }
    let out = subcommand(dir, &["report", "--env", "contoso.yaml"], 64);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(run_hints(dir, &stderr, 0), 2, "{stderr}");
    assert!(
        stderr.contains("`lyncdr report rgs-restore --env contoso.yaml`"),
        "{stderr}"
    );
}

/// Input a tired admin gets wrong (issue 18, 11): the failed pool as the target, an FQDN in
/// DNS's absolute form or an IP address, a choice in lower case (accepted); and the sysexits
/// codes of a missing environment file (66) and an unknown runbook (64).
#[test]
fn input_a_tired_admin_gets_wrong() {
    use crate::builder::{Test, example_env};
    let env = example_env();
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "cms-move", "--env", env.as_str()];
        args.extend(extra);
        Test::new().args(args).run()
    };
    plan(&["--set", "pools.target=pool01.contoso.com"])
        .status(65)
        .stderr_has("`pools.target` is `pool01.contoso.com`, the same pool as `pools.failed`");
    plan(&["--set", "pools.target=pool02.contoso.com."])
        .status(65)
        .stderr_has("ends with a dot");
    plan(&["--set", "pools.target=192.0.2.10"])
        .status(65)
        .stderr_has("is an IP address");
    Test::new()
        .args([
            "plan",
            "backend-restore",
            "--env",
            &env,
            "--set",
            "options.user_data_restore=a",
        ])
        .run()
        .success();
    Test::new()
        .args(["plan", "cms-move", "--env", "no-such-env.yaml"])
        .run()
        .status(66)
        .stderr_has("cannot read environment file `no-such-env.yaml`");
    Test::new()
        .args(["plan", "cms-mvoe", "--env", &env])
        .run()
        .status(64)
        .stderr_has("did you mean `cms-move`?");
}

/// The operator's name is asked once per run, not on every resume; Ctrl-C at that question
/// ends with 130 and writes no state for a run that never started.
#[test]
fn the_name_is_asked_once_and_ctrl_c_there_writes_nothing() {
    let t = recovery();
    let dir = t.path();
    let spawn = |dir: &Path| {
        let mut cmd = crate::run::lyncdr(dir);
        cmd.args(run_args("rgs-restore", &[]))
            .env_remove("LYNCDR_OPERATOR")
            .env_remove("USER")
            .env_remove("USERNAME");
        let mut p = expectrl::Session::spawn(cmd).expect("spawn");
        p.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
        p
    };
    let mut p = spawn(dir);
    p.expect("Your name").expect("asked");
    // The prompt reads keys in raw mode: wait for it (echo off), so the byte reaches it as a key.
    let start = std::time::Instant::now();
    while p.get_process().get_echo().unwrap_or(true) {
        assert!(
            start.elapsed().as_secs() < 10,
            "the prompt never took the terminal"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Under load the byte may land between two key reads (the terminal cooked for a moment,
    // so it came as a signal): press it again until lyncdr is gone, as a person would.
    p.set_expect_timeout(Some(std::time::Duration::from_secs(5)));
    for _ in 0..5 {
        p.send("\x03").expect("Ctrl-C");
        if p.expect(Eof).is_ok() {
            break;
        }
    }
    assert_eq!(exit_code(&p), 130);
    assert!(
        !dir.join("state.json").exists(),
        "no state for a run that never started"
    );

    let mut p = spawn(dir);
    p.expect("Your name").expect("asked");
    p.send_line("Grace Hopper").expect("name");
    p.expect("This step is done by hand.").expect("first step");
    p.send("\r").expect("done");
    p.expect("What now?").expect("next step");
    p.send("\x1b").expect("stop");
    p.expect(Eof).expect("exit");
    let mut p = spawn(dir);
    let found = p
        .expect(Any::boxed(vec![Box::new("Your name"), Box::new("What now?")]))
        .expect("a question");
    assert!(
        found.matches().any(|m| m == b"What now?"),
        "asked for the name again on a resume"
    );
    p.send("\x1b").expect("stop");
    p.expect(Eof).expect("exit");
    assert_eq!(step_record(dir, "get-rgs-scripts")["operator"], "Grace Hopper");
}

/// A heartbeat while a step runs at a terminal: the step and the time since it started, with
/// nothing printed by the command; none when the output is piped.
#[test]
fn a_running_step_shows_a_heartbeat_at_a_terminal_only() {
    let t = recovery();
    let dir = t.path();
    let block = [("LYNCSHELL_BLOCK", "list-rgs-contacts/step")];
    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &["--yes"]), &block);
    wait_for(dir, "list-rgs-contacts", "blocked");
    p.expect("[list-rgs-contacts] -- running, for 1s")
        .expect("the heartbeat ticks while the command prints nothing");
    p.send("\x03").expect("Ctrl-C");
    let rest = rest_of_output(&mut p);
    assert_eq!(exit_code(&p), 130, "{rest}");

    let t = recovery();
    let dir = t.path();
    let out = crate::run::expect_code(dir, &run_args("rgs-restore", &["--yes"]), &[], Some(6));
    let all = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
    assert!(!all.contains("-- running, for"), "{all}");
}

/// Text wraps at the terminal's width (60 columns here; 100 when piped), list items keep
/// their shape, and under `LANG=C` the menus draw ASCII, not ✔ and ❯.
#[test]
fn the_terminal_width_and_locale_are_followed() {
    let t = recovery();
    let dir = t.path();
    // lyncdr starts once the pty is 60 columns wide: the size is set from here after the spawn
    // (the pty's own default comes with it), and the shell waits until it sees it, so lyncdr
    // never reads the default width.
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("while [ \"$(stty size)\" != '40 60' ]; do sleep 0.05; done; exec \"$0\" \"$@\"")
        .arg(crate::builder::lyncdr_bin())
        .args(["plan", "rgs-restore", "--env", "contoso.yaml"])
        .current_dir(dir)
        .env("NO_COLOR", "1");
    let mut p = expectrl::Session::spawn(cmd).expect("spawn");
    p.get_process_mut().set_window_size(60, 40).expect("60 columns");
    let text = rest_of_output(&mut p).replace("\r\n", "\n");
    let prose: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("built-in cmdlets") || l.contains("Resource Kit"))
        .collect();
    assert!(!prose.is_empty(), "{text}");
    for l in &prose {
        assert!(
            l.trim_end().chars().count() <= 60,
            "wider than the terminal: {l:?}"
        );
    }
    assert!(
        text.contains("   - RgsImportExport.ps1: ships with the Lync Server\n     2010 Resource Kit."),
        "a list item's lines hang under its text:\n{text}"
    );

    let mut cmd = crate::run::lyncdr(dir);
    cmd.args(run_args("rgs-restore", &[]))
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE");
    let mut p = expectrl::Session::spawn(cmd).expect("spawn");
    p.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    let found = p.expect("Stop here (run again later to resume)").expect("a menu");
    let menu = String::from_utf8_lossy(found.before()).into_owned();
    assert!(!menu.contains('❯') && !menu.contains('›'), "{menu}");
    assert!(menu.contains("> Done"), "{menu}");
    p.send("\x1b").expect("stop");
    p.expect(Eof).expect("exit");
}

/// After `cargo install` there is no checkout: `lyncdr example-env` prints the example the
/// hints name, and it plans; a `recovery.started_at` months old is warned about in a run.
#[test]
fn the_example_environment_is_built_in_and_an_old_start_is_warned_about() {
    use crate::builder::{Test, example_env};
    let out = Test::new().args(["example-env"]).run().success().stdout;
    assert_eq!(out, std::fs::read_to_string(example_env()).expect("example"));
    let t = Test::new().file("env.yaml", &out);
    t.args(["plan", "cms-move", "--env", "env.yaml"]).run().success();
    let t = recovery();
    let dir = t.path();
    let out = crate::run::expect_code(dir, &run_args("rgs-restore", &["--dry-run"]), &[], Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("WARNING: recovery.started_at is 2011-11-27T01:15:00Z"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Shell completions (PowerShell's included) and a man page, generated from the command line.
#[test]
fn completions_and_the_man_page() {
    use crate::builder::Test;
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef lyncdr"),
        ("fish", "complete -c lyncdr"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = Test::new().args(["completions", shell]).run().success().stdout;
        assert!(out.contains(mark) && out.contains("resolve"), "{shell}:\n{out}");
    }
    let man = Test::new().args(["man"]).run().success().stdout;
    assert!(man.starts_with(".ie") || man.contains(".TH lyncdr"), "{man}");
    assert!(man.contains("resolve"), "{man}");
}

/// The readiness summary lists a prerequisite once, with the steps that need it, and on a
/// resume leaves out the steps already done (their prerequisites were MISSING noise).
#[test]
fn readiness_lists_each_prerequisite_once_and_not_for_finished_steps() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args("cms-move", &["--dry-run"]);
    args.extend(NO_RGS.map(String::from));
    let out = crate::run::expect_code(dir, &args, &[], Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let readiness = stdout
        .split("Readiness")
        .nth(1)
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("");
    assert_eq!(
        readiness.matches("backup `cs-configuration` present").count(),
        1,
        "{readiness}"
    );
    assert!(readiness.contains("[step C]"), "{readiness}");

    let mut p = spawn_in_pty(dir, &run_args("rgs-restore", &["--yes"]), &[]);
    p.expect("(default is \"Y\"):").expect("the deletion asks");
    p.send_line("A").expect("yes to all");
    p.expect(Eof).expect("the end");
    assert_eq!(exit_code(&p), 0);
    let out = crate::run::expect_code(dir, &run_args("rgs-restore", &["--dry-run"]), &[], Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Readiness"), "{stdout}");
    assert!(!stdout.contains("[step delete-rgs-contacts]"), "{stdout}");
}

/// A tab in YAML gets a hint about the tab (it got one about quoting Windows paths).
#[test]
fn a_tab_in_yaml_gets_a_hint_about_tabs() {
    use crate::builder::Test;
    Test::new()
        .file(
            "env.yaml",
            "lyncdr_env: 1\npools:\n\tfailed: pool01.contoso.com\n",
        )
        .args(["validate", "env.yaml"])
        .run()
        .status(65)
        .stderr_has("this line holds a tab: YAML indents with spaces only");
}

/// Issue 18 item 1: `lyncdr resolve STEP --done` on a failed step needs `--reason TEXT` (a
/// failed step is never done without a typed reason); the reason is in the state and the
/// report; `status` and the refusal offer the command with `--reason`, and it runs as printed.
#[test]
fn resolve_done_after_a_failure_needs_a_reason() {
    let t = recovery();
    let dir = t.path();
    let fail = LISTING_FAILS;
    crate::run::expect_code(dir, &run_args("rgs-restore", &["--yes"]), &fail, Some(5));
    assert_eq!(status_of(dir, "list-rgs-contacts"), "failed");
    let status = subcommand(dir, &["status", "--state", "state.json"], 0);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        status.contains("lyncdr resolve list-rgs-contacts --done --reason \"...\" --state state.json"),
        "{status}"
    );
    let done = ["resolve", "list-rgs-contacts", "--done", "--state", "state.json"];
    let out = subcommand(dir, &done, 64);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("marked done only with a reason: it failed"),
        "{stderr}"
    );
    assert_eq!(status_of(dir, "list-rgs-contacts"), "failed", "unchanged");
    // The refusal's first hint, as printed: `--done --reason "..."`.
    let hints = hinted_commands(&stderr);
    assert_eq!(hints.len(), 2, "{stderr}");
    run_hint(dir, &hints[0], 0);
    assert_eq!(status_of(dir, "list-rgs-contacts"), "checking");

    // A typed reason goes into the note, the decisions and the report.
    let t = recovery();
    let dir = t.path();
    crate::run::expect_code(dir, &run_args("rgs-restore", &["--yes"]), &fail, Some(5));
    let reason = "ran Get-CsApplicationContact by hand: 3 contacts";
    let mut args = done.to_vec();
    args.extend(["--reason", reason]);
    subcommand(dir, &args, 0);
    let s = state(dir);
    assert!(s["decisions"].to_string().contains(reason), "{s}");
    assert!(
        step_record(dir, "list-rgs-contacts")["note"]
            .to_string()
            .contains(reason)
    );
    let report = subcommand(dir, &["report", "--state", "state.json"], 0);
    assert!(String::from_utf8_lossy(&report.stdout).contains(reason));
    // `--reason` only with `--done`.
    subcommand(
        dir,
        &[
            "resolve",
            "list-rgs-contacts",
            "--retry",
            "--reason",
            "x",
            "--state",
            "state.json",
        ],
        64,
    );
}
