//! The exit codes: one table (`lyncdr::front::exit::TABLE`), printed by `--help` and repeated in
//! README, and every row of it produced here by a run of lyncdr that ends that way. A row
//! without a scenario fails the test; so does a scenario that ends with another code.

use crate::audit::Backups;
use crate::builder::{Run, Test, repo};
use lyncdr::front::exit;

#[test]
fn help_and_readme_list_every_exit_code_as_the_table_says() {
    let help = Test::new().args(["--help"]).run().success().stdout;
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let section = readme
        .split("### Exit codes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has an Exit codes section");
    let rows: Vec<(u8, String)> = section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            Some((code, cells.get(2)?.replace('`', "")))
        })
        .collect();
    let table: Vec<(u8, String)> = exit::TABLE.iter().map(|(c, m)| (*c, (*m).to_owned())).collect();
    assert_eq!(
        rows, table,
        "README's exit codes differ from lyncdr::front::exit::TABLE"
    );
    // clap wraps long lines to the terminal's width: compare with whitespace collapsed.
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for (code, meaning) in exit::TABLE {
        let meaning = meaning.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&format!("{code} {meaning}")),
            "--help lacks exit code {code}:\n{help}"
        );
    }
}

/// Issue 18: `audit --help` said "3 usage or I/O error", a code lyncdr never uses. Every
/// subcommand's help that names exit codes names them as the table does, and only codes in it.
#[test]
fn every_subcommand_help_names_exit_codes_from_the_table() {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let table: Vec<String> = exit::TABLE
        .iter()
        .map(|(c, m)| flat(&format!("{c} {m}")))
        .collect();
    for cmd in ["run", "audit", "backup", "status", "resolve", "bundle", "plan"] {
        let help = Test::new().args([cmd, "--help"]).run().success().stdout;
        let Some((_, codes)) = help.split_once("Exit codes:") else {
            assert!(
                !help.contains("xit code"),
                "`{cmd} --help` names exit codes outside the table's list:\n{help}"
            );
            continue;
        };
        let codes = codes.split("\n\n").next().unwrap_or("");
        // One row per code: a line starting with a number (clap may wrap a long row).
        let mut rows: Vec<String> = Vec::new();
        for line in codes.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match rows.last_mut() {
                Some(row) if !line.starts_with(|c: char| c.is_ascii_digit()) => {
                    row.push(' ');
                    row.push_str(line);
                }
                _ => rows.push(line.to_owned()),
            }
        }
        assert!(!rows.is_empty(), "`{cmd} --help`:\n{help}");
        for row in rows {
            assert!(
                table.contains(&flat(&row)),
                "`{cmd} --help` lists `{row}`, which is not a row of the table"
            );
        }
    }
}

/// No error that is not a verdict exits with a verdict's code: monitoring that runs `lyncdr
/// audit` can trust 0, 1 and 2.
#[test]
fn errors_never_share_a_code_with_an_audit_verdict() {
    let verdicts = [exit::SUCCESS, exit::DEGRADED, exit::NOT_READY];
    let codes: Vec<u8> = exit::TABLE.iter().map(|(c, _)| *c).collect();
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(codes, unique, "one row per code, in order");
    for code in [
        exit::USAGE,
        exit::INVALID,
        exit::NO_INPUT,
        exit::CANNOT_WRITE,
        exit::BUSY,
    ] {
        assert!(!verdicts.contains(&code) && code >= 64, "{code}");
    }
}

/// The rows `run` produces, against the stand-in Management Shell: Unix only, like the run
/// tests they share their set-up with.
#[cfg(unix)]
mod runs {
    use crate::builder::{Run, Test};
    pub(super) use crate::run::{recovery, run_args};
    use crate::standin::read_log;
    use std::time::{Duration, Instant};

    /// Run lyncdr in `t`'s folder (the stand-in's log beside it), without a terminal.
    pub fn in_folder(t: &Test, args: &[String], envs: &[(&str, &str)]) -> Run {
        let out = std::process::Command::new(crate::builder::lyncdr_bin())
            .current_dir(t.path())
            .env("NO_COLOR", "1")
            .env("LYNCDR_OPERATOR", "Test Operator")
            .env("LYNCSHELL_LOG", t.path().join("shell.log"))
            .envs(envs.iter().copied())
            .args(args)
            .output()
            .expect("run lyncdr");
        Run::from(out)
    }

    /// `rgs-restore --yes` whose contact listing fails: exit 5, a state with one failed step.
    pub fn failing_run(t: &Test) -> Run {
        in_folder(
            t,
            &run_args("rgs-restore", &["--yes"]),
            &[(
                "LYNCSHELL_FAIL",
                "list-rgs-contacts/step/Get-CsApplicationContact",
            )],
        )
    }

    /// Ctrl-C while a command runs: the terminal sends SIGINT to lyncdr's process group.
    pub fn interrupted_run() -> Run {
        use std::os::unix::process::CommandExt as _;
        let t = recovery();
        let child = std::process::Command::new(crate::builder::lyncdr_bin())
            .current_dir(t.path())
            .env("NO_COLOR", "1")
            .env("LYNCDR_OPERATOR", "Test Operator")
            .env("LYNCSHELL_LOG", t.path().join("shell.log"))
            .env("LYNCSHELL_BLOCK", "list-rgs-contacts/step")
            .args(run_args("rgs-restore", &["--yes"]))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("spawn lyncdr");
        let start = Instant::now();
        while !read_log(&t.path().join("shell.log"))
            .iter()
            .any(|e| e.step == "list-rgs-contacts" && e.event == "blocked")
        {
            assert!(start.elapsed() < Duration::from_secs(30), "never blocked");
            std::thread::sleep(Duration::from_millis(20));
        }
        let group = format!("-{}", child.id());
        let kill = std::process::Command::new("kill")
            .args(["-INT", "--", &group])
            .status()
            .expect("kill");
        assert!(kill.success());
        let out = child.wait_with_output().expect("wait");
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn audit(b: &Backups, extra: &[&str]) -> Run {
    let dir = b.dir.path().display().to_string();
    Test::new()
        .args(["audit", dir.as_str()])
        .args(extra.iter().copied())
        .run()
}

/// A run of lyncdr that ends with `code`, and what it must have said.
fn produce(code: u8) -> Option<(Run, &'static str)> {
    #[cfg(unix)]
    use runs::*;
    Some(match code {
        exit::SUCCESS => (Test::new().args(["list"]).run(), "cms-move"),
        exit::DEGRADED => {
            let b = Backups::complete();
            b.remove("sql/rtc_backup_2024_05_07.bak");
            (audit(&b, &[]), "Result: degraded (exit 1)")
        }
        exit::NOT_READY => {
            let b = Backups::complete();
            b.remove("sql/rtc_backup_2024_05_07.bak").remove("UserData.xml");
            (audit(&b, &[]), "Result: not ready (exit 2)")
        }
        #[cfg(unix)]
        exit::DECISION => {
            let t = recovery();
            assert_eq!(failing_run(&t).status, i32::from(exit::FAILED));
            let path = t.path().join("contoso.yaml");
            let text = std::fs::read_to_string(&path).expect("env");
            let edited = text.replace("failed: pool01.contoso.com", "failed: pool03.contoso.com");
            std::fs::write(&path, edited).expect("edit env");
            (
                in_folder(&t, &run_args("rgs-restore", &["--yes"]), &[]),
                "changed since this run was checkpointed",
            )
        }
        #[cfg(unix)]
        exit::PREREQUISITE => {
            let t = recovery();
            (
                in_folder(&t, &run_args("backend-restore", &["--dry-run"]), &[]),
                "prerequisite(s) are not met now",
            )
        }
        #[cfg(unix)]
        exit::FAILED => (failing_run(&recovery()), "step `list-rgs-contacts` failed"),
        #[cfg(unix)]
        exit::NEEDS_CONSOLE => (
            in_folder(&recovery(), &run_args("cms-move", &["--yes"]), &[]),
            "there is no terminal to answer them",
        ),
        exit::USAGE => {
            let b = Backups::complete();
            // A bad option value of the audit was an I/O error (3) before.
            (audit(&b, &["--max-age", "soon"]), "--max-age")
        }
        exit::INVALID => (
            Test::new()
                .file("broken.yaml", "deployment: [\n")
                .args(["plan", "cms-move", "--env", "broken.yaml"])
                .run(),
            "broken.yaml",
        ),
        exit::NO_INPUT => (
            Test::new().args(["audit", "not-there"]).run(),
            "backup folder `not-there` does not exist",
        ),
        #[cfg(unix)]
        exit::CANNOT_WRITE => {
            // The state file's folder cannot be made (a file is in the way): was "invalid" (2).
            let t = recovery().file("blocker", "a file, not a folder");
            let mut args = run_args("rgs-restore", &["--yes"]);
            let at = args.iter().position(|a| a == "state.json").expect("--state");
            args[at] = "blocker/state.json".into();
            (in_folder(&t, &args, &[]), "cannot write state file")
        }
        #[cfg(unix)]
        exit::BUSY => {
            let t = recovery();
            let _held = lyncdr::run::state::lock(&t.path().join("state.json")).expect("lock");
            (
                in_folder(&t, &run_args("rgs-restore", &["--yes"]), &[]),
                "another lyncdr run is using `state.json`",
            )
        }
        #[cfg(unix)]
        exit::INTERRUPTED => (interrupted_run(), "Interrupted (Ctrl-C)"),
        #[cfg(not(unix))]
        exit::DECISION
        | exit::PREREQUISITE
        | exit::FAILED
        | exit::NEEDS_CONSOLE
        | exit::CANNOT_WRITE
        | exit::BUSY
        | exit::INTERRUPTED => return None,
        other => panic!("no test produces exit code {other}: add its scenario here"),
    })
}

/// Every row of the table, produced by lyncdr ending that way.
#[test]
fn every_exit_code_is_produced_as_the_table_says() {
    for (code, meaning) in exit::TABLE {
        let Some((run, says)) = produce(code) else {
            continue; // a row of `run`, produced on Unix
        };
        assert_eq!(
            run.status,
            i32::from(code),
            "exit code {code} ({meaning})\nstdout:\n{}\nstderr:\n{}",
            run.stdout,
            run.stderr
        );
        assert!(
            run.stdout.contains(says) || run.stderr.contains(says),
            "exit code {code}: output lacks {says:?}\nstdout:\n{}\nstderr:\n{}",
            run.stdout,
            run.stderr
        );
    }
}

/// `audit --format json` that cannot audit prints a JSON error on stdout (monitoring reads
/// stdout), with the exit code, besides the message on stderr.
#[test]
fn audit_json_on_a_missing_folder_prints_a_json_error() {
    let run = Test::new()
        .args(["audit", "not-there", "--format", "json"])
        .run()
        .status(i32::from(exit::NO_INPUT))
        .stderr_has("does not exist");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(json["ok"], false, "{json}");
    let json = &json["error"];
    assert_eq!(json["exit_code"], exit::NO_INPUT, "{json}");
    assert_eq!(
        json["message"], "backup folder `not-there` does not exist",
        "{json}"
    );
    // A usage error of the audit is JSON too.
    let run = Test::new()
        .args(["audit", "not-there", "--format", "json", "--max-age", "soon"])
        .run()
        .status(i32::from(exit::USAGE));
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(json["error"]["exit_code"], exit::USAGE, "{json}");
}

/// clap's own usage errors (an unknown option, a missing argument) exit 64 too, never 2;
/// `--help` and `--version` are not errors.
#[test]
fn a_command_line_clap_refuses_is_a_usage_error() {
    Test::new()
        .args(["plan"])
        .run()
        .status(i32::from(exit::USAGE))
        .stderr_has("Usage:");
    Test::new()
        .args(["audit", ".", "--no-such-option"])
        .run()
        .status(i32::from(exit::USAGE));
    Test::new().args(["--version"]).run().success();
}
