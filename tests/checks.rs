//! Every check that tests a condition fails when the condition is absent (issue 9, "Done
//! means"): each step's rendered `verify` runs through the stand-in inside lyncdr's own wrapper,
//! as `lyncdr run` starts it; with the normal answers it passes, and with each Lync cmdlet it
//! calls answering nothing (`LYNCSHELL_EMPTY`) it fails. Checks for which nothing is the success
//! ("no user is left on the failed pool") are listed with the reason, and shown failing when the
//! objects they look for are there (`LYNCSHELL_MATCH`: every object passes the filters).

use crate::builder::OutputRetried as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::builder::RUNBOOKS;
use crate::standin::{cs_commands, lync_shell, read_log};

/// Checks whose success is an empty answer, with the reason.
const EMPTY_IS_SUCCESS: &[(&str, &str)] = &[
    (
        "move-conference-directories",
        "no conference directory may be left on the failed pool",
    ),
    ("move-users", "no user may be left homed on the failed pool"),
    (
        "delete-rgs-contacts",
        "no stale Response Group contact object may be left on the pool",
    ),
    (
        "move-common-area-phones",
        "no common area phone may be left on the failed pool",
    ),
    (
        "move-analog-devices",
        "no analog device may be left on the failed pool",
    ),
    (
        "move-exum-contacts",
        "no Exchange UM contact may be left on the failed pool",
    ),
    (
        "move-call-park-orbits",
        "no Call Park orbit range may be left on the failed pool",
    ),
    (
        "move-what-the-failed-pool-left",
        "no unassigned-number range or trusted application endpoint may point to the failed pool",
    ),
];

/// Checks that ask no Lync cmdlet: what they test (SQL Server, files, Windows) has no stand-in
/// answer to empty, with what they look at.
const NO_CMDLET: &[(&str, &str)] = &[
    ("open-baseline", "the baseline folder (Test-Path)"),
    ("rebuild-server", "the FQDN Windows gives this server"),
    (
        "log-on-rebuilt-server",
        "the Windows groups of the logged-on account",
    ),
    (
        "log-on-target-front-end",
        "the Windows groups of the logged-on account",
    ),
    ("install-sql-server", "the SQL Server service (Get-Service)"),
    (
        "open-management-shell",
        "whether the Lync cmdlets are loaded (Get-Command)",
    ),
    ("install-cms-database", "sys.databases through SqlClient"),
    ("install-configured-databases", "sys.databases through SqlClient"),
    (
        "restore-rtc-sql",
        "sys.databases and restore history through SqlClient",
    ),
    (
        "restore-archiving-monitoring",
        "sys.databases and restore history through SqlClient",
    ),
    ("enable-db-chaining", "sys.databases through SqlClient"),
    ("restore-file-store", "the files of the share and of the copy"),
    ("get-rgs-scripts", "the files of the scripts folder"),
    (
        "export-baseline",
        "the files of the new baseline folder (none there is a failure)",
    ),
    ("export-rgs-baseline", "the RGS export file of the new baseline"),
    (
        "import-user-data",
        "one user of the DBImpExp backup, exported again with DBImpExp /user: and compared",
    ),
    (
        "backup-baseline-databases",
        "the backup history in msdb through SqlClient",
    ),
];

struct Check {
    runbook: String,
    step: String,
    text: String,
}

/// The PowerShell checks of every runbook, as `lyncdr plan --format json` renders them for the
/// example environment.
fn checks() -> Vec<Check> {
    let mut out = Vec::new();
    for runbook in RUNBOOKS {
        let plan = crate::procedures::example_plan(runbook, &[]);
        for step in plan["steps"].as_array().expect("steps") {
            let verify = &step["verify"];
            if verify["language"] == "powershell" {
                out.push(Check {
                    runbook: runbook.to_owned(),
                    step: step["id"].as_str().expect("id").to_owned(),
                    text: verify["text"].as_str().expect("text").to_owned(),
                });
            }
        }
    }
    out
}

struct Ran {
    code: i32,
    stderr: String,
    log: Vec<crate::standin::Event>,
}

/// Runs a check as `lyncdr run` does: the real wrapper, a `.ps1` file, `-NonInteractive`, no
/// input, `LYNCDR_STEP`/`LYNCDR_PHASE=check`.
fn run_check(dir: &Path, c: &Check, env: &[(&str, String)]) -> Ran {
    let file = dir.join(format!("{}.ps1", c.step));
    let script = lyncdr::wrapper::script(&c.text, lyncdr::wrapper::Console::Piped);
    std::fs::write(&file, script).expect("write check");
    let log = dir.join(format!("{}.log", c.step));
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new(lync_shell());
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("LYNCSHELL_") || k.starts_with("LYNCDR_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args([
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-File",
        ])
        .arg(&file)
        .current_dir(dir)
        .env("LYNCDR_STEP", &c.step)
        .env("LYNCDR_PHASE", "check")
        .env("LYNCSHELL_LOG", &log)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output_retried()
        .expect("run lync-shell");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: read_log(&log),
    }
}

/// The entry for `step`, by its id in its own runbook (`rgs.delete-rgs-contacts`, the step
/// included from rgs-restore, is `delete-rgs-contacts`).
fn listed<'a>(list: &'a [(&str, &str)], step: &str) -> Option<&'a str> {
    let own = step.rsplit('.').next().unwrap_or(step);
    list.iter().find(|(s, _)| *s == own).map(|(_, why)| *why)
}

#[test]
fn every_check_fails_on_an_empty_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let checks = checks();
    assert!(checks.len() > 20, "{} checks", checks.len());
    let mut seen = Vec::new();
    for c in &checks {
        let at = format!("{} / {}:\n{}", c.runbook, c.step, c.text);
        let normal = run_check(dir.path(), c, &[]);
        assert_eq!(
            normal.code, 0,
            "normal answers must pass: {at}\n{}",
            normal.stderr
        );
        let mut cmdlets = cs_commands(&c.text);
        cmdlets.sort();
        cmdlets.dedup();
        if cmdlets.is_empty() {
            assert!(
                listed(NO_CMDLET, &c.step).is_some(),
                "a check that asks no Lync cmdlet must say what it tests in NO_CMDLET: {at}"
            );
            continue;
        }
        assert!(
            listed(NO_CMDLET, &c.step).is_none(),
            "listed in NO_CMDLET but asks {cmdlets:?}: {at}"
        );
        let empty_is_success = listed(EMPTY_IS_SUCCESS, &c.step).is_some();
        for name in &cmdlets {
            let empty = run_check(
                dir.path(),
                c,
                &[("LYNCSHELL_EMPTY", format!("{}/check/{name}", c.step))],
            );
            assert!(
                empty
                    .log
                    .iter()
                    .any(|e| e.event == "cmdlet" && e.detail == format!("{name} empty")),
                "`{name}` was never asked: {at}\n{:?}",
                empty.log
            );
            if empty_is_success {
                assert_eq!(
                    empty.code, 0,
                    "nothing from `{name}` is success here: {at}\n{}",
                    empty.stderr
                );
            } else {
                assert_ne!(empty.code, 0, "passes when `{name}` finds nothing: {at}");
                assert!(
                    empty.stderr.contains("ERROR: ") && !empty.stderr.contains("not recognized"),
                    "fails for another reason than the empty answer: {at}\n{}",
                    empty.stderr
                );
            }
        }
        if empty_is_success {
            // The opposite: the two objects each cmdlet answers are what it looks for.
            let found = run_check(
                dir.path(),
                c,
                &[("LYNCSHELL_MATCH", format!("{}/check/*", c.step))],
            );
            assert_ne!(found.code, 0, "passes although the objects are there: {at}");
        }
        seen.push(c.step.rsplit('.').next().unwrap_or(&c.step).to_owned());
    }
    for (step, why) in EMPTY_IS_SUCCESS {
        assert!(
            seen.contains(&(*step).to_owned()),
            "`{step}` ({why}) is no longer a check"
        );
    }
}
