//! `lyncdr plan`: every rendered command is well-formed, ASCII and fully rendered; the text and
//! JSON plans for the example environment are pinned by snapshots.

use crate::builder::{RUNBOOKS, Test, example_env, repo};
use crate::powershell;
use crate::source_mapping::plan_json;
use lyncdr::escape::split_windows_args;
use serde_json::Value;

fn commands(plan: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for s in plan["steps"].as_array().expect("steps") {
        let id = s["id"].as_str().unwrap_or("").to_owned();
        for c in s["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(s.get("verify").filter(|v| v.is_object()))
        {
            out.push((
                id.clone(),
                c["language"].as_str().unwrap_or("").to_owned(),
                c["text"].as_str().unwrap_or("").to_owned(),
            ));
        }
    }
    out
}

#[test]
fn every_command_parses_is_ascii_and_fully_rendered() {
    for runbook in RUNBOOKS {
        for option in ["A", "B"] {
            let plan = plan_json(
                runbook,
                &["--set", &format!("options.user_data_restore={option}")],
            );
            let cmds = commands(&plan);
            assert!(!cmds.is_empty(), "{runbook}");
            for (step, language, text) in cmds {
                assert!(text.is_ascii(), "{runbook}/{step}: not ASCII:\n{text}");
                assert!(
                    !text.contains("{{") && !text.contains("}}"),
                    "{runbook}/{step}: unrendered:\n{text}"
                );
                for bad in ['\u{2013}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}'] {
                    assert!(!text.contains(bad));
                }
                match language.as_str() {
                    "powershell" => {
                        let errors = powershell::errors(&text);
                        assert!(
                            errors.is_empty(),
                            "{runbook}/{step}: PowerShell does not parse: {errors:?}\n{text}"
                        );
                    }
                    "sql" => {
                        powershell::sql_tokens(&text).unwrap_or_else(|e| panic!("{runbook}/{step}: {e}"));
                    }
                    "cmd" => assert!(!split_windows_args(&text).is_empty()),
                    other => panic!("{runbook}/{step}: unknown language {other}"),
                }
            }
        }
    }
}

#[test]
fn json_plan_has_the_documented_shape() {
    let plan = plan_json("backend-restore", &[]);
    assert_eq!(plan["runbook"], "backend-restore");
    for s in plan["steps"].as_array().expect("steps") {
        assert!(s["id"].is_string() && s["title"].is_string() && s["skipped"].is_boolean());
        assert!(s["reason"].is_null() || s["reason"].is_string());
        assert!(s["commands"].is_array());
    }
    // Option B is chosen in the example: option A's SQL restore is skipped, with its command kept.
    let restore = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == "rtc.restore-rtc-sql")
        .expect("step");
    assert_eq!(restore["skipped"], true);
    assert!(
        restore["reason"]
            .as_str()
            .unwrap_or("")
            .contains("options.user_data_restore")
    );
    assert!(
        restore["commands"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("RESTORE DATABASE [rtc]")
    );
}

/// The user-data export path of the example has a space; it must reach DBImpExp.exe intact
/// whether the import is started from PowerShell or from cmd.exe.
#[test]
fn dbimpexp_path_with_spaces_reaches_it_intact() {
    let plan = plan_json(
        "backend-restore",
        &[
            "--set",
            r"backups.user_data=C:\Lync Backups\O'Brien & Co\Saved Data.xml",
        ],
    );
    let import: Vec<_> = commands(&plan)
        .into_iter()
        .filter(|c| c.0 == "import-user-data")
        .collect();
    let expected_arg = r"/hrxmlfile:C:\Lync Backups\O'Brien & Co\Saved Data.xml";
    let ps = import
        .iter()
        .find(|c| c.1 == "powershell")
        .expect("PowerShell form");
    // PowerShell passes each string argument to a native program as one argument.
    assert!(powershell::errors(&ps.2).is_empty(), "{}", ps.2);
    assert!(
        powershell::verbatim_strings(&ps.2).contains(&expected_arg.to_owned()),
        "{}",
        ps.2
    );
    let cmd = import.iter().find(|c| c.1 == "cmd").expect("cmd.exe form");
    let line = cmd
        .2
        .lines()
        .find(|l| l.to_ascii_lowercase().contains("dbimpexp"))
        .expect("command line");
    let args = split_windows_args(line);
    assert!(args.contains(&expected_arg.to_owned()), "{args:?} from {line}");
    assert!(
        args.contains(&r"/sqlserver:be01.contoso.com\rtc".to_owned()),
        "{args:?}"
    );
    // `&` is inside the quotes, so cmd.exe does not split the command there.
    assert_eq!(line.matches('"').count() % 2, 0);
}

/// cmd.exe expands `%NAME%` even inside quotes: a path holding `%` cannot be written for it. The
/// cmd.exe alternative says so, naming the key; the PowerShell form carries the path intact.
#[test]
fn a_percent_sign_is_refused_for_cmd_exe_naming_the_key() {
    let path = r"C:\100%\u.xml";
    let plan = plan_json(
        "backend-restore",
        &["--set", &format!("backups.user_data={path}")],
    );
    let import: Vec<_> = commands(&plan)
        .into_iter()
        .filter(|c| c.0 == "import-user-data")
        .collect();
    let ps = import
        .iter()
        .find(|c| c.1 == "powershell")
        .expect("PowerShell form");
    assert!(
        powershell::verbatim_strings(&ps.2).contains(&format!("/hrxmlfile:{path}")),
        "{}",
        ps.2
    );
    let cmd = import.iter().find(|c| c.1 == "cmd").expect("cmd.exe form");
    assert!(
        cmd.2.starts_with("REM Not available:") && cmd.2.contains("`backups.user_data`"),
        "{}",
        cmd.2
    );
    assert!(
        !cmd.2.contains("dbimpexp") && !cmd.2.contains("DBImpExp.exe\""),
        "{}",
        cmd.2
    );
    assert_eq!(split_windows_args(&cmd.2)[0], "REM");
}

fn snapshot_test(runbook: &str, format: &str) -> String {
    let env = std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example");
    Test::new()
        .file("contoso.yaml", &env)
        .args(["plan", runbook, "--env", "contoso.yaml", "--format", format])
        .run()
        .success()
        .stdout
}

#[test]
fn plan_text_snapshots() {
    for runbook in RUNBOOKS {
        insta::assert_snapshot!(format!("plan_text_{runbook}"), snapshot_test(runbook, "text"));
    }
}

#[test]
fn plan_json_snapshot() {
    insta::assert_snapshot!("plan_json_cms-move", snapshot_test("cms-move", "json"));
}

#[test]
fn colour_only_on_a_terminal() {
    let out = Test::new()
        .args(["plan", "rgs-restore", "--env", &example_env()])
        .run()
        .success();
    assert!(!out.stdout.contains('\u{1b}'), "escape codes in piped output");
}

#[test]
fn list_and_show() {
    let out = Test::new().args(["list"]).run().success();
    for id in RUNBOOKS {
        assert!(out.stdout.contains(id));
    }
    Test::new()
        .args(["show", "backend-restore"])
        .run()
        .success()
        .stdout_has("restore-rtc-sql")
        .stdout_has("sql.backend.fqdn");
    Test::new()
        .args(["show", "backend-restor"])
        .run()
        .status(64)
        .stderr_has("did you mean `backend-restore`");
}

#[test]
fn works_from_any_folder_with_the_built_in_runbooks() {
    // The test folder is empty: runbooks and templates come from the binary.
    Test::new()
        .args(["plan", "cms-move", "--env", &example_env()])
        .run()
        .success()
        .stdout_has("Move-CsManagementServer");
}

#[test]
fn own_runbooks_and_templates_folders_replace_the_built_in_ones() {
    let t = Test::new()
        .file("rb/mini.yaml", crate::diagnostics::MINI)
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}");
    let out = t
        .args([
            "--runbooks",
            "rb",
            "--templates",
            "tpl",
            "plan",
            "mini",
            "--env",
            &example_env(),
        ])
        .run()
        .success();
    assert!(
        out.stdout.contains("Get-CsPool -Identity 'pool01.contoso.com'"),
        "{}",
        out.stdout
    );
}

/// At a real terminal the plan is coloured; with NO_COLOR it is not.
#[cfg(unix)] // a pseudo-terminal through expectrl's Unix backend
#[test]
fn colour_at_a_terminal_unless_no_color() {
    use expectrl::{Eof, Expect, Session};
    for no_color in [false, true] {
        let mut cmd = std::process::Command::new(crate::builder::lyncdr_bin());
        cmd.args(["plan", "rgs-restore", "--env", &example_env()])
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let mut p = Session::spawn(cmd).expect("pty");
        p.set_expect_timeout(Some(std::time::Duration::from_secs(10)));
        let out = p.expect(Eof).expect("output");
        let text = String::from_utf8_lossy(out.as_bytes()).into_owned();
        assert!(text.contains("Import-CsRgsConfiguration"), "{text}");
        assert_eq!(
            text.contains("\u{1b}["),
            !no_color,
            "NO_COLOR={no_color}:\n{text}"
        );
    }
}

/// Option A's restore reads the file's backup sets on the SQL server (RESTORE HEADERONLY, the
/// path as a parameter), takes the newest full backup of rtc by its position (WITH FILE = n:
/// without it SQL Server restores the first, oldest set), verifies it first (VERIFYONLY, with
/// CHECKSUM where the backup has page checksums), refuses a second restore of the same set
/// (msdb restore history), and its check shows when the restored backup finished.
#[test]
fn the_rtc_restore_takes_the_newest_full_set_by_its_position() {
    let plan = plan_json("backend-restore", &["--set", "options.user_data_restore=A"]);
    let text_of = |id: &str, what: &str| -> String {
        plan["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| match what {
                "verify" => s["verify"]["text"].as_str().unwrap_or("").to_owned(),
                _ => s["commands"][0]["text"].as_str().unwrap_or("").to_owned(),
            })
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    for id in ["rtc.read-rtc-backup-sets", "rtc.restore-rtc-sql"] {
        let t = text_of(id, "command");
        for needle in [
            "RESTORE HEADERONLY FROM DISK = @file",
            "AddWithValue('@file', 'C:\\Backups\\rtc.bak')",
            "$_.BackupType -eq 1 -and $_.DatabaseName -eq 'rtc'",
            "Sort-Object BackupFinishDate -Descending",
            "$options = 'FILE = ' + [int]$Set.Position",
            "if ($Set.HasBackupChecksums) { $options += ', CHECKSUM' }",
        ] {
            assert!(t.contains(needle), "{id} lacks {needle:?}:\n{t}");
        }
    }
    assert!(
        text_of("rtc.read-rtc-backup-sets", "command").contains("RESTORE VERIFYONLY FROM DISK = @file WITH")
    );
    let restore = text_of("rtc.restore-rtc-sql", "command");
    assert!(restore.contains(
        "RESTORE DATABASE [rtc] FROM DISK = @file WITH REPLACE, ' + (Get-LyncdrVerifyOptions $set)"
    ));
    assert!(restore.contains("msdb.dbo.restorehistory") && restore.contains("b.backup_set_uuid = @set"));
    assert!(text_of("rtc.restore-rtc-sql", "verify").contains("backup_finish_date AS backup_finished"));
}

/// An environment file written before `backups.folder` and `features.health_monitoring` existed
/// still plans every runbook: the new baseline goes beside the old exports, and no sign-in test.
#[test]
fn an_environment_without_the_newer_keys_still_plans() {
    let example = std::fs::read_to_string(crate::builder::repo().join("runbooks/examples/contoso.yaml"))
        .expect("example");
    let old: String = example
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with("folder: '\\\\fs01")
                && !l.trim_start().starts_with("health_monitoring:")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, example, "the example sets both keys");
    for runbook in crate::builder::RUNBOOKS {
        let out = crate::builder::Test::new()
            .file("old.yaml", &old)
            .args(["plan", runbook, "--env", "old.yaml", "--format", "json"])
            .run();
        assert_eq!(out.status, 0, "{runbook}: {}", out.stderr);
        let plan = crate::builder::json_result(&out.stdout);
        let export = plan["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["id"] == "finish.open-baseline")
            .expect("baseline step");
        assert!(
            export["commands"][0]["text"]
                .as_str()
                .unwrap_or("")
                .contains("'C:\\Backups\\baseline\\lyncdr-<at run start>'"),
            "{runbook}"
        );
        let signin = plan["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["id"] == "finish.sign-in-test")
            .expect("sign-in step");
        assert_eq!(signin["skipped"], true);
    }
}
