//! Deployments unlike the example: a Back End on the SQL Server default instance, and names that
//! are not ASCII (a backup folder `Zürich`, a deployment `Société Générale`). Each plans, bundles
//! and runs against the stand-in shell, every PowerShell script parses and every value stays one
//! literal. What a procedure does not cover (`requires:`) is refused, naming the key.

use crate::builder::OutputRetried as _;
use crate::builder::{RUNBOOKS, Test, repo};
use crate::powershell;
use crate::standin::{lync_shell, read_log};
use lyncdr::bundle::Bundle;
use lyncdr::env::Environment;
use lyncdr::render::plan::{Plan, RenderedCommand};
use lyncdr::runbook::{Language, Library};
use lyncdr::source::SourceFile;
use std::path::Path;
use std::process::Command;

fn example() -> String {
    std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example")
}

/// The example with both Back Ends on the default instance.
fn default_instance() -> String {
    let text = example().replace("    instance: rtc", "    instance: MSSQLSERVER");
    assert_eq!(text.matches("MSSQLSERVER").count(), 3);
    text
}

/// The user data export's folder: `Ñ` is UTF-8 `C3 91`, which code page 1252 reads as `Ã‘`, a
/// curly quote that ends a PowerShell literal: a script without a byte order mark breaks.
const USER_DATA: &str = r"C:\Backups\Zürich\ESPAÑA\SavedUserData.xml";

/// The example with its backups in `C:\Backups\Zürich` and an accented deployment name.
fn non_ascii() -> String {
    let text = example()
        .replace(
            "deployment: Contoso Lync Server 2010 (Redmond)",
            "deployment: Société Générale",
        )
        .replace(r"'C:\Backups\", r"'C:\Backups\Zürich\")
        .replace(r"C:\Lync Backups\SavedUserData.xml", USER_DATA);
    assert!(text.contains("Société") && text.contains(USER_DATA));
    text
}

fn plan(env_text: &str, runbook: &str, sets: &[&str]) -> Result<Plan, String> {
    let lib = Library::load(None, None).expect("built-in library");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let env = Environment::parse(SourceFile::new("env.yaml", None, env_text.to_owned()), &sets)
        .map_err(|d| d.to_string())?;
    Plan::build(lib.get(runbook).expect("runbook"), &env, &lib.templates).map_err(|d| d.to_string())
}

fn bundle(env_text: &str, runbook: &str, sets: &[&str]) -> Bundle {
    let lib = Library::load(None, None).expect("built-in library");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let env = Environment::parse(SourceFile::new("env.yaml", None, env_text.to_owned()), &sets)
        .expect("environment");
    let rb = lib.get(runbook).expect("runbook");
    let plan = Plan::build(rb, &env, &lib.templates).expect("plan");
    Bundle::build(&plan, rb, &env).expect("bundle")
}

/// Every command and check of every step, with its step id.
fn commands(p: &Plan) -> Vec<(&str, &RenderedCommand)> {
    p.steps
        .iter()
        .flat_map(|s| s.commands.iter().chain(&s.verify).map(|c| (s.id.as_str(), c)))
        .collect()
}

fn command<'p>(p: &'p Plan, needle: &str) -> &'p str {
    commands(p)
        .into_iter()
        .map(|(_, c)| c.text.as_str())
        .find(|t| t.contains(needle))
        .unwrap_or_else(|| panic!("no command with {needle}"))
}

/// Every PowerShell command parses; every T-SQL one lexes.
/// The rendered check of the step that sets the service control point.
fn store_location_check(p: &Plan) -> String {
    p.steps
        .iter()
        .filter_map(|s| s.verify.as_ref())
        .find(|v| v.text.contains("Get-CsConfigurationStoreLocation"))
        .map(|v| v.text.clone())
        .expect("store location check")
}

fn all_parse(p: &Plan, at: &str) {
    for (step, c) in commands(p) {
        match c.language {
            Language::Powershell => {
                let errors = powershell::errors(&c.text);
                assert!(errors.is_empty(), "{at}/{step}: {errors:?}\n{}", c.text);
            }
            Language::Sql => {
                powershell::sql_tokens(&c.text).unwrap_or_else(|e| panic!("{at}/{step}: {e}"));
            }
            Language::Cmd => {}
        }
    }
}

// ---------------------------------------------------------------- the default instance

#[test]
fn a_default_instance_plans_without_an_instance_name() {
    let env = default_instance();
    for runbook in RUNBOOKS {
        for option in ["A", "B"] {
            let p = plan(&env, runbook, &[&format!("options.user_data_restore={option}")])
                .unwrap_or_else(|e| panic!("{runbook}: {e}"));
            all_parse(&p, runbook);
            for (step, c) in commands(&p) {
                assert!(
                    !c.text.contains("-SqlInstanceName")
                        && !c.text.contains(r"be01.contoso.com\")
                        && !c.text.contains(r"be02.contoso.com\")
                        && !c.text.contains("MSSQL$"),
                    "{runbook}/{step} names an instance:\n{}",
                    c.text
                );
            }
        }
    }
    let p = plan(&env, "cms-restore", &["options.user_data_restore=A"]).expect("plan");
    assert_eq!(
        command(&p, "-CentralManagementDatabase"),
        "Install-CsDatabase -CentralManagementDatabase -SqlServerFqdn 'be01.contoso.com' -Verbose"
    );
    assert_eq!(
        command(&p, "Set-CsConfigurationStoreLocation"),
        "Set-CsConfigurationStoreLocation -SqlServerFqdn 'be01.contoso.com' -Verbose"
    );
    assert!(command(&p, "Get-Service").contains("$service = 'MSSQLSERVER'\n"));
    // The service control point names the server alone for the default instance.
    let store = store_location_check(&p);
    assert!(store.contains("$expected = 'be01.contoso.com'\n"), "{store}");
    assert_eq!(
        p.step("rtc.restore-rtc-sql")
            .and_then(|s| s.sql_server.as_deref()),
        Some("be01.contoso.com")
    );
    let p = plan(&env, "backend-restore", &["options.user_data_restore=B"]).expect("plan");
    assert!(
        powershell::verbatim_strings(command(&p, "/import"))
            .contains(&"/sqlserver:be01.contoso.com".to_owned())
    );
    let cmd = commands(&p)
        .into_iter()
        .find(|(_, c)| c.alternative)
        .map(|(_, c)| c.text.clone())
        .unwrap_or_default();
    assert!(
        lyncdr::escape::split_windows_args(&cmd).contains(&"/sqlserver:be01.contoso.com".to_owned()),
        "{cmd}"
    );
}

#[test]
fn a_named_instance_still_renders_its_name() {
    let p = plan(&example(), "cms-restore", &["options.user_data_restore=A"]).expect("plan");
    assert!(command(&p, "-CentralManagementDatabase").contains(" -SqlInstanceName 'rtc' "));
    assert!(command(&p, "Get-Service").contains("$service = 'MSSQL$' + 'rtc'"));
    assert_eq!(
        p.step("rtc.restore-rtc-sql")
            .and_then(|s| s.sql_server.as_deref()),
        Some(r"be01.contoso.com\rtc")
    );
}

#[test]
fn the_default_instance_is_spelled_in_any_case_and_default_is_refused() {
    let env = example().replace("    instance: rtc", "    instance: mssqlserver");
    let p = plan(&env, "cms-restore", &[]).expect("plan");
    assert!(command(&p, "Get-Service").contains("$service = 'MSSQLSERVER'\n"));
    // The service control point names the server alone for the default instance.
    let store = store_location_check(&p);
    assert!(store.contains("$expected = 'be01.contoso.com'\n"), "{store}");
    let e = plan(&example(), "cms-restore", &["sql.backend.instance=default"]).expect_err("refused");
    assert!(
        e.contains("`sql.backend.instance`") && e.contains("MSSQLSERVER"),
        "{e}"
    );
}

#[test]
fn a_default_instance_bundles() {
    let b = bundle(
        &default_instance(),
        "backend-restore",
        &["options.user_data_restore=A"],
    );
    for f in b.files.iter().filter(|f| f.name.ends_with(".ps1")) {
        let text = String::from_utf8(f.bytes.clone()).expect("UTF-8");
        assert!(powershell::errors(&text).is_empty(), "{}", f.name);
        assert!(!text.contains(r"be01.contoso.com\"), "{}", f.name);
    }
    let chaining = b.text("11-rtc.enable-db-chaining.ps1").expect("chaining script");
    assert!(
        chaining.contains("& $sqlcmd[0].Definition -S 'be01.contoso.com' -E -b -x -i "),
        "{chaining}"
    );
    let restore = b.text("10-rtc.restore-rtc-sql.ps1").expect("restore script");
    assert!(
        restore.contains("'Data Source=' + 'be01.contoso.com' + ';"),
        "SqlClient connects to the default instance by the FQDN alone: {restore}"
    );
}

// ---------------------------------------------------------------- names that are not ASCII

#[test]
fn names_that_are_not_ascii_plan_as_one_literal_each() {
    let env = non_ascii();
    for runbook in RUNBOOKS {
        for option in ["A", "B"] {
            let p = plan(&env, runbook, &[&format!("options.user_data_restore={option}")])
                .unwrap_or_else(|e| panic!("{runbook}: {e}"));
            assert_eq!(p.deployment.as_deref(), Some("Société Générale"));
            all_parse(&p, runbook);
        }
    }
    let p = plan(&env, "backend-restore", &["options.user_data_restore=A"]).expect("plan");
    let import = command(&p, "/import");
    assert!(
        powershell::verbatim_strings(import).contains(&format!("/hrxmlfile:{USER_DATA}")),
        "{import}"
    );
    // The backup path reaches SQL Server as a SqlClient parameter: one PowerShell literal.
    assert!(
        powershell::verbatim_strings(command(&p, "RESTORE DATABASE"))
            .contains(&r"C:\Backups\Zürich\rtc.bak".to_owned())
    );
    // cmd.exe reads its line in the console's code page: its form says why it is not there.
    let cmd = commands(&p)
        .into_iter()
        .find(|(_, c)| c.alternative)
        .map(|(_, c)| c.text.clone())
        .unwrap_or_default();
    assert!(
        cmd.starts_with("REM Not available: the value of `backups.user_data` is not ASCII"),
        "{cmd}"
    );
}

#[test]
fn look_alike_quotes_and_dashes_are_still_refused_naming_the_key() {
    for (bad, what) in [
        ("C:\\Backups\\O\u{2019}Brien\\rtc.bak", "curly single quote"),
        ("C:\\Backups\\a\u{2013}b\\rtc.bak", "dash that is not `-`"),
    ] {
        let e = plan(
            &non_ascii(),
            "backend-restore",
            &[&format!("backups.rtc_database={bad}")],
        )
        .expect_err("refused");
        assert!(e.contains("`backups.rtc_database`") && e.contains(what), "{e}");
    }
    let env = non_ascii().replace("Société Générale", "Soci\u{201C}t\u{00E9}\u{201D}");
    let e = plan(&env, "backend-restore", &[]).expect_err("refused");
    assert!(
        e.contains("`deployment`") && e.contains("env.yaml:2:") && e.contains("curly double quote"),
        "{e}"
    );
}

#[test]
fn names_that_are_not_ascii_bundle_as_utf8_with_a_bom() {
    for option in ["A", "B"] {
        let b = bundle(
            &non_ascii(),
            "backend-restore",
            &[&format!("options.user_data_restore={option}")],
        );
        for f in b.files.iter().filter(|f| f.name.ends_with(".ps1")) {
            let text = if let Some(rest) = f.bytes.strip_prefix(b"\xEF\xBB\xBF") {
                String::from_utf8(rest.to_vec()).expect("UTF-8")
            } else {
                assert!(f.bytes.is_ascii(), "{}: not ASCII and no BOM", f.name);
                String::from_utf8(f.bytes.clone()).expect("ASCII")
            };
            assert!(powershell::errors(&text).is_empty(), "{}", f.name);
        }
        let driver = b.file("Invoke-Recovery.ps1").expect("driver");
        assert!(driver.bytes.starts_with(b"\xEF\xBB\xBF"), "the driver has no BOM");
        assert!(String::from_utf8_lossy(&driver.bytes).contains("Société Générale"));
    }
    let b = bundle(&non_ascii(), "backend-restore", &["options.user_data_restore=A"]);
    let restore = b.file("10-rtc.restore-rtc-sql.ps1").expect("restore script");
    assert!(
        restore.bytes.starts_with(b"\xEF\xBB\xBF"),
        "a non-ASCII path: UTF-8 with a BOM"
    );
}

// ---------------------------------------------------------------- what a runbook requires

#[test]
fn backend_restore_refuses_standard_edition_naming_the_key() {
    let env = example().replace("edition: enterprise", "edition: standard");
    Test::new()
        .file("env.yaml", &env)
        .args(["plan", "backend-restore", "--env", "env.yaml"])
        .run()
        .status(65)
        .stderr_has("error: runbook `backend-restore` requires `edition == enterprise`, but `edition` is `standard`\n  --> env.yaml:3:10")
        .stderr_has("Standard Edition");
    Test::new()
        .file("env.yaml", &example())
        .args([
            "plan",
            "backend-restore",
            "--env",
            "env.yaml",
            "--set",
            "edition=standard",
        ])
        .run()
        .status(65)
        .stderr_has("but `edition` is `standard` (from --set)");
    // So does cms-restore (issue 19 item 14: its procedure rebuilds an Enterprise Edition Back
    // End); the other runbooks cover Standard Edition.
    Test::new()
        .file("env.yaml", &env)
        .args(["plan", "cms-restore", "--env", "env.yaml"])
        .run()
        .status(65)
        .stderr_has("runbook `cms-restore` requires `edition == enterprise`");
    Test::new()
        .file("env.yaml", &env)
        .args(["plan", "rgs-restore", "--env", "env.yaml"])
        .run()
        .success();
}

#[test]
fn a_requirement_is_checked_when_the_runbook_is_loaded() {
    let runbook = "id: x\ntitle: X\nsummary: x\nsource: x\nrequires:\n  - condition: edition == basic\n    reason: x\nsteps:\n  - id: a\n    title: A\n    runs_on: operator\n    explanation: x\n    manual: true\n";
    Test::new()
        .file("x.yaml", runbook)
        .args(["validate", "x.yaml"])
        .run()
        .status(65)
        .stderr_has("invalid condition `edition == basic`")
        .stderr_has("x.yaml:6:16");
}

// ---------------------------------------------------------------- runs

// The runs use the stand-in, a Unix program (tests/standin.rs).

/// A folder with `env_text` as `env.yaml` and the backups backend-restore needs.
fn recovery(env_text: &str) -> Test {
    let t = Test::new().file("env.yaml", env_text);
    let b = t.path().join("backups");
    std::fs::create_dir_all(&b).expect("mkdir");
    let yesterday = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    std::fs::write(b.join("rtc.bak"), crate::audit::sql_backup("rtc", yesterday)).expect("bak");
    std::fs::write(b.join("SavedUserData.xml"), "\u{feff}<HomedResources/>").expect("xml");
    let t30024 = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(30);
    let xml = lyncdr::run::evidence::event_xml(
        30024,
        "LS User Replicator",
        &t30024.to_string(),
        "fe01.contoso.com",
    );
    std::fs::write(t.path().join("30024.xml"), xml).expect("evidence");
    t
}

/// `lyncdr run backend-restore --yes` with option `option`, Response Group off (its contact
/// deletion asks questions): the stand-in's log.
fn run(dir: &Path, option: &str) -> Vec<crate::standin::Event> {
    let shell = lync_shell();
    let out = Command::new(crate::builder::lyncdr_bin())
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LYNCDR_OPERATOR", "Test Operator")
        .env("LYNCSHELL_LOG", dir.join("shell.log"))
        .args([
            "run",
            "backend-restore",
            "--env",
            "env.yaml",
            "--state",
            "state.json",
        ])
        .arg("--powershell")
        .arg(&shell)
        .arg("--sqlcmd")
        .arg(&shell)
        .args(["--backups", "backups", "--yes", "--evidence", "30024.xml"])
        .args(["--set", "features.response_group=false", "--set"])
        .arg(format!("options.user_data_restore={option}"))
        .arg("--set")
        .arg(crate::builder::local_baselines(dir))
        .output_retried()
        .expect("run lyncdr");
    let log = read_log(&dir.join("shell.log"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}\nlog: {log:#?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    log
}

#[test]
fn a_default_instance_runs_with_sqlcmd_on_the_fqdn_alone() {
    let t = recovery(&default_instance());
    let log = run(t.path(), "A");
    let servers: Vec<&str> = log
        .iter()
        .filter(|e| e.event == "start" && e.detail.starts_with("sqlcmd "))
        .map(|e| e.detail.as_str())
        .collect();
    assert!(!servers.is_empty(), "{log:#?}");
    assert!(
        servers.iter().all(|s| *s == "sqlcmd server=be01.contoso.com"),
        "{servers:?}"
    );
}

#[test]
fn names_that_are_not_ascii_run() {
    let t = recovery(&non_ascii());
    let log = run(t.path(), "B");
    // DBImpExp.exe was started: its path and the `Ñ` in the export's stayed inside their literals.
    assert!(
        log.iter().any(|e| e.step == "import-user-data"
            && e.event == "native"
            && e.detail == "DBImpExp.exe exit 0"),
        "{log:#?}"
    );
    let t = recovery(&non_ascii());
    let log = run(t.path(), "A");
    assert!(
        log.iter()
            .any(|e| e.step == "rtc.restore-rtc-sql" && e.event == "exit" && e.detail == "0"),
        "{log:#?}"
    );
}
