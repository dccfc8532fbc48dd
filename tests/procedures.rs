//! The procedures, round three (issue 19): what a real outage needs beyond the blog's letters.
//! Each test runs the runbook's steps through the stand-in, which keeps the Lync Server 2010 rule
//! that made the earlier text fail (`tests/standin/lync_rules.rs`), or checks what lyncdr itself
//! decides (plans, gates, the environment).

use crate::builder::OutputRetried as _;
use crate::builder::repo;
use crate::run::{NO_RGS, expect_code, recovery, run_args, shell_log, started, status_of, step_record};
use crate::standin::{Event, lync_shell, read_log};
use std::path::Path;
use std::process::{Command, Stdio};

/// Option A, the SQL restore of rtc, with every Front End server of the pool down while it runs
/// (item 1): `Get-CsWindowsService -ComputerName` fails for each, the servers are named and count
/// as not running, and the restore goes on to the end without an override.
#[test]
fn option_a_runs_when_no_front_end_answers() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args(
        "backend-restore",
        &["--yes", "--set", "options.user_data_restore=A"],
    );
    args.extend(NO_RGS.map(String::from));
    expect_code(dir, &args, &[("LYNCSHELL_UNREACHABLE", "rtc.*/*/*")], Some(0));
    for step in [
        "rtc.stop-front-end-services",
        "rtc.restore-rtc-sql",
        "rtc.start-front-end-services",
    ] {
        assert_eq!(status_of(dir, step), "done", "{step}");
    }
    let log = shell_log(dir);
    for phase in ["step", "check"] {
        assert!(
            log.iter().any(|e| e.step == "rtc.stop-front-end-services"
                && e.phase == phase
                && e.detail == "Get-CsWindowsService unreachable"),
            "the Front End servers did not answer in the {phase}: {log:?}"
        );
    }
}

/// A Front End server that answers with a Lync service still running fails the stop step's
/// check, so the restore never starts (item 1).
#[test]
fn a_front_end_still_running_blocks_the_rtc_restore() {
    let t = recovery();
    let dir = t.path();
    let mut args = run_args(
        "backend-restore",
        &["--yes", "--set", "options.user_data_restore=A"],
    );
    args.extend(NO_RGS.map(String::from));
    // Every service object passes the filters: each is still running.
    let out = expect_code(
        dir,
        &args,
        &[("LYNCSHELL_MATCH", "rtc.stop-front-end-services/check/*")],
        Some(5),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rtc.stop-front-end-services"), "{stderr}");
    assert_ne!(status_of(dir, "rtc.stop-front-end-services"), "done");
    assert!(!started(dir).iter().any(|s| s == "rtc.restore-rtc-sql"));
}

/// The User Replicator sync runs against the pool the import goes to (item 2): the failed pool
/// in the restores, the target pool in the CMS move; never "the pool of this computer".
#[test]
fn the_user_sync_names_the_pool_the_import_goes_to() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (runbook, pool) in [
        ("backend-restore", "pool01.contoso.com"),
        ("cms-restore", "pool01.contoso.com"),
        ("cms-move", "pool02.contoso.com"),
    ] {
        let ran = run_step(dir.path(), runbook, "trigger-user-sync", "step", &[]);
        assert_eq!(ran.code, 0, "{runbook}: {}", ran.stderr);
        let synced: Vec<&str> = ran
            .log
            .iter()
            .filter(|e| e.event == "sync")
            .map(|e| e.detail.as_str())
            .collect();
        assert_eq!(synced, [pool], "{runbook}");
    }
}

pub(crate) struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub log: Vec<Event>,
}

/// `lyncdr plan RUNBOOK --format json` for the example environment and `extra` arguments.
pub(crate) fn example_plan(runbook: &str, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(crate::builder::lyncdr_bin())
        .args([
            "plan",
            runbook,
            "--env",
            "runbooks/examples/contoso.yaml",
            "--format",
            "json",
        ])
        .args(extra)
        .current_dir(repo())
        .output_retried()
        .expect("lyncdr plan");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::builder::json_result(&out.stdout)
}

/// The rendered PowerShell or T-SQL of a step (its commands with `phase` `step`, its check with `check`)
/// from `lyncdr plan --format json` for the example environment and `extra` arguments.
pub(crate) fn step_text(runbook: &str, step: &str, phase: &str, extra: &[&str]) -> String {
    let plan = example_plan(runbook, extra);
    let s = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == step)
        .unwrap_or_else(|| panic!("{runbook} has no step {step}"));
    let texts: Vec<&str> = if phase == "check" {
        vec![s["verify"]["text"].as_str().expect("a check")]
    } else {
        s["commands"]
            .as_array()
            .expect("commands")
            .iter()
            .filter(|c| c["language"] != "cmd" && c["alternative"] != true)
            .filter_map(|c| c["text"].as_str())
            .collect()
    };
    texts.join("\n")
}

/// Runs a step's PowerShell as `lyncdr run` does: the real wrapper, `-NonInteractive`, no input,
/// `LYNCDR_STEP`/`LYNCDR_PHASE` set, and the test's `LYNCSHELL_*` orders.
pub(crate) fn run_step(dir: &Path, runbook: &str, step: &str, phase: &str, env: &[(&str, &str)]) -> Ran {
    let text = step_text(runbook, step, phase, &[]);
    run_text(dir, step, phase, &text, env)
}

pub(crate) fn run_text(dir: &Path, step: &str, phase: &str, text: &str, env: &[(&str, &str)]) -> Ran {
    let file = dir.join(format!("{}.ps1", step.replace('.', "-")));
    std::fs::write(
        &file,
        lyncdr::wrapper::script(text, lyncdr::wrapper::Console::Piped),
    )
    .expect("write");
    // One log per step, shared by its commands and its check, as `lyncdr run`'s is.
    let log = dir.join(format!("{}.log", step.replace('.', "-")));
    if phase == "step" {
        let _ = std::fs::remove_file(&log);
    }
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
        .env("LYNCDR_STEP", step)
        .env("LYNCDR_PHASE", phase)
        .env("LYNCSHELL_LOG", &log)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output_retried()
        .expect("run lync-shell");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: read_log(&log),
    }
}

/// A runbook that waits for event 30024 needs the Front End servers of the pool the import goes
/// to (item 3): without them, any computer's event would count. `validate` and `plan` name the key.
#[test]
fn the_event_gate_needs_the_pools_front_end_list() {
    let env = std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example");
    let without: String = env
        .lines()
        .filter(|l| !l.contains("_front_ends:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let t = crate::Test::new().file("env.yaml", &without);
    for (runbook, key) in [
        ("backend-restore", "pools.failed_front_ends"),
        ("cms-move", "pools.target_front_ends"),
    ] {
        let out = std::process::Command::new(crate::builder::lyncdr_bin())
            .args(["plan", runbook, "--env", "env.yaml"])
            .current_dir(t.path())
            .env("NO_COLOR", "1")
            .output_retried()
            .expect("plan");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{runbook}");
        assert!(
            stderr.contains(&format!("`{key}` is not set in `env.yaml`")),
            "{runbook}: {stderr}"
        );
    }
    let out = std::process::Command::new(crate::builder::lyncdr_bin())
        .args(["validate", "env.yaml"])
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .output_retried()
        .expect("validate");
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(all.contains("pools.failed_front_ends"), "{all}");
}

/// A clustered Back End (item 12): Install-CsDatabase on a SQL Server failover cluster needs
/// `-UseDefaultSqlPaths` or `-DatabasePaths`; `sql.backend.clustered` renders it, and the
/// stand-in refuses the call without it.
#[test]
fn a_clustered_back_end_gets_default_sql_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = [("LYNCSHELL_SQL_CLUSTER", "*/step")];
    for (runbook, step, key) in [
        (
            "backend-restore",
            "install-configured-databases",
            "sql.backend.clustered",
        ),
        (
            "cms-restore",
            "install-configured-databases",
            "sql.backend.clustered",
        ),
        ("cms-restore", "install-cms-database", "sql.backend.clustered"),
        ("cms-move", "install-cms-database", "sql.target_backend.clustered"),
    ] {
        let plain = step_text(runbook, step, "step", &[]);
        let ran = run_text(dir.path(), step, "step", &plain, &cluster);
        assert_ne!(
            ran.code, 0,
            "{runbook}/{step}: a cluster refuses it without the paths"
        );
        let set = format!("{key}=true");
        let clustered = step_text(runbook, step, "step", &["--set", &set]);
        assert!(clustered.contains(" -UseDefaultSqlPaths"), "{clustered}");
        let ran = run_text(dir.path(), step, "step", &clustered, &cluster);
        assert_eq!(ran.code, 0, "{runbook}/{step}: {}", ran.stderr);
    }
}

/// Small but wrong (item 14): an RGS import into a pool that has workflows and queues of the same
/// names stops before anything is imported.
#[test]
fn an_rgs_import_stops_on_a_name_clash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = "rgs.import-rgs-configuration";
    let text = step_text("cms-move", step, "step", &[]);
    let ran = run_text(dir.path(), step, "step", &text, &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.log.iter().any(|e| e.detail == "Import-CsRgsConfiguration ok"));
    // Every workflow and queue of the pool is also in the export.
    let ran = run_text(
        dir.path(),
        step,
        "step",
        &text,
        &[("LYNCSHELL_MATCH", "*/step/*")],
    );
    assert_ne!(ran.code, 0);
    assert!(
        ran.stderr
            .contains("already has Response Group objects named as in the export"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.log
            .iter()
            .any(|e| e.detail.starts_with("Import-CsRgsConfiguration")),
        "imported although the names clash: {:?}",
        ran.log
    );
}

/// The example environment's pools (runbooks/examples/contoso.yaml) as the stand-in's topology.
const POOLS: (&str, &str) = (
    "LYNCSHELL_POOLS",
    "pool02.contoso.com=fe03.contoso.com,fe04.contoso.com;pool01.contoso.com=fe01.contoso.com,fe02.contoso.com",
);

/// The step's text without the lines that contain `part`: what the text was before a fix.
fn without_line(text: &str, part: &str) -> String {
    let old: String = text
        .lines()
        .filter(|l| !l.contains(part))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old.trim_end(), text.trim_end(), "no line with {part}");
    old
}

/// The step's text with `from` replaced by `to`: what the text was before a fix.
fn changed(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "no {from} in {text}");
    text.replace(from, to)
}

/// `ran` passed (exit code 0) or failed as `passed` says, writing each of `parts` on its
/// standard output (passed) or error (failed).
fn expect(ran: &Ran, passed: bool, parts: &[&str]) {
    let out = if passed { &ran.stdout } else { &ran.stderr };
    assert_eq!(
        ran.code == 0,
        passed,
        "exit code {}: {}{}",
        ran.code,
        ran.stdout,
        ran.stderr
    );
    for part in parts {
        assert!(out.contains(part), "{part:?} is not in: {out}");
    }
}

/// Small but wrong (item 14): Get-CsConfigurationStoreLocation writes FQDN and instance joined
/// by `/` (its help: `atl-sql-001.litwareinc.com/rtc`). The check passes for the right store in
/// that form and in the `\` form, and fails for another store in both; without its line that
/// turns `/` into `\` it fails the help's form.
#[test]
fn the_store_location_check_accepts_a_slash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = "set-store-location";
    let check = step_text("cms-restore", step, "check", &[]);
    let run = |text: &str, scp: &str, form: &str| {
        let env = [("LYNCSHELL_SCP", scp), ("LYNCSHELL_SCP_FORM", form)];
        run_text(dir.path(), step, "check", text, &env)
    };
    for (form, shown) in [
        ("slash", "be01.contoso.com/rtc"),
        ("backslash", r"be01.contoso.com\rtc"),
    ] {
        let right = run(&check, r"be01.contoso.com\rtc", form);
        expect(&right, true, &[&format!("location: {shown}")]);
        let wrong = run(&check, r"be09.contoso.com\rtc", form);
        expect(&wrong, false, &[r"not be01.contoso.com\rtc"]);
    }
    let old = without_line(&check, ".Replace('/', '\\')");
    expect(&run(&old, r"be01.contoso.com\rtc", "slash"), false, &[]);
    expect(&run(&old, r"be01.contoso.com\rtc", "backslash"), true, &[]);
}

/// The "never twice" guard of the CMS move (item 5): a move that completed (the service control
/// point names the target Back End and a server of the target pool is the active CMS master) is
/// refused; one that failed after the cmdlet updated the SCP (the master is still a server of
/// the failed pool) runs again, as its help says; the old guard (the SCP alone) refused that.
#[test]
fn a_failed_cms_move_may_run_again_and_a_completed_one_never() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = "move-management-server";
    let text = step_text("cms-move", step, "step", &[]);
    let moved = |ran: &Ran| ran.log.iter().any(|e| e.detail == "Move-CsManagementServer ok");
    // The local computer's name is beyond the stand-in: the filters on it pass.
    let run = |text: &str, scp: &str, master: &str| {
        let env = [
            POOLS,
            ("LYNCSHELL_SCP", scp),
            ("LYNCSHELL_CMS_MASTER", master),
            ("LYNCSHELL_MATCH", "*/step/Where-Object"),
        ];
        run_text(dir.path(), step, "step", text, &env)
    };
    let target = r"be02.contoso.com\rtc";
    let done = run(&text, target, "fe03.contoso.com");
    let says = [
        "The CMS has moved already",
        "the active master is fe03.contoso.com.",
    ];
    expect(&done, false, &says);
    assert!(!moved(&done));
    let partial = run(&text, target, "fe01.contoso.com");
    expect(&partial, true, &["an earlier move did not complete"]);
    assert!(moved(&partial), "{:?}", partial.log);
    let first = run(&text, r"be01.contoso.com\rtc", "fe01.contoso.com");
    expect(&first, true, &[]);
    assert!(moved(&first) && !first.stdout.contains("did not complete"));
    // The old guard: refuse once the SCP names the target.
    let old = changed(&text, "if ($master.Count -gt 0) {", "if ($scp.Count -gt 0) {");
    let refused = run(&old, target, "fe01.contoso.com");
    expect(&refused, false, &["The CMS has moved already"]);
    assert!(!moved(&refused));
}

/// Where the move runs (item 6): Move-CsManagementServer moves the CMS to the pool of the local
/// computer, so it refuses to run on a computer that is not a server of the target pool, or
/// whose Front End service is not running.
#[test]
fn the_cms_move_runs_only_on_a_running_front_end_of_the_target_pool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = "move-management-server";
    let text = step_text("cms-move", step, "step", &[]);
    for (empty, says) in [
        ("*/step/Get-CsComputer", "is not a server of pool02.contoso.com"),
        ("*/step/Get-CsWindowsService", "(RTCSRV) is not running"),
    ] {
        let ran = run_text(dir.path(), step, "step", &text, &[("LYNCSHELL_EMPTY", empty)]);
        assert_ne!(ran.code, 0, "{empty}");
        assert!(ran.stderr.contains(says), "{empty}: {}", ran.stderr);
        assert!(
            !ran.log
                .iter()
                .any(|e| e.detail.starts_with("Move-CsManagementServer")),
            "{empty}: moved from the wrong computer"
        );
    }
}

/// D right after C (item 7): Enable-CsTopology runs right after the move, and the replication
/// check comes after it, blocking only for the target pool.
#[test]
fn enable_topology_follows_the_move_and_replication_is_checked_after_it() {
    let t = recovery();
    let dir = t.path();
    std::fs::write(dir.join("30024.xml"), crate::run::evidence_xml(30)).expect("evidence");
    let mut args = run_args("cms-move", &["--yes", "--evidence", "30024.xml"]);
    args.extend(NO_RGS.map(String::from));
    // The run stops at the first step that asks (move-users): far enough.
    let _ = crate::run::lyncdr(dir).args(&args).output_retried().expect("run");
    let order: Vec<String> = started(dir)
        .into_iter()
        .filter(|s| {
            [
                "move-management-server",
                "enable-topology",
                "force-cms-replication",
            ]
            .contains(&s.as_str())
        })
        .collect();
    assert_eq!(
        order,
        [
            "move-management-server",
            "enable-topology",
            "force-cms-replication"
        ]
    );
}

/// The replication check after the CMS move (item 7) blocks only for the servers of the target
/// pool: an Edge server of another site that is behind passes with a warning naming it and TCP
/// 4443; a Front End server of the target pool that is behind fails. The old rule (every server
/// outside the failed pool blocks) fails on the Edge server.
#[test]
fn the_replication_check_blocks_only_for_the_target_pool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = "force-cms-replication";
    let check = step_text("cms-move", step, "check", &[]);
    let run = |text: &str, replicas: &str| {
        let env = [
            POOLS,
            ("LYNCSHELL_CMS_MASTER", "fe03.contoso.com"),
            ("LYNCSHELL_REPLICAS", replicas),
        ];
        run_text(dir.path(), step, "check", text, &env)
    };
    // The failed pool's servers never report up to date; they are no one's concern here.
    let edge =
        "fe03.contoso.com=true;fe04.contoso.com=true;edge01.dublin.contoso.com=false;fe01.contoso.com=false";
    let warned = [
        "WARNING: Not up to date yet, outside pool02.contoso.com: edge01.dublin.contoso.com. ",
        "TCP 4443",
        "OK: 2 server(s) of pool02.contoso.com",
    ];
    expect(&run(&check, edge), true, &warned);
    let front_end = "fe03.contoso.com=true;fe04.contoso.com=false;edge01.dublin.contoso.com=true";
    let behind = ["1 of 2 server(s) of pool02.contoso.com are not up to date"];
    expect(&run(&check, front_end), false, &behind);
    // The old rule: every server outside the failed pool blocks.
    let old = changed(
        &check,
        "Where-Object { $mine -contains",
        "Where-Object { $failed -notcontains",
    );
    expect(&run(&old, edge), false, &["1 of 3 server(s)"]);
}

/// Checks that pass on nothing (item 13): the Archiving/Monitoring backup fails when none of the
/// three databases is on the Back End instance, instead of succeeding with no file.
#[test]
fn the_archiving_monitoring_backup_fails_when_nothing_is_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = step_text(
        "backup",
        "backup-archiving-monitoring",
        "step",
        &["--set", r"backups.set=C:\Sets\one"],
    );
    let file = dir.path().join("am.sql");
    std::fs::write(&file, sql).expect("sql");
    // The stand-in writes `C:\Sets\one` as `C:/Sets/one` under its working folder.
    std::fs::create_dir_all(dir.path().join("C:/Sets/one")).expect("set folder");
    let sqlcmd = |without: &str| {
        Command::new(lync_shell())
            .args(["-S", r"be01.contoso.com\rtc", "-E", "-b", "-x", "-i"])
            .arg(&file)
            .current_dir(dir.path())
            .env("LYNCSHELL_SQL_WITHOUT", without)
            .env_remove("LYNCSHELL_LOG")
            .output_retried()
            .expect("sqlcmd")
    };
    let none = sqlcmd("LcsLog;LcsCDR;QoEMetrics");
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&none.stdout).contains("No Archiving or Monitoring database"),
        "{}",
        String::from_utf8_lossy(&none.stdout)
    );
    // One of them there (Monitoring): backed up, no error.
    let some = sqlcmd("LcsLog;LcsCDR");
    assert_eq!(
        some.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&some.stdout)
    );
}

/// backend-restore restores the Archiving/Monitoring databases Install-CsDatabase recreated
/// empty, where the Back End hosts them (item 8), with their services stopped first; left out
/// where it does not.
#[test]
fn backend_restore_restores_archiving_and_monitoring() {
    let t = recovery();
    let step = |extra: &[&str]| {
        let plan = crate::run::plan_json(t.path(), "backend-restore", extra);
        plan["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["id"] == "restore-archiving-monitoring")
            .cloned()
            .expect("the step")
    };
    let on = step(&[]);
    assert_ne!(on["skipped"], true);
    let explanation = on["explanation"].as_str().unwrap_or("");
    assert!(
        explanation.contains("LcsLog") && explanation.contains("Stop-CsWindowsService"),
        "{explanation}"
    );
    assert!(
        on["verify"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("msdb.dbo.restorehistory")
    );
    let off = step(&["--set", "features.archiving_monitoring=false"]);
    assert_eq!(off["skipped"], true);
}

/// E9-1-1 after an import (item 10): the location configuration is published after
/// Import-CsLisConfiguration (cms-restore) and after the move (cms-move), and the check wants
/// locations and a published configuration: before the publish it fails.
#[test]
fn the_location_configuration_is_published_after_its_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unpublished = [("LYNCSHELL_LIS", "unpublished")];
    for runbook in ["cms-restore", "cms-move"] {
        let step = "publish-lis-configuration";
        let check = step_text(runbook, step, "check", &[]);
        let before = run_text(dir.path(), step, "step", "Get-CsLisLocation", &unpublished);
        assert_eq!(before.code, 0);
        let before = run_text(dir.path(), step, "check", &check, &unpublished);
        assert_ne!(before.code, 0, "{runbook}: passes before the publish");
        assert!(
            before.stderr.contains("no published location configuration"),
            "{}",
            before.stderr
        );
        let commands = step_text(runbook, step, "step", &[]);
        let ran = run_text(dir.path(), step, "step", &commands, &unpublished);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let after = run_text(dir.path(), step, "check", &check, &unpublished);
        assert_eq!(after.code, 0, "{runbook}: {}", after.stderr);
    }
}

/// What the CMS move leaves on the failed pool (item 9): a step lists it (unassigned numbers,
/// trusted application endpoints, topology associations, File Store content, Exchange UM) and its
/// check fails while Lync still points there.
#[test]
fn the_cms_move_lists_what_the_failed_pool_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = "move-what-the-failed-pool-left";
    let check = step_text("cms-move", step, "check", &[]);
    let clean = run_text(
        dir.path(),
        step,
        "check",
        &check,
        &[("LYNCSHELL_EMPTY", "*/check/Where-Object")],
    );
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    let left = run_text(
        dir.path(),
        step,
        "check",
        &check,
        &[("LYNCSHELL_MATCH", "*/check/*")],
    );
    assert_ne!(left.code, 0);
    assert!(
        left.stderr.contains("Announcement service of pool01.contoso.com"),
        "{}",
        left.stderr
    );
    let out = Command::new(crate::builder::lyncdr_bin())
        .args(["plan", "cms-move", "--env", "runbooks/examples/contoso.yaml"])
        .current_dir(repo())
        .output_retried()
        .expect("plan");
    let plan = String::from_utf8_lossy(&out.stdout);
    for part in [
        "Set-CsUnassignedNumber",
        "Move-CsApplicationEndpoint",
        "Topology Builder",
        "music on",
        "ExchUcUtil.ps1",
    ] {
        assert!(plan.contains(part), "{part}");
    }
}

/// Checks that pass on nothing (item 13): the conference-directory and Call Park moves record what
/// they found before the move and require each of those on the target pool after it; the
/// check "none left on the failed pool" alone also holds when the filter found nothing.
#[test]
fn the_moves_require_on_the_target_what_they_found_before() {
    let dir = tempfile::tempdir().expect("tempdir");
    for step in ["move-conference-directories", "move-call-park-orbits"] {
        let text = step_text("cms-move", step, "step", &[]);
        let ran = run_text(dir.path(), step, "step", &text, &[]);
        assert_eq!(ran.code, 0, "{step}: {}", ran.stderr);
        // Every object passes every filter: the two found are also "not on the target".
        let ran = run_text(
            dir.path(),
            step,
            "step",
            &text,
            &[("LYNCSHELL_MATCH", "*/step/*")],
        );
        assert_ne!(
            ran.code, 0,
            "{step}: passes although what it found is not on the target"
        );
        assert!(ran.stderr.contains("found before"), "{step}: {}", ran.stderr);
    }
    let users = step_text("cms-move", "move-users", "step", &[]);
    assert!(
        users.contains("$missing = @($moving | Where-Object { $there -notcontains"),
        "{users}"
    );
}

/// Checks that pass on nothing (item 13): the DBImpExp import gets a read-only check that exports
/// one user of the backup again (`/user:`) and compares its contacts; a failing export fails it.
#[test]
fn the_user_data_import_is_checked_by_exporting_one_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    for runbook in ["backend-restore", "cms-restore", "cms-move"] {
        let check = step_text(runbook, "import-user-data", "check", &[]);
        assert!(check.contains("('/user:' + $saved.User)"), "{runbook}: {check}");
        assert!(!check.contains("/import"), "{runbook}: the check must not import");
        let ok = run_text(dir.path(), "import-user-data", "check", &check, &[]);
        assert_eq!(ok.code, 0, "{runbook}: {}", ok.stderr);
        let failed = run_text(
            dir.path(),
            "import-user-data",
            "check",
            &check,
            &[("LYNCSHELL_FAIL", "*/check/DBImpExp.exe")],
        );
        assert_ne!(failed.code, 0, "{runbook}");
    }
}

/// The rtc restore without MOVE (item 11) and of whatever set is newest at that moment (item 14):
/// the read step shows where each file of the set goes (RESTORE FILELISTONLY against the new
/// rtc's files) and records the set it verified; the restore takes that set by position and
/// BackupSetGUID, with a MOVE clause per file whose names are SqlClient parameters.
#[test]
fn the_rtc_restore_moves_its_files_and_restores_the_verified_set() {
    let args = ["--set", "options.user_data_restore=A"];
    let read = step_text("backend-restore", "rtc.read-rtc-backup-sets", "step", &args);
    let restore = step_text("backend-restore", "rtc.restore-rtc-sql", "step", &args);
    for part in [
        "RESTORE FILELISTONLY FROM DISK = @file WITH FILE = ",
        "FROM sys.master_files WHERE database_id = DB_ID(N'rtc')",
        "$clauses += ('MOVE @l' + $i + ' TO @p' + $i)",
    ] {
        assert!(read.contains(part) && restore.contains(part), "{part}");
    }
    assert!(read.contains("\nSave-LyncdrBackupSet $set\n"), "{read}");
    assert!(
        restore.contains("\n$set = Get-LyncdrVerifiedBackupSet\n"),
        "{restore}"
    );
    assert!(
        !restore.contains("\n$set = Get-LyncdrRtcBackupSet"),
        "the newest set, not the verified one"
    );
    assert!(
        restore.contains("(Get-LyncdrVerifyOptions $set) + ', ' + $moves.Clauses")
            && restore.contains("SET MULTI_USER;') $moves.Parameters"),
        "{restore}"
    );
    // Both run in the stand-in (SqlClient is beyond it: this shows they parse and reach the end).
    let dir = tempfile::tempdir().expect("tempdir");
    for (step, text) in [
        ("rtc.read-rtc-backup-sets", &read),
        ("rtc.restore-rtc-sql", &restore),
    ] {
        let ran = run_text(dir.path(), step, "step", text, &[]);
        assert_eq!(ran.code, 0, "{step}: {}", ran.stderr);
    }
}

/// One event satisfies one domain (item 4), in the bundle's driver too: its `Test-DomainNamed`
/// matches the FQDN or the exact DN, never the first label alone (`lyncdr run`'s `names_domain`
/// has the unit test with a parent and a child domain).
#[test]
fn the_drivers_domain_match_is_the_fqdn_or_the_exact_dn() {
    let driver = include_str!("../src/bundle/driver.ps1");
    let start = driver
        .find("function Test-DomainNamed")
        .expect("Test-DomainNamed");
    let end = start + driver[start..].find("\n}\n").expect("end of the function");
    let f = &driver[start..end];
    assert!(!f.contains("Split('.')[0]"), "the first label alone: {f}");
    assert!(f.contains("$dn = 'DC=' + "), "{f}");
    assert!(f.contains("[^A-Za-z0-9=,-]"), "a DN's tail must not match: {f}");
}

/// Issue 17 item 8: where the environment names the nightly job's task, every recovery disables
/// it first and `finish` enables it again, through schtasks (the stand-in keeps its rule: a task
/// the server does not hold is an error). Without the key the two steps are skipped, saying why.
#[test]
fn a_recovery_pauses_the_nightly_task_and_finish_resumes_it() {
    let schtasks = |dir: &Path| -> Vec<(String, String)> {
        shell_log(dir)
            .into_iter()
            .filter(|e| e.event.starts_with("schtasks"))
            .map(|e| (e.step, format!("{} {}", e.event, e.detail)))
            .collect()
    };
    let args = |extra: &[&str]| {
        let mut args = run_args(
            "backend-restore",
            &["--yes", "--set", "options.user_data_restore=A"],
        );
        args.extend(NO_RGS.map(String::from));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let named = ["--set", "backups.task_name=\\Lync\\lyncdr-backup"];

    let t = recovery();
    let dir = t.path();
    expect_code(
        dir,
        &args(&named),
        &[("LYNCSHELL_TASKS", "\\Lync\\lyncdr-backup")],
        Some(0),
    );
    assert_eq!(
        schtasks(dir),
        [
            (
                "disable-nightly-backup".to_owned(),
                "schtasks \\Lync\\lyncdr-backup DISABLE".to_owned()
            ),
            (
                "finish.enable-nightly-backup".to_owned(),
                "schtasks \\Lync\\lyncdr-backup ENABLE".to_owned()
            ),
        ]
    );
    let order = started(dir);
    assert_eq!(order.first().map(String::as_str), Some("disable-nightly-backup"));
    assert_eq!(
        order.last().map(String::as_str),
        Some("finish.enable-nightly-backup")
    );

    // A task this server does not hold: the recovery stops before anything else ran.
    let t = recovery();
    let dir = t.path();
    let out = expect_code(dir, &args(&named), &[("LYNCSHELL_TASKS", "other-task")], Some(5));
    assert_eq!(status_of(dir, "disable-nightly-backup"), "failed");
    assert_eq!(started(dir), ["disable-nightly-backup"]);
    let output = step_record(dir, "disable-nightly-backup")["commands"][0]["output"].to_string();
    assert!(
        output.contains("ERROR: The system cannot find the file specified."),
        "{output}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // No task named: both steps skipped with the reason, schtasks never started.
    let t = recovery();
    let dir = t.path();
    expect_code(dir, &args(&[]), &[], Some(0));
    assert!(schtasks(dir).is_empty());
    for step in ["disable-nightly-backup", "finish.enable-nightly-backup"] {
        assert_eq!(status_of(dir, step), "skipped", "{step}");
    }
    let plan = planned_step("backend-restore", "disable-nightly-backup");
    assert_eq!(plan["reason"], "`backups.task_name` is not set", "{plan}");
}

/// The planned step `step` of `runbook` for the example environment (`plan --format json`).
fn planned_step(runbook: &str, step: &str) -> serde_json::Value {
    example_plan(runbook, &[])["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == step).cloned())
        .unwrap_or_else(|| panic!("{runbook} has no step {step}"))
}

/// The opening steps belong to the runbook run, not to one it includes: a CMS move disables
/// the task once, at its start, though the rgs-restore it includes opens with the same step.
#[test]
fn an_included_runbook_does_not_pause_the_task_again() {
    for runbook in ["backend-restore", "cms-move", "cms-restore", "rgs-restore"] {
        let plan = example_plan(runbook, &["--set", "backups.task_name=lyncdr-backup"]);
        let ids: Vec<&str> = plan["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        let pauses: Vec<&&str> = ids
            .iter()
            .filter(|i| i.ends_with("disable-nightly-backup"))
            .collect();
        assert_eq!(pauses, [&"disable-nightly-backup"], "{runbook}: {ids:?}");
        assert_eq!(ids.first(), Some(&"disable-nightly-backup"), "{runbook}");
        assert_eq!(ids.last(), Some(&"finish.enable-nightly-backup"), "{runbook}");
    }
}

/// Issue 17 item 10 (what `finish` itself does): its baseline is taken with the backup
/// runbook's own steps into one folder of the run in the baseline subfolder of `backups.folder`,
/// never among the nightly sets, decided once and handed to every step as a value: no step
/// looks for "the newest folder" again (which once picked a nightly set and wrote into it, and
/// would pick another run's folder after a resume); lyncdr then seals it.
#[test]
fn the_finish_baseline_never_lands_among_the_nightly_sets() {
    let folder = r"\\fs01.contoso.com\LyncBackup\baseline\lyncdr-<at run start>";
    let mut seen = 0;
    for (step, phase) in [
        ("open-baseline", "step"),
        ("open-baseline", "check"),
        ("baseline.export-cs-configuration", "step"),
        ("baseline.export-lis-configuration", "step"),
        ("baseline.export-rgs", "step"),
        ("baseline.export-user-data", "step"),
        ("baseline.copy-file-store", "step"),
        ("baseline.backup-rtc", "step"),
        ("baseline.backup-rgsconfig", "step"),
    ] {
        let text = step_text("finish", step, phase, &[]);
        assert!(text.contains(folder), "{step} {phase}: {text}");
        for search in [
            "Get-ChildItem",
            "Sort-Object",
            "Get-Date",
            "'lyncdr-*'",
            "GETDATE",
        ] {
            assert!(!text.contains(search), "{step} {phase} searches: {text}");
        }
        seen += 1;
    }
    assert_eq!(seen, 9);
    // The same file names as a nightly set's (one table), so audit and run find them.
    let rtc = step_text("finish", "baseline.backup-rtc", "step", &[]);
    assert!(rtc.contains(&format!("N'{folder}\\rtc.bak'")), "{rtc}");
    // No template of the library searches for the newest baseline folder either.
    for entry in std::fs::read_dir(repo().join("templates")).expect("templates") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("template");
        assert!(
            !text.contains("finish-*") && !text.contains("lyncdr-*"),
            "{}",
            path.display()
        );
    }
    let runbook = std::fs::read_to_string(repo().join("runbooks/finish.yaml")).expect("finish");
    assert!(!runbook.contains("Get-ChildItem"), "{runbook}");
}

/// Issue 17 item 10 after a CMS move: the pool that serves the users afterwards is the target
/// pool, so cms-move's baseline is that pool's set: its Response Group export named for it (the
/// file audit and `--backup-set` look for in a set of that pool), its File Store copy of that
/// pool's File Store (`file_store.target_share`), and its seal recording it and its Back End. Before, both named the failed pool, so the target pool's `--backup-set` refused
/// the new baseline and the failed pool's took it.
#[test]
fn the_cms_move_baseline_is_a_set_of_the_target_pool() {
    let seal = planned_step("cms-move", "finish.seal-baseline");
    assert_eq!(seal["builtin"]["pool"], "pool02.contoso.com", "{seal}");
    assert_eq!(seal["builtin"]["sql_server"], r"be02.contoso.com\rtc", "{seal}");
    let rgs = step_text("cms-move", "finish.baseline.export-rgs", "step", &[]);
    assert!(rgs.contains(r"\RgsConfig-pool02.contoso.com.zip"), "{rgs}");
    assert!(!rgs.contains("pool01"), "{rgs}");
    // Its File Store copy is of the target pool's File Store: the failed pool's may be gone.
    let copy = step_text("cms-move", "finish.baseline.copy-file-store", "step", &[]);
    assert!(copy.contains(r"'\\fs02.contoso.com\LyncShare'"), "{copy}");
    assert!(!copy.contains("fs01.contoso.com\\LyncShare"), "{copy}");
    // Everywhere else the failed pool is the one that serves the users again.
    let seal = planned_step("backend-restore", "finish.seal-baseline");
    assert_eq!(seal["builtin"]["pool"], "pool01.contoso.com", "{seal}");
    assert_eq!(seal["builtin"]["sql_server"], r"be01.contoso.com\rtc", "{seal}");
    let rgs = step_text("backend-restore", "finish.baseline.export-rgs", "step", &[]);
    assert!(rgs.contains(r"\RgsConfig-pool01.contoso.com.zip"), "{rgs}");
}

/// An included runbook's `when:` reads the keys its inputs were mapped to, as its commands do:
/// in cms-move's baseline the backup runbook's xds and lis backups run where the CMS is after
/// the move (the target Back End, `sql.target_backend`). Compared on the environment's own
/// keys, an environment that names the new CMS instance (`sql.cms` = the target Back End)
/// skipped them, and the baseline had no CMS database.
#[test]
fn an_included_runbooks_condition_reads_the_keys_its_inputs_were_mapped_to() {
    let plan = example_plan("cms-move", &["--set", "sql.cms.fqdn=be02.contoso.com"]);
    for id in ["finish.baseline.backup-xds", "finish.baseline.backup-lis"] {
        let step = plan["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("no {id}"));
        assert_eq!(step["skipped"], false, "{step}");
        assert_eq!(step["sql_server"], r"be02.contoso.com\rtc", "{step}");
    }
    // Where nothing is mapped, the condition is the environment's: a pool whose Back End does
    // not hold the CMS skips them.
    let plan = example_plan("backend-restore", &["--set", "sql.cms.fqdn=be09.contoso.com"]);
    let step = plan["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "finish.baseline.backup-xds"))
        .expect("backup-xds");
    assert_eq!(step["skipped"], true, "{step}");
}

/// Issue 17 item 10 through the stand-in, whose `Test-Path` answers from this host's disk under
/// `LYNCSHELL_DISK`: open-baseline makes this run's folder (its check fails before and passes
/// after) and writes nothing into a folder sealed already.
#[test]
fn open_baseline_makes_the_folder_and_refuses_a_sealed_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sets = dir.path().join("sets");
    std::fs::create_dir(&sets).expect("sets");
    let root = crate::builder::windows_path(&sets);
    let folder = format!("backups.folder={root}");
    // The run's start, as `lyncdr run` names it.
    let stamp = "lyncdr-20261208-010000Z";
    let text = |phase: &str| {
        step_text("finish", "open-baseline", phase, &["--set", &folder])
            .replace("lyncdr-<at run start>", stamp)
    };
    let env = [("LYNCSHELL_DISK", root.as_str())];
    let made = sets.join("baseline").join(stamp);
    let ran = run_text(dir.path(), "open-baseline", "check", &text("check"), &env);
    expect(&ran, false, &["is not there"]);
    let ran = run_text(dir.path(), "open-baseline", "step", &text("step"), &env);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(made.is_dir(), "{}", ran.stdout);
    let ran = run_text(dir.path(), "open-baseline", "check", &text("check"), &env);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    std::fs::write(made.join("COMPLETE"), "").expect("COMPLETE");
    let ran = run_text(dir.path(), "open-baseline", "step", &text("step"), &env);
    expect(&ran, false, &["is sealed already"]);
}

/// The baseline folder is a value like any other: a hostile `backups.folder` (a quote, `$(...)`,
/// a `]`) stays one literal in PowerShell and in T-SQL.
#[test]
fn a_hostile_backups_folder_is_one_literal_in_the_baseline_steps() {
    let root = r"C:\Back'ups $(Remove-Item x) ]; DROP";
    let set = format!("backups.folder={root}");
    let path = format!(r"{root}\baseline\lyncdr-<at run start>");
    for (step, phase) in [
        ("open-baseline", "step"),
        ("open-baseline", "check"),
        ("baseline.export-cs-configuration", "step"),
        ("baseline.export-rgs", "step"),
    ] {
        let text = step_text("finish", step, phase, &["--set", &set]);
        let errors = crate::powershell::errors(&text);
        assert!(errors.is_empty(), "{errors:?} in {text}");
        assert!(
            crate::powershell::verbatim_strings(&text)
                .iter()
                .any(|s| s.starts_with(&path)),
            "{step} {phase}: {path} lost in {text}"
        );
    }
    let sql = step_text("finish", "baseline.backup-rtc", "step", &["--set", &set]);
    let literal = format!("N'{}\\rtc.bak'", path.replace('\'', "''"));
    assert!(sql.contains(&literal), "{sql}");
}
