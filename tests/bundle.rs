//! `lyncdr bundle`: every script parses, uses nothing newer than Windows PowerShell 2.0 and is
//! ASCII with CRLF; SHA256SUMS matches and catches a changed byte; the same inputs give the same
//! bytes; hostile values stay literals; `--out` is never clobbered. Snapshots pin the driver,
//! a step script and the README.

use crate::builder::OutputRetried as _;
use crate::builder::{RUNBOOKS, repo};
use crate::powershell;
use lyncdr::bundle::{self, Bundle, BundleError, ps2, verify_sums};
use lyncdr::env::Environment;
use lyncdr::render::plan::Plan;
use lyncdr::runbook::Library;
use lyncdr::source::SourceFile;
use std::path::Path;

fn example() -> String {
    std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example")
}

fn env(sets: &[&str]) -> Environment {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Environment::parse(SourceFile::new("contoso.yaml", None, example()), &sets).expect("environment")
}

/// The plan of a built-in runbook for the example environment with `sets`, and what the bundle
/// is built from.
fn build_with(
    lib: &Library,
    runbook: &str,
    sets: &[&str],
    edit: impl FnOnce(&mut Plan),
) -> Result<Bundle, BundleError> {
    let env = env(sets);
    let rb = lib.get(runbook).expect("runbook");
    let mut plan = Plan::build(rb, &env, &lib.templates).expect("plan");
    edit(&mut plan);
    Bundle::build(&plan, rb, &env)
}

fn bundle(runbook: &str, sets: &[&str]) -> Bundle {
    let lib = Library::load(None, None).expect("built-in library");
    build_with(&lib, runbook, sets, |_| {}).expect("bundle")
}

fn text(b: &Bundle, name: &str) -> String {
    b.text(name).unwrap_or_else(|| panic!("no {name} in the bundle"))
}

/// Lines as the reviewer sees them (the files are CRLF; snapshots are easier to read in LF).
fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn names(b: &Bundle) -> Vec<&str> {
    b.files.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn every_script_parses_uses_only_powershell_2_and_every_file_is_ascii_crlf() {
    for runbook in RUNBOOKS {
        for option in ["A", "B"] {
            let b = bundle(runbook, &[&format!("options.user_data_restore={option}")]);
            let scripts = names(&b).iter().filter(|n| n.ends_with(".ps1")).count();
            assert!(scripts >= 4, "{runbook}: {:?}", names(&b));
            for f in &b.files {
                let at = format!("{runbook} ({option}) {}", f.name);
                assert!(f.bytes.is_ascii(), "{at}: not ASCII");
                let text = String::from_utf8(f.bytes.clone()).expect("ASCII is UTF-8");
                if f.name == "SHA256SUMS" || f.name == ".gitattributes" {
                    assert!(!text.contains('\r'), "{at}: tool files are LF");
                } else {
                    assert_eq!(
                        text.matches('\n').count(),
                        text.matches("\r\n").count(),
                        "{at}: a line ends without CR"
                    );
                    assert!(!text.replace("\r\n", "").contains('\r'), "{at}: a lone CR");
                }
                if f.name.ends_with(".ps1") {
                    powershell::assert_powershell_2(&at, &text);
                }
                if f.name.ends_with(".sql") {
                    powershell::sql_tokens(&text).unwrap_or_else(|e| panic!("{at}: {e}"));
                }
            }
        }
    }
}

/// The driver's fixed code is a PowerShell file in the source tree (`src/bundle/driver.ps1`,
/// included at build time), and so is the file hash it shares with the backup job's script
/// (`src/bundle/file-sha256.ps1`): each parses as PowerShell, uses only PowerShell 2.0, and is
/// what every bundle's `Invoke-Recovery.ps1` carries, line for line.
#[test]
fn the_driver_code_is_a_powershell_2_file_that_every_bundle_carries() {
    for file in ["driver.ps1", "file-sha256.ps1"] {
        let code = std::fs::read_to_string(repo().join("src/bundle").join(file)).expect(file);
        powershell::assert_powershell_2(file, &code);
        let crlf = code.replace("\r\n", "\n").trim_end().replace('\n', "\r\n");
        for runbook in RUNBOOKS {
            let driver = text(&bundle(runbook, &[]), "Invoke-Recovery.ps1");
            assert!(driver.contains(&crlf), "{runbook}: the driver lacks {file}");
        }
    }
}

/// The banned list is not only a test: a bundle whose commands need a newer PowerShell (from a
/// custom template) is refused, naming the file, line and construct.
#[test]
fn a_command_that_needs_powershell_3_is_refused() {
    let lib = Library::load(None, None).expect("library");
    let err = build_with(&lib, "backend-restore", &[], |plan| {
        let step = plan
            .steps
            .iter_mut()
            .find(|s| s.id == "install-configured-databases")
            .expect("step");
        step.commands[0].text = "Get-CsPool | ConvertTo-Json".into();
    })
    .expect_err("refused");
    assert_eq!(err.code(), 65);
    let message = err.to_string();
    assert!(
        message.starts_with("`05-install-configured-databases.ps1` line ")
            && message.ends_with(": `ConvertTo-Json` needs PowerShell 3.0, and the Lync Server 2010 Management Shell is Windows PowerShell 2.0"),
        "{message}"
    );
    assert_eq!(err.hint().as_deref(), Some("write text or XML (Export-Clixml)"));
}

#[test]
fn a_step_whose_commands_were_not_rendered_is_refused() {
    let lib = Library::load(None, None).expect("library");
    let err = build_with(&lib, "backend-restore", &[], |plan| {
        let step = plan
            .steps
            .iter_mut()
            .find(|s| s.id == "rtc.restore-rtc-sql")
            .expect("step");
        step.commands.clear();
    })
    .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "step `rtc.restore-rtc-sql` cannot be bundled: its commands were not rendered (option A not chosen: `options.user_data_restore` is B)"
    );
    assert_eq!(err.code(), 65);
}

#[test]
fn t_sql_without_a_sql_server_input_is_refused() {
    let runbook = r#"id: sql-only
title: Run one statement
summary: For a test.
source: test
inputs:
  - name: sql_fqdn
    env: sql.backend.fqdn
    description: The server
steps:
  - id: run-sql
    title: Run it
    runs_on: back-end-sql
    explanation: Runs it.
    commands:
      - sql: "SELECT 1;"
"#;
    let lib = Library::with_extra(None, None, vec![SourceFile::new("sql-only.yaml", None, runbook)])
        .unwrap_or_else(|d| panic!("{d}"));
    let err = build_with(&lib, "sql-only", &[], |_| {}).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "step `run-sql` runs T-SQL, but its runbook has no `sql_server` input naming the SQL Server (FQDN\\instance) to run it on"
    );
}

#[test]
fn t_sql_runs_through_sqlcmd_on_the_backend_from_a_file_sqlcmd_reads() {
    let b = bundle("backend-restore", &[]);
    let ps = text(&b, "11-rtc.enable-db-chaining.ps1");
    let sql = text(&b, "11-rtc.enable-db-chaining.sql");
    assert!(
        ps.contains("    & $sqlcmd[0].Definition -S 'be01.contoso.com\\rtc' -E -b -x -i (Join-Path $here '11-rtc.enable-db-chaining.sql')\r\n"),
        "{ps}"
    );
    assert!(ps.contains("if ($LASTEXITCODE -ne 0)"));
    assert!(
        sql.contains("ALTER DATABASE [rtc] SET DB_CHAINING ON;\r\nALTER DATABASE [rtcdyn] SET DB_CHAINING ON;\r\nGO\r\n"),
        "{sql}"
    );
    // The driver knows both files belong to the step (and checks both are in SHA256SUMS).
    let driver = text(&b, "Invoke-Recovery.ps1");
    assert!(driver.contains("Files = @('11-rtc.enable-db-chaining.ps1', '11-rtc.enable-db-chaining.sql')"));
}

#[test]
fn a_step_script_tells_what_why_where_and_what_it_needs() {
    let b = bundle("backend-restore", &[]);
    let s = lf(&text(&b, "14-import-user-data.ps1"));
    for needle in [
        "# Step 14 of 38 of runbook backend-restore -- E.B.2 Import the user data with DBImpExp\n",
        "# Why:\n#   Brings back contact lists",
        "# Where: a Front End server of the pool, in the Lync Server Management Shell.\n",
        "# When: only if option B is chosen for `options.user_data_restore` (-UserDataRestore B);",
        "#   - event 30024 from LS User Replicator logged after step `trigger-user-sync`\n",
        "#   - backup `user-data` present (`backups.user_data`): C:\\Lync Backups\\SavedUserData.xml\n",
        "# Warnings:\n#   - Run it only after event 30024",
        "[CmdletBinding(SupportsShouldProcess=$true)]\nparam()\n",
        "$ErrorActionPreference = 'Stop'\n",
        // The cmd.exe form is an alternative: shown, never run.
        "# The same from cmd.exe (shown, not run):\n#     \"C:\\Program Files",
    ] {
        assert!(s.contains(needle), "lacks {needle:?}:\n{s}");
    }
    // One for the command, one for its read-only check (issue 19 item 13 gave the import one).
    assert_eq!(s.matches("$PSCmdlet.ShouldProcess(").count(), 2, "{s}");
    // Manual steps show the instructions and wait for a typed yes.
    let manual = lf(&text(&b, "02-rebuild-server.ps1"));
    assert!(manual.contains("Write-Host 'Do this by hand:'\n"));
    assert!(
        manual.contains(
            "    $answer = Read-Host 'Type yes when it is done'\n    if ($answer -ne 'yes') { throw"
        )
    );
}

#[test]
fn options_become_a_parameter_and_the_scripts_of_every_option_are_bundled() {
    let b = bundle("backend-restore", &[]);
    let files = names(&b);
    for f in [
        "10-rtc.restore-rtc-sql.ps1",
        "13-trigger-user-sync.ps1",
        "14-import-user-data.ps1",
    ] {
        assert!(files.contains(&f), "{files:?}");
    }
    let driver = lf(&text(&b, "Invoke-Recovery.ps1"));
    assert!(
        driver.contains("    [ValidateSet('A', 'B')]\n    [string]$UserDataRestore,\n"),
        "{driver}"
    );
    assert!(driver.contains("        Default = 'B'\n"));
    assert!(driver.contains("        Id = 'rtc.restore-rtc-sql'\n"));
    assert!(
        driver.contains("        When = @(@{ Parameter = 'UserDataRestore'; Test = 'eq'; Value = 'A' })\n")
    );
    // The environment's choice is only the default: option A gives the same scripts.
    let a = bundle("backend-restore", &["options.user_data_restore=A"]);
    assert!(lf(&text(&a, "Invoke-Recovery.ps1")).contains("        Default = 'A'\n"));
    assert_eq!(
        text(&a, "10-rtc.restore-rtc-sql.ps1"),
        text(&b, "10-rtc.restore-rtc-sql.ps1")
    );
}

#[test]
fn a_feature_that_is_off_leaves_its_steps_out_and_the_readme_says_why() {
    let on = bundle("backend-restore", &[]);
    assert!(names(&on).iter().any(|n| n.contains("rgs.")));
    let off = bundle("backend-restore", &["features.response_group=false"]);
    assert!(
        !names(&off).iter().any(|n| n.contains("rgs.")),
        "{:?}",
        names(&off)
    );
    assert!(!text(&off, "Invoke-Recovery.ps1").contains("rgs."));
    let readme = lf(&text(&off, "README.txt"));
    let section = readme
        .split("NOT APPLICABLE (left out of this bundle)\n")
        .nth(1)
        .expect("section");
    let section = section.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        section.contains("15 Restore the Response Group configuration into a pool (rgs): `features.response_group` does not hold: `features.response_group` is false 16 "),
        "{section}"
    );
    assert!(section.contains("(rgs.import-rgs-configuration)"), "{section}");
    // The response group steps (finish's baseline RGS export too), and the two nightly task
    // steps (no `backups.task_name`).
    assert_eq!(off.omitted.len(), 10);
}

#[test]
fn the_driver_checks_prerequisites_with_the_environment_values() {
    let b = bundle("backend-restore", &["backups.max_age=36h"]);
    let driver = lf(&text(&b, "Invoke-Recovery.ps1"));
    for needle in [
        "$MaxBackupAge = [TimeSpan]::FromSeconds(129600)\n",
        "$RecoveryStartedAt = '2011-11-27T01:15:00Z'\n",
        "@{ Kind = 'event'; Event = 30024; Provider = 'LS User Replicator'; Log = 'Lync Server'; AfterStep = 'trigger-user-sync';",
        "Path = 'C:\\Lync Backups\\SavedUserData.xml';",
        "Get-WinEvent @where -FilterHashtable @{ LogName = $Log; ProviderName = $Provider; Id = $Id; StartTime = $local }",
        "Get-EventLog @where -LogName $Log -Source $Provider -After $local",
        // Each Front End of the pool the import goes to is read (issue 19 item 3).
        "Computers = @('fe01.contoso.com', 'fe02.contoso.com');",
        "if ($Computer) { $where = @{ ComputerName = $Computer } }",
        "$recorded = $State.LastStart[$P.AfterStep]",
        "if (-not (Test-Path -LiteralPath $P.Path)) {",
        "if ($age -gt $MaxBackupAge) {",
        "if ($NeedsLync -and -not (Get-Command Get-CsPool -ErrorAction SilentlyContinue)) {\n        try {\n            Import-Module Lync",
        "Start-Transcript -Path $log",
        "$answer = \"$(Read-Host '    Type yes to go on, anything else to stop')\".Trim()",
        "[string]$From,\n    [string]$Only,",
    ] {
        assert!(driver.contains(needle), "lacks {needle:?}");
    }
}

#[test]
fn sums_match_the_files_and_a_flipped_byte_is_refused() {
    let b = bundle("backend-restore", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("bundle");
    let summary = b.write(&out, false).expect("write");
    assert_eq!(summary.files, b.files.len());
    assert_eq!(summary.sums_sha256, b.sums_sha256());
    verify_sums(&out).expect("intact");

    // Every other file is listed, sorted, in sha256sum's format.
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).expect("sums");
    let listed: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    let mut expected: Vec<&str> = names(&b).into_iter().filter(|n| *n != "SHA256SUMS").collect();
    expected.sort();
    assert_eq!(listed, expected);
    if let Ok(check) = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&out)
        .output_retried()
    {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }

    let path = out.join("13-trigger-user-sync.ps1");
    let mut bytes = std::fs::read(&path).expect("read");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&path, &bytes).expect("write");
    assert_eq!(
        verify_sums(&out),
        Err(vec![
            "`13-trigger-user-sync.ps1` has changed: its SHA-256 differs from `SHA256SUMS`".to_owned()
        ])
    );
    bytes[i] ^= 0x01;
    std::fs::write(&path, &bytes).expect("write");
    verify_sums(&out).expect("restored");
    std::fs::write(out.join("99-extra.ps1"), "Remove-Item C:\\").expect("write");
    assert_eq!(
        verify_sums(&out),
        Err(vec!["`99-extra.ps1` is not listed in `SHA256SUMS`".to_owned()])
    );
}

/// The same check in PowerShell, run first: nothing happens before the sums are verified.
#[test]
fn the_driver_verifies_the_sums_before_anything_else() {
    let driver = lf(&text(&bundle("cms-move", &[]), "Invoke-Recovery.ps1"));
    let main = driver.split("\n# Main\n").nth(1).expect("main section");
    let at = |needle: &str| {
        main.find(needle)
            .unwrap_or_else(|| panic!("main lacks {needle:?}"))
    };
    let check = at("$problems = @(Test-BundleSums)\nif ($problems.Count -gt 0) {");
    let refuse = at("    throw 'This bundle does not match its SHA256SUMS:");
    assert!(check < refuse);
    for later in [
        "Start-Transcript",
        "Read-Checkpoint",
        "Import-Module Lync",
        "Assert-Prerequisite $p",
        "Invoke-RecoveryStep $step",
    ] {
        assert!(refuse < at(later), "{later} before the sums check");
    }
    // PowerShell 2.0 has no Get-FileHash: the hash is computed with .NET on a file stream.
    for needle in [
        "$stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read, 131072)",
        "$sha = New-Object System.Security.Cryptography.SHA256Managed",
        "$hash = $sha.ComputeHash($stream)",
        "if ($line -notmatch '^([0-9a-fA-F]{64})  ([^\\\\/:*?\"<>|]+)$') {",
        "} elseif ((Get-LyncdrSha256 $path) -ne $expected) {",
        "foreach ($step in $Steps) { $required += $step.Files }",
    ] {
        assert!(driver.contains(needle), "lacks {needle:?}");
    }
}

#[test]
fn the_same_inputs_give_byte_identical_bundles_and_zips() {
    for runbook in RUNBOOKS {
        let one = bundle(runbook, &[]);
        let two = bundle(runbook, &[]);
        assert_eq!(one.files, two.files, "{runbook}");
        assert_eq!(one.zip().expect("zip"), two.zip().expect("zip"), "{runbook}");
    }
    // On disk too, whatever --out is called, and a second write over the first one.
    let b = bundle("cms-restore", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let first = b.write(&dir.path().join("a"), true).expect("write a");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = bundle("cms-restore", &[])
        .write(&dir.path().join("b"), true)
        .expect("write b");
    for f in &b.files {
        let a = std::fs::read(dir.path().join("a").join(&f.name)).expect("a");
        let c = std::fs::read(dir.path().join("b").join(&f.name)).expect("b");
        assert_eq!(a, c, "{}", f.name);
        assert_eq!(a, f.bytes, "{}", f.name);
    }
    let zip_a = std::fs::read(first.zip.expect("zip a")).expect("read");
    let zip_b = std::fs::read(second.zip.expect("zip b")).expect("read");
    assert_eq!(zip_a, zip_b);
    // The zip holds exactly the files, dated the zip epoch, in name order.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_a)).expect("zip");
    let mut seen = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).expect("inflate");
        assert_eq!(entry.last_modified().map(|t| t.year()), Some(1980));
        seen.push((entry.name().expect("name").into_owned(), bytes));
    }
    let files: Vec<(String, Vec<u8>)> = b
        .files
        .iter()
        .map(|f| (f.name.clone(), f.bytes.clone()))
        .collect();
    assert_eq!(seen, files);
}

#[test]
fn hostile_values_stay_one_literal() {
    let path = r"C:\O'Brien $(Invoke-Evil x) `n # ; & '\u.xml".to_owned();
    let b = bundle(
        "backend-restore",
        &[
            &format!("backups.user_data={path}"),
            &format!("backups.rtc_database={path}"),
            "deployment=Contoso'; Invoke-Evil y; #> <# \"$(Invoke-Evil z)\"",
        ],
    );
    for f in b.files.iter().filter(|f| f.name.ends_with(".ps1")) {
        let text = String::from_utf8_lossy(&f.bytes);
        assert!(powershell::errors(&text).is_empty(), "{}", f.name);
        let tree = powershell::parse(&text);
        let mut commands = Vec::new();
        collect(tree.root_node(), &text, &mut commands);
        assert!(
            !commands.iter().any(|c| c.eq_ignore_ascii_case("Invoke-Evil")),
            "{}: a value became a command",
            f.name
        );
    }
    let driver = text(&b, "Invoke-Recovery.ps1");
    assert!(powershell::verbatim_strings(&driver).contains(&path), "{driver}");
    // The rtc backup path reaches SQL Server only as a SqlClient parameter, never inside T-SQL
    // (so no sqlcmd variable or quote in it can act); in the script it is one literal.
    let restore = text(&b, "10-rtc.restore-rtc-sql.ps1");
    assert!(
        powershell::verbatim_strings(&restore).contains(&path),
        "{restore}"
    );
    assert!(restore.contains("FROM DISK = @file"));
    // sqlcmd runs with its variables off (-x), for any `$(...)` a T-SQL value may hold.
    assert!(text(&b, "11-rtc.enable-db-chaining.ps1").contains(" -E -b -x -i "));
}

/// Every command name in a parsed script.
fn collect(node: tree_sitter::Node, text: &str, out: &mut Vec<String>) {
    if node.kind() == "command_name" {
        out.push(text[node.byte_range()].to_owned());
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect(child, text, out);
    }
}

#[test]
fn a_folder_holding_other_files_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("notes.txt"), "mine").expect("write");
    let err = bundle("rgs-restore", &[])
        .write(&out, false)
        .expect_err("refused");
    assert_eq!(err.code(), 73);
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` is not empty and is not a lyncdr bundle (it holds `notes.txt`); lyncdr replaces only a folder it wrote itself",
            out.display()
        )
    );
    assert_eq!(
        err.hint().as_deref(),
        Some("choose a new or empty folder for --out, or move those files away")
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).expect("kept"),
        "mine"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("ls").count(),
        1,
        "temporary files left"
    );
}

#[test]
fn a_previous_bundle_is_replaced_but_not_one_that_holds_a_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    bundle("backend-restore", &[]).write(&out, false).expect("first");
    let a = bundle(
        "backend-restore",
        &["options.user_data_restore=A", "features.response_group=false"],
    );
    a.write(&out, false).expect("over a previous bundle");
    verify_sums(&out).expect("intact");
    assert!(
        !out.join("16-rgs.get-rgs-scripts.ps1").exists(),
        "old files removed"
    );
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["out"], "temporary folders left");

    std::fs::write(out.join(bundle::CHECKPOINT), "lyncdr-checkpoint\t1\tx\r\n").expect("write");
    let err = a.write(&out, false).expect_err("refused");
    assert!(
        err.to_string()
            .contains("(it also holds `Invoke-Recovery.checkpoint.txt`)"),
        "{err}"
    );
    assert!(out.join(bundle::CHECKPOINT).exists());
}

#[test]
fn the_zip_goes_beside_the_folder_and_never_over_a_foreign_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("recovery");
    let b = bundle("rgs-restore", &[]);
    let summary = b.write(&out, true).expect("write");
    let zip = dir.path().join("recovery.zip");
    assert_eq!(summary.zip.as_deref(), Some(zip.as_path()));
    assert_eq!(std::fs::read(&zip).expect("zip"), b.zip().expect("zip"));
    b.write(&out, true).expect("again, over its own zip");

    let other = dir.path().join("other");
    std::fs::write(dir.path().join("other.zip"), "not a zip").expect("write");
    let err = b.write(&other, true).expect_err("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` exists and is not a lyncdr bundle zip; lyncdr does not overwrite it",
            dir.path().join("other.zip").display()
        )
    );
    assert_eq!(
        err.hint().as_deref(),
        Some("move it away or choose another --out")
    );
    assert!(
        !other.exists(),
        "the folder is written only when the zip can be too"
    );
}

#[test]
fn snapshots() {
    let b = bundle("backend-restore", &[]);
    insta::assert_snapshot!("driver_backend-restore", lf(&text(&b, "Invoke-Recovery.ps1")));
    insta::assert_snapshot!(
        "step_10-rtc.restore-rtc-sql",
        lf(&text(&b, "10-rtc.restore-rtc-sql.ps1"))
    );
    insta::assert_snapshot!("readme_backend-restore", lf(&text(&b, "README.txt")));
}

#[test]
fn the_summary_names_the_folder_and_the_sums() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b");
    let b = bundle("backend-restore", &["features.response_group=false"]);
    let summary = b.write(&out, false).expect("write");
    assert_eq!(
        summary.to_string(),
        format!(
            "Wrote {} files to {}: {} step scripts, Invoke-Recovery.ps1, README.txt, SHA256SUMS.\n\
             10 steps are not applicable and left out (listed in README.txt).\n\
             The backups were not checked (no --backups DIR); the driver says so when it runs.\n\
             SHA-256 of SHA256SUMS: {}\n\
             Check it on the server before running; start with .\\Invoke-Recovery.ps1 -WhatIf.\n",
            b.files.len(),
            out.display(),
            b.scripts,
            b.sums_sha256()
        )
    );
    assert!(Path::new(&out).join("README.txt").exists());
}

/// ASCII is the rule; a script that must hold another character (from a custom runbook) is
/// UTF-8 with a BOM, without which PowerShell 2.0 would read it in the ANSI code page. A `.sql`
/// file stays BOM-less and sqlcmd is told its code page instead.
#[test]
fn a_file_that_cannot_be_ascii_is_utf8_with_a_bom() {
    let lib = Library::load(None, None).expect("library");
    let b = build_with(&lib, "backend-restore", &[], |plan| {
        for s in plan.steps.iter_mut() {
            if s.id == "install-configured-databases" {
                s.explanation.push_str(" Caf\u{e9}.");
            }
            if s.id == "rtc.enable-db-chaining" {
                s.commands[0].text.insert_str(0, "-- Caf\u{e9}\n");
            }
        }
    })
    .expect("bundle");
    let bom = |name: &str| b.file(name).expect(name).bytes.starts_with(b"\xEF\xBB\xBF");
    assert!(bom("05-install-configured-databases.ps1"));
    assert!(bom("README.txt"));
    assert!(!bom("02-rebuild-server.ps1") && !bom("11-rtc.enable-db-chaining.sql"));
    assert!(b.file("02-rebuild-server.ps1").expect("02").bytes.is_ascii());
    let script = text(&b, "05-install-configured-databases.ps1");
    assert!(powershell::errors(script.trim_start_matches('\u{feff}')).is_empty());
    assert!(text(&b, "11-rtc.enable-db-chaining.ps1").contains(" -E -b -x -f 65001 -i "));
}

#[test]
fn an_out_folder_that_cannot_be_made_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("file"), "x").expect("write");
    let out = dir.path().join("file").join("bundle");
    let err = bundle("rgs-restore", &[])
        .write(&out, false)
        .expect_err("refused");
    assert_eq!(err.code(), 73);
    let message = err.to_string();
    let expected = format!("cannot write `{}`: ", dir.path().join("file").display());
    assert!(message.starts_with(&expected), "{message}");
}

/// The driver waits for event 30024 once per listed domain (`user_domains`), from the start of
/// the sync step, as `lyncdr run` does.
#[test]
fn the_driver_waits_for_one_30024_per_domain() {
    let b = bundle("backend-restore", &["user_domains=contoso.com,emea.contoso.com"]);
    let driver = lf(&text(&b, "Invoke-Recovery.ps1"));
    assert!(
        driver.contains("AfterStep = 'trigger-user-sync'; Domains = @('contoso.com', 'emea.contoso.com');"),
        "{driver}"
    );
    assert!(driver.contains("foreach ($domain in @($P.Domains)) {"));
    assert!(powershell::errors(&driver).is_empty());
    let single = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    assert!(
        single.contains("Domains = @();"),
        "no domains listed: one event is enough"
    );
}

/// The text of the driver's function `name`, up to the next function or section.
fn function<'a>(driver: &'a str, name: &str) -> &'a str {
    let start = driver
        .find(&format!("\nfunction {name}"))
        .unwrap_or_else(|| panic!("no function {name}"));
    let rest = &driver[start + 1..];
    let end = rest[1..]
        .find("\nfunction ")
        .into_iter()
        .chain(rest.find("\n# ----"))
        .min()
        .map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

fn main_section(driver: &str) -> &str {
    driver.split("\n# Main\n").nth(1).expect("main section")
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("lacks {needle:?}:\n{haystack}"))
}

/// Issue 10 item 6: whoever can write to the folder can regenerate SHA256SUMS, so the driver
/// shows its SHA-256 before anything else and compares it with `-ExpectedSums` or asks; the
/// files are checked against the very bytes whose hash was shown.
#[test]
fn the_driver_shows_the_sums_hash_and_compares_it_before_checking_the_files() {
    let driver = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    assert!(
        driver.contains("    [string]$ExpectedSums,\n"),
        "no -ExpectedSums"
    );
    assert!(driver.contains("# .PARAMETER ExpectedSums\n"));
    let main = main_section(&driver);
    let read = position(main, "$SumsBytes = [System.IO.File]::ReadAllBytes($SumsPath)\n");
    let hash = position(main, "$SumsHash = Get-BytesSha256Hex $SumsBytes\n");
    let shown = position(
        main,
        "Write-Host ('SHA-256 of SHA256SUMS: ' + $SumsHash) -ForegroundColor Cyan\n",
    );
    let compared = position(
        main,
        "if ($ExpectedSums) {\n    if (($ExpectedSums.Trim().ToLowerInvariant()) -ne $SumsHash) {\n        throw ('Refused: SHA256SUMS is not the one given with -ExpectedSums",
    );
    let asked = position(
        main,
        "} else {\n    Confirm-Operator 'Is it the SHA-256 of SHA256SUMS that lyncdr bundle printed",
    );
    let checked = position(main, "$problems = @(Test-BundleSums)\n");
    assert!(read < hash && hash < shown && shown < compared && compared < asked && asked < checked);
    // Under -WhatIf, Confirm-Operator only shows the question.
    assert!(function(&driver, "Confirm-Operator").contains("    if ($DryRun) {\n"));
    // The listing is parsed from the bytes that were hashed, not read again from the folder.
    let check = function(&driver, "Test-BundleSums");
    assert!(
        check.contains("[System.Text.Encoding]::ASCII.GetString($SumsBytes) -split \"`n\""),
        "{check}"
    );
    assert!(!check.contains("ReadAllLines"), "{check}");
    // The checkpoint header is the same value.
    assert!(main.contains("$CheckpointHeader = \"lyncdr-checkpoint`t1`t\" + $SumsHash\n"));
}

/// Issue 10 item 6: a file beside the scripts is refused whatever its kind (a `sqlcmd.bat`
/// runs from cmd.exe's current folder, a `version.dll` loads into a tool started there, a
/// `Lync.psm1` could be imported), both by the driver and by `verify_sums`.
#[test]
fn an_unlisted_file_of_any_extension_is_refused() {
    let driver = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    let check = function(&driver, "Test-BundleSums");
    for needle in [
        "    foreach ($item in @(Get-ChildItem -LiteralPath $BundleFolder -Force)) {\n        if ($item.PSIsContainer) {\n            [void]$problems.Add($item.Name + ' is a folder, and a bundle has none')\n",
        "        } elseif (($item.Name -ne 'SHA256SUMS') -and -not $Listed.ContainsKey($item.Name)) {\n            [void]$problems.Add($item.Name + ' is not listed in SHA256SUMS')\n",
    ] {
        assert!(check.contains(needle), "lacks {needle:?}:\n{check}");
    }
    // No filter on the kind of file: every entry of the folder is looked at.
    for filter in ["GetExtension", "'.ps1'", "-Filter", "-Include"] {
        assert!(!check.contains(filter), "{filter} in:\n{check}");
    }

    let b = bundle("backend-restore", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("bundle");
    b.write(&out, false).expect("write");
    for name in [
        "sqlcmd.bat",
        "version.dll",
        "Lync.psm1",
        "Invoke-Recovery.checkpoint.txt",
    ] {
        std::fs::write(out.join(name), "planted").expect("write");
        assert_eq!(
            verify_sums(&out),
            Err(vec![format!("`{name}` is not listed in `SHA256SUMS`")]),
            "{name}"
        );
        std::fs::remove_file(out.join(name)).expect("remove");
    }
    verify_sums(&out).expect("intact again");
}

/// Issue 10 item 7: a step runs up to hours after the start; its files are checked right
/// before it runs, and the bytes checked are the bytes run (a copy outside the bundle).
#[test]
fn each_step_is_checked_right_before_it_runs_and_the_checked_bytes_run() {
    let driver = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    let step = function(&driver, "Invoke-RecoveryStep");
    let prerequisites = position(step, "Assert-Prerequisite $p");
    let verified = position(
        step,
        "    if ($Step.RunsOn -ne 'rebuilt-server') { $script = Copy-VerifiedStep $Step }\n",
    );
    let started = position(step, "Add-CheckpointLine (\"start`t\"");
    let run = position(step, "            & $script -WhatIf:$DryRun | Out-Host\n");
    assert!(prerequisites < verified && verified < started && started < run);
    assert!(!step.contains("Join-Path $BundleFolder $Step.File"), "{step}");

    let copy = function(&driver, "Copy-VerifiedStep");
    let read = position(
        copy,
        "$bytes = [System.IO.File]::ReadAllBytes((Join-Path $BundleFolder $name))\n",
    );
    let compared = position(copy, "if ((Get-BytesSha256Hex $bytes) -ne $Listed[$name]) {\n");
    let written = position(copy, "$stream.Write($bytes, 0, $bytes.Length)\n");
    assert!(read < compared && compared < written);
    assert!(copy.contains("[System.IO.FileMode]::CreateNew"), "{copy}");
    assert!(copy.contains("Join-Path $RunFolder"), "{copy}");
    // Every file of the step (the .sql sqlcmd reads too) is copied, and the run folder is new,
    // under the temp folder, not the bundle's.
    assert!(copy.contains("    foreach ($name in $Step.Files) {\n"));
    let main = main_section(&driver);
    assert!(main.contains(
        "$RunFolder = Join-Path ([System.IO.Path]::GetTempPath()) ('lyncdr-' + [Guid]::NewGuid().ToString('N'))\n"
    ));
    assert!(main.contains("$Listed = @{}\n"));
}

/// Issue 10 item 6: sqlcmd.exe, DBImpExp.exe and cmd.exe never start with the bundle folder
/// as their working folder, and sqlcmd is run by the full path found on PATH.
#[test]
fn native_tools_never_start_in_the_bundle_folder() {
    let b = bundle("backend-restore", &["options.user_data_restore=B"]);
    let driver = lf(&text(&b, "Invoke-Recovery.ps1"));
    let main = main_section(&driver);
    let away = position(
        main,
        "Set-Location -LiteralPath ([System.Environment]::SystemDirectory)\n[System.Environment]::CurrentDirectory = [System.Environment]::SystemDirectory\n",
    );
    assert!(away < position(main, "Invoke-RecoveryStep $step"));
    assert!(away < position(main, "Import-Module Lync"));
    assert!(main.contains("    Set-Location -LiteralPath $OperatorLocation.Path\n"));

    for f in b
        .files
        .iter()
        .filter(|f| f.name.ends_with(".ps1") && f.name != "Invoke-Recovery.ps1")
    {
        let s = lf(&String::from_utf8_lossy(&f.bytes));
        let away = position(
            &s,
            "Push-Location -LiteralPath ([System.Environment]::SystemDirectory)\ntry {\n",
        );
        assert!(s.ends_with("} finally {\n    Pop-Location\n}\n"), "{}", f.name);
        for tool in ["& ", "sqlcmd", "Import-Module"] {
            if let Some(at) = s
                .find(&format!("\n{tool}"))
                .or_else(|| s.find(&format!("    {tool}")))
            {
                assert!(away < at, "{}: {tool} before the Push-Location", f.name);
            }
        }
        assert!(!s.contains("& sqlcmd.exe"), "{}: sqlcmd by name", f.name);
    }
    let chaining = lf(&text(&b, "11-rtc.enable-db-chaining.ps1"));
    assert!(chaining.contains(
        "    $sqlcmd = @(Get-Command sqlcmd.exe -CommandType Application -ErrorAction SilentlyContinue)\n"
    ));
    let dbimpexp = lf(&text(&b, "14-import-user-data.ps1"));
    assert!(
        position(&dbimpexp, "Push-Location") < position(&dbimpexp, "\n& 'C:\\Program Files"),
        "{dbimpexp}"
    );
}

/// Issue 10 item 8: the checkpoint is kept outside the bundle folder, what it records is shown
/// and confirmed once before anything is skipped, and a recorded time never lowers the event
/// threshold below the start of the recovery.
#[test]
fn the_checkpoint_lives_outside_the_bundle_is_confirmed_and_cannot_backdate_an_event() {
    let driver = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    let main = main_section(&driver);
    assert!(
        !main.contains("$StateFolder = $BundleFolder"),
        "checkpoint in the bundle folder"
    );
    for needle in [
        "    $StateFolder = Join-Path (Join-Path ([System.Environment]::GetFolderPath('LocalApplicationData')) 'lyncdr') $SumsHash\n",
        "if (($StateFolder.TrimEnd('\\') + '\\').StartsWith(($BundleFolder.TrimEnd('\\') + '\\'), [System.StringComparison]::OrdinalIgnoreCase)) {\n    throw ('-StateFolder ' + $StateFolder + ' is inside the bundle folder",
    ] {
        assert!(main.contains(needle), "lacks {needle:?}");
    }
    let read = position(main, "    $State = Read-Checkpoint\n");
    let shown = position(main, "            Write-Host ('    done: step ' + $step.Number");
    let options = position(
        main,
        "            Write-Host ('    option: -' + $name + ' ' + $State.Options[$name])\n",
    );
    let asked = position(
        main,
        "        Confirm-Operator 'Is this what was done in this recovery?",
    );
    let chosen = position(main, "    $Chosen = @{}\n");
    let skipped = position(main, "'): done at '");
    assert!(read < shown && shown < options && options < asked && asked < chosen && chosen < skipped);

    let wait = function(&driver, "Wait-LyncEvent");
    assert!(wait.contains("    $since = $RecoveryStart\n"));
    let clamp = position(
        wait,
        "        if ($recorded -and ($recorded -gt $RecoveryStart)) {\n            # As lyncdr run: newer than the start of that step (a fast sync ends within it).\n            $since = $recorded\n",
    );
    // The only other assignment of $since is the start of the recovery.
    assert_eq!(wait.matches("$since = ").count(), 2, "{wait}");
    assert!(clamp < position(wait, "Get-LyncEvents $P.Log $P.Provider $P.Event $since"));

    let readme = lf(&text(&bundle("backend-restore", &[]), "README.txt"));
    assert!(readme.contains("never in this folder"), "{readme}");
}

/// README.txt says how to check the SHA-256 of SHA256SUMS without the driver, and what is
/// unconfirmed about certutil on Windows Server 2008 R2.
#[test]
fn the_readme_says_how_to_compute_the_sums_hash() {
    let readme = lf(&text(&bundle("backend-restore", &[]), "README.txt"));
    let section = readme.split("CHECKING THE BUNDLE\n").nth(1).expect("section");
    let flat = section.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "CertUtil -hashfile SHA256SUMS SHA256",
        "whether certutil on Windows Server 2008 R2 takes it is unconfirmed",
        "-ExpectedSums HEX",
        "sha256sum SHA256SUMS",
    ] {
        assert!(flat.contains(needle), "lacks {needle:?}:\n{section}");
    }
}

/// The backups the example environment names, each one the audit calls sound, in `dir`: what
/// `lyncdr bundle --backups dir` checks.
pub(crate) fn sound_backups(dir: &Path) {
    use crate::audit;
    std::fs::create_dir_all(dir.join("FileStore/1-WebServices-1")).expect("mkdir");
    std::fs::write(dir.join("FileStore/1-WebServices-1/meeting.dat"), b"content").expect("file store");
    let yesterday = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    for (name, bytes) in [
        ("CsConfiguration.zip", audit::cms_zip()),
        ("CsLisConfiguration.zip", audit::lis_zip()),
        ("RgsConfig_pool01.zip", audit::rgs_zip()),
        ("SavedUserData.xml", audit::user_data()),
        ("rtc.bak", audit::sql_backup("rtc", yesterday)),
    ] {
        std::fs::write(dir.join(name), bytes).expect("backup");
    }
}

fn checked(runbook: &str, dir: &Path) -> Result<Bundle, BundleError> {
    let lib = Library::load(None, None).expect("built-in library");
    let env = env(&[]);
    let rb = lib.get(runbook).expect("runbook");
    let plan = Plan::build(rb, &env, &lib.templates).expect("plan");
    Bundle::build_checked(&plan, rb, &env, Some(dir))
}

/// Issue 11 item 3, bundle side: a `.bak` the audit calls corrupt stops `lyncdr bundle
/// --backups DIR` with the audit's own words, exit code 4 (a prerequisite is not met, as `run`
/// refuses it), and nothing is written.
#[test]
fn a_bak_the_audit_calls_corrupt_refuses_the_bundle_in_the_audits_words() {
    let args = [
        "bundle",
        "backend-restore",
        "--env",
        "contoso.yaml",
        "--backups",
        "backups",
        "--out",
        "out",
    ];
    let t = crate::Test::new().file("contoso.yaml", &example()).args(args);
    let dir = t.path().join("backups");
    sound_backups(&dir);
    let sound = std::fs::read(dir.join("rtc.bak")).expect("rtc.bak");
    std::fs::write(dir.join("rtc.bak"), &sound[..sound.len() / 2]).expect("cut");
    let len = (sound.len() / 2) as u64;
    let problems = lyncdr::audit::check_named(
        lyncdr::audit::ArtifactKind::RtcDatabase,
        &dir.join("rtc.bak"),
        len,
    )
    .expect("audit");
    let words = problems.first().expect("the audit calls it corrupt").message();
    let run = t.run().status(4);
    assert_eq!(
        run.stderr,
        format!(
            "error: SQL Server backup of `rtc` `C:\\Backups\\rtc.bak` (backups.rtc_database) cannot be used: `{}`: {words}\n  = hint: `lyncdr audit backups --env FILE` shows every problem; put a sound copy there, or make a fresh one: back up the database: `BACKUP DATABASE rtc TO DISK = '<file>.bak' WITH INIT`\n",
            Path::new("backups").join("rtc.bak").display()
        )
    );
    assert!(!t.path().join("out").exists(), "nothing written");
    // A --backups folder that is not there is a missing input, not a missing backup.
    let mut missing = args.map(str::to_owned);
    missing[5] = "nowhere".into();
    crate::Test::new()
        .file("contoso.yaml", &example())
        .args(missing)
        .run()
        .status(66)
        .stderr_has("error: cannot read the backup folder `nowhere`: ");
    // The same folder, sound: the bundle is written, and says what it checked.
    std::fs::write(dir.join("rtc.bak"), &sound).expect("restore");
    t.run()
        .success()
        .stdout_has("Checked 3 backups as lyncdr audit does; the driver checks that 2 of them are still the same files (size and SHA-256).");
    // A zip under the name the environment gives the user data export.
    std::fs::write(dir.join("SavedUserData.xml"), crate::audit::cms_zip()).expect("write");
    t.run()
        .status(4)
        .stderr_has("user data export (DBImpExp XML) `C:\\Lync Backups\\SavedUserData.xml` (backups.user_data) cannot be used");
}

/// Each backup the driver reads is pinned in its data by the size and SHA-256 the audit's hash
/// computed; the one SQL Server reads and the File Store folder are checked but not pinned. The
/// scripts still parse and use only PowerShell 2.0, and the same inputs give the same bytes.
#[test]
fn a_sound_set_is_pinned_by_size_and_sha256_in_the_driver() {
    let dir = tempfile::tempdir().expect("tempdir");
    sound_backups(dir.path());
    let b = checked("cms-restore", dir.path()).expect("bundle");
    let audited = b.audited.as_ref().expect("checked");
    assert_eq!(
        audited.len(),
        6,
        "every backup cms-restore needs, once: {audited:?}"
    );
    let driver = lf(&text(&b, "Invoke-Recovery.ps1"));
    assert!(driver.contains("\n$BackupsAudited = $true\n"), "{driver}");
    for (artifact, file) in [
        ("cs-configuration", "CsConfiguration.zip"),
        ("user-data", "SavedUserData.xml"),
    ] {
        let bytes = std::fs::read(dir.path().join(file)).expect("backup");
        let pin = format!(
            "Size = {}; Sha256 = '{}';",
            bytes.len(),
            lyncdr::digest::sha256_hex(&bytes)
        );
        let lines: Vec<&str> = driver
            .lines()
            .filter(|l| l.contains(&format!("Artifact = '{artifact}'")))
            .collect();
        assert!(!lines.is_empty(), "{artifact} is a prerequisite");
        let readme = text(&b, "README.txt");
        assert!(
            readme.contains(&lyncdr::digest::sha256_hex(&bytes)),
            "README.txt lists the pin of {artifact}:\n{readme}"
        );
        for l in lines {
            assert!(l.contains(&pin), "{artifact} not pinned: {l}");
        }
    }
    for artifact in ["rtc-database", "file-store"] {
        for l in driver
            .lines()
            .filter(|l| l.contains(&format!("Artifact = '{artifact}'")))
        {
            assert!(l.contains("Size = $null; Sha256 = $null;"), "{l}");
        }
    }
    for f in b.files.iter().filter(|f| f.name.ends_with(".ps1")) {
        let text = String::from_utf8_lossy(&f.bytes);
        assert!(powershell::errors(&text).is_empty(), "{}: does not parse", f.name);
        assert!(ps2::find(&text).is_empty(), "{}: PowerShell 3.0+", f.name);
    }
    let again = checked("cms-restore", dir.path()).expect("bundle");
    assert_eq!(b.files, again.files);
    assert_eq!(b.zip().expect("zip"), again.zip().expect("zip"));
    // Without --backups nothing is pinned, and the driver says so.
    let plain = lf(&text(&bundle("cms-restore", &[]), "Invoke-Recovery.ps1"));
    assert!(plain.contains("\n$BackupsAudited = $false\n"));
    assert!(!plain.contains("Sha256 = '"), "nothing pinned without --backups");
}

/// On the server, the driver compares the file at the path with the pinned one: size first
/// (cheap), then SHA-256 over a stream with .NET (PowerShell 2.0 has no Get-FileHash; the
/// backup job's function, so the two can be one); a mismatch stops the step. Without pins it
/// says once that the backups were not checked when the bundle was made.
#[test]
fn the_driver_checks_a_pinned_backup_is_the_audited_file() {
    let driver = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    let assert_backup = function(&driver, "Assert-Backup");
    let size = position(assert_backup, "if ($item.Length -ne $P.Size) {");
    let hash = position(assert_backup, "$held = Get-HeldSha256 $P.Path");
    assert!(size < hash, "the size is compared before the file is hashed");
    position(assert_backup, "if ($hash -ne $P.Sha256) {");
    position(
        assert_backup,
        "$audited = 'it is not the file that was audited when the bundle was made'",
    );
    assert_eq!(
        assert_backup
            .matches("Stop-Prerequisite ('Backup ' + $P.Artifact + ' at ' + $P.Path + ': ' + $audited")
            .count(),
        2
    );
    let warn = position(
        assert_backup,
        "if (-not $BackupsAudited -and -not $script:UnauditedSaid) {",
    );
    assert!(warn < position(assert_backup, "if ($P.ReadBySqlServer) {"));
    assert!(
        assert_backup.contains("$script:UnauditedSaid = $true"),
        "said once"
    );
    let sha = function(&driver, "Get-LyncdrSha256");
    // The one file both include (src/bundle/file-sha256.ps1).
    let shared = lyncdr::bundle::FILE_SHA256;
    let job = &shared[shared.find("function Get-LyncdrSha256").expect("the function")..];
    assert!(sha.starts_with(job), "{sha}");
}

/// The same inputs give the same bytes on Linux and on Windows (`scripts/windows.sh test` runs
/// this under wine against the same snapshot): every file of the bundle written by the lyncdr
/// binary, and its zip, by SHA-256.
#[test]
fn a_bundle_is_the_same_bytes_on_linux_and_windows() {
    let t = crate::Test::new().file("contoso.yaml", &example());
    let out = t.path().join("out");
    let t = t.args([
        "bundle",
        "backend-restore",
        "--env",
        "contoso.yaml",
        "--out",
        "out",
        "--zip",
    ]);
    let run = t.run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let mut lines = Vec::new();
    let mut pending = vec![out.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read out").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let name = path.strip_prefix(&out).expect("under out");
            let name = name.to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(&path).expect("read");
            lines.push(format!("{}  {name}", lyncdr::digest::sha256_hex(&bytes)));
        }
    }
    let zip = std::fs::read(t.path().join("out.zip")).expect("the zip beside the folder");
    lines.push(format!("{}  ../out.zip", lyncdr::digest::sha256_hex(&zip)));
    lines.sort();
    insta::assert_snapshot!("bundle_bytes_backend-restore", lines.join("\n"));
}

/// Issue 20 item 6: the driver checked a pin, then the cmdlet opened the path again later, and a
/// path turned into a folder skipped the pin. A pinned path that is a folder is refused; a pinned
/// file is hashed through a handle sharing reading only, held until the driver ends.
#[test]
fn a_pinned_backup_is_held_open_from_its_check_to_the_end_and_never_a_folder() {
    let driver = lf(&text(&bundle("backend-restore", &[]), "Invoke-Recovery.ps1"));
    let assert_backup = function(&driver, "Assert-Backup");
    let refuse = position(assert_backup, "if ($P.Sha256 -and $item.PSIsContainer) {");
    assert!(
        refuse < position(assert_backup, "if ($item.PSIsContainer) {"),
        "{assert_backup}"
    );
    assert!(
        assert_backup.contains("$held = Get-HeldSha256 $P.Path"),
        "{assert_backup}"
    );
    assert!(
        !assert_backup.contains("Get-LyncdrSha256"),
        "hashed by path: {assert_backup}"
    );
    let held = function(&driver, "Get-HeldSha256");
    assert!(
        held.contains("[System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)"),
        "{held}"
    );
    assert!(held.contains("[void]$script:HeldBackups.Add($stream)"), "{held}");
    // Released only in the driver's last `finally`, after every step.
    let main = main_section(&driver);
    let close = position(
        main,
        "foreach ($stream in @($HeldBackups)) { if ($stream) { $stream.Close() } }",
    );
    assert!(close > position(main, "Invoke-RecoveryStep $step"), "{main}");
}

/// Issue 17 item 10 in a bundle: the driver decides the baseline folder once, from the
/// checkpoint's first run (so a resumed recovery keeps it), and passes that one value to every
/// step that names it; no step script looks for a folder, and none carries the placeholder of a
/// run not yet started. A hostile `backups.folder` stays one literal in the scripts and in the
/// T-SQL the SQL step fills in.
#[test]
fn the_driver_decides_the_baseline_folder_once_and_passes_it_to_each_step() {
    let root = r"\\fs01\Back'ups $(Invoke-Evil x) ]";
    let b = bundle("finish", &[&format!("backups.folder={root}")]);
    let driver = lf(&text(&b, "Invoke-Recovery.ps1"));
    let prefix = format!(r"{root}\baseline\lyncdr-");
    assert!(
        powershell::verbatim_strings(&driver).contains(&prefix),
        "{driver}"
    );
    let main = main_section(&driver);
    // Once, after the first run is known (read from the checkpoint, else now).
    let first = position(main, "if (-not $State.FirstRun) { $State.FirstRun = $now }");
    let decided = position(
        main,
        "$BaselineFolder = $BaselinePrefix + $State.FirstRun.ToString('yyyyMMdd-HHmmss'",
    );
    assert!(first < decided);
    assert_eq!(main.matches("$BaselineFolder = ").count(), 2, "{main}");
    let run_step = function(&driver, "Invoke-RecoveryStep");
    assert!(
        run_step.contains("& $script -WhatIf:$DryRun -BaselineFolder $BaselineFolder"),
        "{run_step}"
    );
    let takes: Vec<&str> = driver
        .lines()
        .filter(|l| l.trim() == "TakesBaseline = $true")
        .collect();
    assert_eq!(takes.len(), 12, "{driver}");
    // No step script carries the placeholder of a run not yet started: every path in the
    // baseline is made from the folder passed (a path after `/hrxmlfile:` too).
    for name in names(&b).into_iter().filter(|n| n.ends_with(".ps1")) {
        let code: String = lf(&text(&b, name))
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            // The T-SQL side file's placeholder, replaced there by the folder passed.
            .filter(|l| !l.trim_start().starts_with("$sql = $sql.Replace("))
            .collect();
        assert!(!code.contains("<at run start>"), "{name}: {code}");
    }
    // The seal, done by hand there: the command printed with the folder the driver passed and
    // whose set it is (issue 17 item 10).
    let seal = names(&b)
        .into_iter()
        .find(|name| name.ends_with("-seal-baseline.ps1"))
        .expect("the seal step's script");
    let seal = lf(&text(&b, seal));
    assert!(seal.contains("param([string]$BaselineFolder)"), "{seal}");
    assert!(
        seal.contains("Write-Host ('    lyncdr backup --env FILE --seal \"' + $BaselineFolder + '\" --pool pool01.contoso.com --sql-server be01.contoso.com\\rtc [--key KEY]')"),
        "{seal}"
    );
    assert!(powershell::errors(&seal).is_empty(), "{seal}");
    for name in [
        "03-open-baseline.ps1",
        "05-baseline.export-cs-configuration.ps1",
        "10-baseline.backup-rtc.ps1",
    ] {
        let script = lf(&text(&b, name));
        assert!(script.contains("param([string]$BaselineFolder)"), "{name}");
        assert!(powershell::errors(&script).is_empty(), "{name}");
        let tree = powershell::parse(&script);
        let mut commands = Vec::new();
        collect(tree.root_node(), &script, &mut commands);
        assert!(
            !commands.iter().any(|c| c.eq_ignore_ascii_case("Invoke-Evil")),
            "{name}"
        );
        assert!(
            !commands.iter().any(|c| c.eq_ignore_ascii_case("Get-ChildItem")),
            "{name}"
        );
        let code: String = script.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!code.contains("finish-*"), "{name}");
    }
    let open = lf(&text(&b, "03-open-baseline.ps1"));
    assert!(open.contains("$folder = $BaselineFolder\n"), "{open}");
    assert!(!open.contains("<at run start>'\n"), "{open}");
    // A file in the folder: the folder passed, the file's name one literal.
    let export = lf(&text(&b, "05-baseline.export-cs-configuration.ps1"));
    assert!(
        export.contains("Export-CsConfiguration -FileName ($BaselineFolder + '\\CsConfiguration.zip')"),
        "{export}"
    );
    // The T-SQL file keeps the placeholder (SHA256SUMS covers it); the script puts the passed
    // folder in its place, as the start of a T-SQL literal with its quotes doubled.
    let sql = lf(&text(&b, "10-baseline.backup-rtc.sql"));
    let placeholder = format!("N'{}<at run start>", prefix.replace('\'', "''"));
    assert!(
        sql.contains(&format!("TO DISK = {placeholder}\\rtc.bak'")),
        "{sql}"
    );
    let script = lf(&text(&b, "10-baseline.backup-rtc.ps1"));
    assert!(
        powershell::verbatim_strings(&script).contains(&placeholder),
        "{script}"
    );
    assert!(
        script.contains(r#"("N'" + $BaselineFolder.Replace("'", "''"))"#),
        "{script}"
    );
}
