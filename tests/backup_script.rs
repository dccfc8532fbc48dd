//! `lyncdr backup --task` and `--script`: the Task Scheduler definition and the PowerShell 2.0
//! script folder are snapshot-tested; every `.ps1` parses under the PowerShell grammar and
//! passes the PowerShell 2.0 list; the same inputs give the same bytes; values are escaped for
//! XML and for the task's command line; the script runs the `backup` runbook's commands and
//! writes the set format of docs/backup-set.md.

use crate::Test;
use crate::builder::repo;
use crate::powershell;
use lyncdr::backup::script::{self, PLACEHOLDER, ScriptConfig, ScriptFolder};
use lyncdr::bundle::{ps2, sums};
use lyncdr::env::Environment;
use lyncdr::escape::split_windows_args;
use lyncdr::render::plan::Plan;
use lyncdr::runbook::Library;
use lyncdr::source::SourceFile;
use std::path::Path;

fn example() -> String {
    std::fs::read_to_string(repo().join("runbooks/examples/contoso.yaml")).expect("example")
}

const TO: &str = r"\\fs01.contoso.com\LyncBackup";

/// The plan of the `backup` runbook as `--script` renders it (the set folder at the placeholder).
fn plan(sets: &[&str]) -> Plan {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let mut env =
        Environment::parse(SourceFile::new("contoso.yaml", None, example()), &sets).expect("environment");
    script::for_script(&mut env);
    let lib = Library::load(None, None).expect("library");
    Plan::build(lib.get("backup").expect("backup runbook"), &env, &lib.templates).expect("plan")
}

fn folder(sets: &[&str]) -> ScriptFolder {
    let plan = plan(sets);
    let config = ScriptConfig {
        to: TO.to_owned(),
        env_file: "contoso.yaml".to_owned(),
        env_sha256: lyncdr::digest::sha256_hex(example().as_bytes()),
        whose: Some(lyncdr::backup::set::Whose {
            pool: "pool01.contoso.com".into(),
            sql_server: r"be01.contoso.com\rtc".into(),
            before: None,
        }),
    };
    ScriptFolder::build(&plan, &config).expect("script folder")
}

fn text(f: &ScriptFolder, name: &str) -> String {
    String::from_utf8(f.file(name).unwrap_or_else(|| panic!("no {name}")).bytes.clone()).expect("ASCII")
}

fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Decode a task file: UTF-16LE after its byte order mark.
fn utf16(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..2], b"\xFF\xFE", "UTF-16LE byte order mark");
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).expect("UTF-16")
}

/// The file is well-formed XML from its declaration to the end (an XML reader reads it through).
fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "every element closed");
}

/// The text of each leaf element named `name` in `xml`, unescaped as an XML reader gives it.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let end = after.find(&close).expect("closed");
        let raw = &after[..end];
        assert!(!raw.contains('<'), "{raw}");
        out.push(
            raw.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end..];
    }
    out
}

#[test]
fn every_script_parses_uses_only_powershell_2_and_every_file_is_ascii_crlf() {
    for sets in [
        &[][..],
        &["features.response_group=false", "edition=standard"][..],
    ] {
        let f = folder(sets);
        let names: Vec<&str> = f.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [".gitattributes", "Backup-Lync.ps1", "README.txt", "SHA256SUMS"],
            "{sets:?}"
        );
        for file in &f.files {
            assert!(file.bytes.is_ascii(), "{}: not ASCII", file.name);
            let t = String::from_utf8(file.bytes.clone()).expect("ASCII");
            if file.name == "SHA256SUMS" || file.name == ".gitattributes" {
                assert!(!t.contains('\r'), "{}: tool files are LF", file.name);
            } else {
                assert_eq!(
                    t.matches('\n').count(),
                    t.matches("\r\n").count(),
                    "{}",
                    file.name
                );
            }
            if file.name.ends_with(".ps1") {
                powershell::assert_powershell_2(&format!("{sets:?} {}", file.name), &t);
            }
        }
        // SHA256SUMS lists every other file with its hash.
        let listed = sums::listing(
            f.files
                .iter()
                .filter(|x| x.name != "SHA256SUMS")
                .map(|x| (x.name.as_str(), x.bytes.as_slice())),
        );
        assert_eq!(text(&f, "SHA256SUMS"), listed);
    }
}

/// Issue 17 item 12: the job's fixed code is a PowerShell file in the source tree
/// (`src/backup/Backup-Lync.ps1`, included at build time, as the bundle's `driver.ps1`): it parses
/// as PowerShell, uses only PowerShell 2.0, names no value of a deployment (those come before it,
/// each a literal), and every script carries it line for line.
#[test]
fn the_scripts_code_is_a_powershell_2_file_that_every_script_carries() {
    let code = std::fs::read_to_string(repo().join("src/backup/Backup-Lync.ps1")).expect("code");
    assert_eq!(code, script::CODE);
    powershell::assert_powershell_2("Backup-Lync.ps1", &code);
    for value in [
        "contoso",
        "pool01",
        "be01",
        "fs01",
        PLACEHOLDER,
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(!code.contains(value), "the fixed code names {value}");
    }
    let crlf = code.replace("\r\n", "\n").trim_end().replace('\n', "\r\n");
    for sets in [&[][..], &["features.response_group=false"][..]] {
        let ps1 = text(&folder(sets), "Backup-Lync.ps1");
        assert!(ps1.contains(&crlf), "{sets:?}: the script lacks its code");
        // Only the job's values, the Lync loader and the steps stand between the header and it.
        let shared = lyncdr::bundle::FILE_SHA256.replace('\n', "\r\n");
        let generated = &ps1[..ps1.find(shared.trim_end()).expect("file hash")];
        assert!(
            ps1.find(&crlf) > ps1.find(shared.trim_end()),
            "{sets:?}: the code comes last"
        );
        assert!(
            !generated.contains("function "),
            "{sets:?}: a function outside the file"
        );
    }
}

/// One fact, one place: the script runs exactly the `backup` runbook's rendered commands (those
/// `lyncdr backup` runs), so the two cannot drift apart. Where a command names the set folder, the
/// placeholder lyncdr rendered is replaced: in PowerShell by `$LyncdrSet`, in T-SQL at run time
/// inside its literal; nowhere else does it appear. A step that does not apply is recorded as
/// skipped, as the job records it.
#[test]
fn the_script_runs_the_backup_runbooks_commands() {
    let plan = plan(&[]);
    let f = folder(&[]);
    let ps1 = lf(&text(&f, "Backup-Lync.ps1"));
    let literals = powershell::verbatim_strings(&ps1);
    let mut sql = 0;
    for step in &plan.steps {
        assert!(
            ps1.contains(&format!("Invoke-LyncdrStep '{}' {{", step.id)),
            "{}",
            step.id
        );
        for c in &step.commands {
            match c.language {
                lyncdr::runbook::Language::Sql => {
                    // The whole T-SQL text, one PowerShell literal, handed to Invoke-LyncdrSql.
                    assert!(
                        literals.iter().any(|l| l == c.text.trim_end()),
                        "{}: {}",
                        step.id,
                        c.text
                    );
                    assert!(c.text.contains(PLACEHOLDER), "{}", step.id);
                    sql += 1;
                }
                _ => {
                    // Replaced as src/backup/script.rs's unit tests pin it down.
                    let want = script::with_set_expression(&c.text).expect("placeholder in literals only");
                    for line in want.lines().filter(|l| !l.trim().is_empty()) {
                        assert!(ps1.contains(&format!("    {line}\n")), "{}: {line}", step.id);
                    }
                    if c.text.contains(PLACEHOLDER) {
                        assert!(want.contains("$LyncdrSet"), "{}", step.id);
                    }
                }
            }
        }
    }
    assert_eq!(sql, 5, "rtc, xds, lis, rgsconfig, archiving and monitoring");
    // The placeholder stands only in T-SQL literals and where the script defines it.
    for line in ps1.lines().filter(|l| l.contains(PLACEHOLDER)) {
        assert!(
            line.starts_with("    Invoke-LyncdrSql ")
                || line.starts_with("IF DB_ID(")
                || line.starts_with("$LyncdrPlaceholder = ")
                || line.starts_with("# "),
            "{line}"
        );
    }
    assert_eq!(
        f.steps,
        [
            "export-cs-configuration",
            "export-lis-configuration",
            "export-rgs",
            "export-user-data",
            "copy-file-store",
            "backup-rtc",
            "backup-xds",
            "backup-lis",
            "backup-rgsconfig",
            "backup-archiving-monitoring"
        ]
    );
    let off = folder(&["features.response_group=false"]);
    let off_ps1 = text(&off, "Backup-Lync.ps1");
    assert!(!off_ps1.contains("Invoke-LyncdrStep 'export-rgs'"));
    assert!(off_ps1.contains("Add-LyncdrSkipped 'export-rgs' "));
    assert!(off_ps1.contains("Add-LyncdrSkipped 'backup-rgsconfig' "));
    assert_eq!(off.omitted.len(), 2);
    assert!(text(&off, "README.txt").contains("export-rgs"));
    // Standard Edition: DBImpExp without /sqlserver.
    let standard = text(&folder(&["edition=standard"]), "Backup-Lync.ps1");
    assert!(!standard.contains("/sqlserver:"));
    assert!(ps1.contains(r"'/sqlserver:be01.contoso.com\rtc'"));
}

/// The script writes the set of docs/backup-set.md: its folder name, fixed file names, every
/// manifest key, SHA256SUMS with SHA256Managed over a FileStream, COMPLETE last by rename.
#[test]
fn the_script_writes_the_documented_set_format() {
    let doc = std::fs::read_to_string(repo().join("docs/backup-set.md")).expect("doc");
    let ps1 = lf(&text(&folder(&[]), "Backup-Lync.ps1"));
    for key in [
        "lyncdr_backup_set",
        "lyncdr_version",
        "host",
        "started",
        "finished",
        "environment",
        "file",
        "sha256",
        "deployment",
        "steps",
        "id",
        "status",
        "files",
        "detail",
        "complete",
    ] {
        assert!(doc.contains(&format!("\"{key}\"")), "the doc names {key}");
        assert!(
            ps1.contains(&format!("\\\"{key}\\\"")) || ps1.contains(&format!("\"{key}\":")),
            "the script writes {key}"
        );
    }
    for name in [
        "($LyncdrSet + '\\CsConfiguration.zip')",
        "($LyncdrSet + '\\CsLisConfiguration.zip')",
        "('/hrxmlfile:' + ($LyncdrSet + '\\SavedUserData.xml'))",
        "($LyncdrSet + '\\FileStore')",
        "TO DISK = N''X:\\lyncdr-backup-set-placeholder\\rtc.bak'' WITH INIT, CHECKSUM;'",
        "'manifest.json'",
        "'SHA256SUMS'",
        "'COMPLETE'",
    ] {
        assert!(ps1.contains(name), "{name}");
    }
    assert!(ps1.contains("($LyncdrSet + '\\RgsConfig-pool01.contoso.com.zip')"));
    assert!(ps1.contains("$name = 'lyncdr-' + $started.ToString('yyyyMMdd-HHmmss', $invariant) + 'Z'"));
    assert!(ps1.contains("if (Test-Path -LiteralPath $LyncdrSet) { throw"));
    // Hashing streams the file; no PowerShell 4.0 Get-FileHash, no whole-file read.
    assert!(ps1.contains("New-Object System.Security.Cryptography.SHA256Managed"));
    assert!(ps1.contains("New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::Open"));
    assert!(ps1.contains("$sha.ComputeHash($stream)"));
    let code = ps2::code_only(&ps1);
    for banned in ["Get-FileHash", "ReadAllBytes", "ConvertTo-Json", "Get-Content"] {
        assert!(!code.contains(banned), "{banned}");
    }
    // Order: the manifest, then the sums, then COMPLETE through a new temporary file and a rename.
    let at = |needle: &str| ps1.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(at("    Write-LyncdrManifest $manifest\n") < at("(Join-Path $LyncdrSet 'SHA256SUMS') $sums"));
    assert!(at("(Join-Path $LyncdrSet 'SHA256SUMS') $sums") < at("Write-LyncdrNewFile $temporary $marker"));
    assert!(
        at("Write-LyncdrNewFile $temporary $marker")
            < at("[System.IO.File]::Move($temporary, (Join-Path $LyncdrSet 'COMPLETE'))")
    );
    assert!(ps1.contains("[System.IO.FileMode]::CreateNew"));
    assert!(ps1.contains("$LyncdrSetFormat = 1\n"));
    assert!(ps1.contains("$marker = 'lyncdr backup set ' + $LyncdrSetFormat + \"`n\" + 'manifest ' +"));
    // The manifest from the start (incomplete) and after every step; each step's output in
    // backup.log; the verdict line through eventcreate, as lyncdr backup writes them.
    assert!(at("    Write-LyncdrManifest (Get-LyncdrManifest $false)\n} catch {") < at("\n. $LyncdrJob\n"));
    // The steps, generated before the code, run where it dot-sources them.
    assert!(
        at("$LyncdrJob = {\n") < at("Invoke-LyncdrStep 'export-cs-configuration' {")
            && at("Invoke-LyncdrStep 'export-cs-configuration' {") < at("function Invoke-LyncdrStep(")
    );
    let runner = &ps1[at("function Invoke-LyncdrStep(")..at("# A step the plan skips")];
    assert!(
        runner.contains("Save-LyncdrProgress") && runner.contains("Write-LyncdrLog"),
        "{runner}"
    );
    assert!(ps1.contains("Join-Path $LyncdrSet 'backup.log'"));
    assert!(ps1.contains("& $eventcreate /T $Type /ID $EventId /L APPLICATION /SO lyncdr /D $Message"));
    assert!(ps1.contains("[System.IO.File]::Replace($temporary, $path, $old)"));
    // Native tools never start in the script's folder (the bundle's rule).
    assert!(
        at("Push-Location -LiteralPath ([System.Environment]::SystemDirectory)") < at("\n. $LyncdrJob\n")
    );
    // The step wrapper's rules: Stop, the Lync module loaded, an error recorded, not fatal.
    assert!(ps1.contains("$ErrorActionPreference = 'Stop'"));
    assert!(ps1.contains("Import-Module Lync"));
    assert!(ps1.contains("$status = 'failed'"));
}

/// The JSON escaping function covers what JSON requires (quote, backslash, control characters)
/// and keeps the manifest ASCII.
#[test]
fn the_json_string_function_escapes_what_json_requires() {
    let ps1 = lf(&text(&folder(&[]), "Backup-Lync.ps1"));
    let start = ps1.find("function ConvertTo-LyncdrJsonString").expect("function");
    let body = &ps1[start..start + ps1[start..].find("\n}\n").expect("end")];
    assert!(
        body.contains("if ($n -eq 34) { [void]$out.Append('\\\"') }"),
        "{body}"
    );
    assert!(
        body.contains("elseif ($n -eq 92) { [void]$out.Append('\\\\') }"),
        "{body}"
    );
    assert!(
        body.contains("elseif ($n -lt 32 -or $n -gt 126) { [void]$out.Append('\\u' + $n.ToString('x4')) }"),
        "{body}"
    );
    // Every value that reaches the manifest goes through it.
    for line in ps1
        .lines()
        .filter(|l| l.contains("\\\"detail\\\"") || l.contains("\\\"host\\\""))
    {
        assert!(line.contains("ConvertTo-LyncdrJsonString"), "{line}");
    }
}

#[test]
fn script_snapshots() {
    let f = folder(&[]);
    insta::assert_snapshot!("backup_script", lf(&text(&f, "Backup-Lync.ps1")));
    insta::assert_snapshot!("backup_script_readme", lf(&text(&f, "README.txt")));
}

fn env_file(t: Test) -> Test {
    t.file("contoso.yaml", &example())
}

const TASK_ARGS: [&str; 10] = [
    "backup",
    "--env",
    "contoso.yaml",
    "--to",
    r"\\fs01.contoso.com\Lync Backup & Co",
    "--user",
    r"CONTOSO\svc-lyncbackup",
    "--at",
    "02:15",
    "--exe",
];

fn task_test() -> Test {
    env_file(Test::new()).args(TASK_ARGS).args([
        r"C:\Program Files\lyncdr\lyncdr.exe",
        "--env-on-server",
        r"C:\lyncdr\contoso.yaml",
    ])
}

#[test]
fn the_task_is_schema_1_2_utf16_daily_highest_privileges_without_a_password() {
    let t = task_test().args(["--task", "lyncdr-backup.xml"]);
    let out = t.run().success();
    let bytes = std::fs::read(t.path().join("lyncdr-backup.xml")).expect("task file");
    let xml = utf16(&bytes);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"),
        "{xml}"
    );
    assert!(!xml.replace("\r\n", "").contains('\n'), "CRLF only");
    well_formed(&xml);
    assert!(
        xml.contains(r#"<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">"#)
    );
    assert_eq!(elements(&xml, "StartBoundary"), ["2011-01-01T02:15:00"]);
    assert_eq!(elements(&xml, "DaysInterval"), ["1"]);
    assert_eq!(elements(&xml, "UserId"), [r"CONTOSO\svc-lyncbackup"]);
    assert_eq!(elements(&xml, "LogonType"), ["Password"]);
    assert_eq!(elements(&xml, "RunLevel"), ["HighestAvailable"]);
    assert!(
        !xml.to_ascii_lowercase().contains("<password"),
        "no password in the file"
    );
    assert_eq!(elements(&xml, "Command"), [r"C:\Program Files\lyncdr\lyncdr.exe"]);
    // The arguments reach lyncdr as these values, after XML and the C runtime's splitting.
    let arguments = elements(&xml, "Arguments");
    assert_eq!(
        split_windows_args(&arguments[0]),
        [
            "backup",
            "--env",
            r"C:\lyncdr\contoso.yaml",
            "--to",
            r"\\fs01.contoso.com\Lync Backup & Co"
        ]
    );
    assert!(xml.contains("Lync Backup &amp; Co"), "escaped by the XML writer");
    out.stdout_has("Nothing is registered yet").stdout_has(
        r#"schtasks /Create /XML "lyncdr-backup.xml" /TN "lyncdr-backup" /RU "CONTOSO\svc-lyncbackup" /RP *"#,
    );
    // Nothing but the task file was written.
    let mut names: Vec<String> = std::fs::read_dir(t.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["contoso.yaml", "lyncdr-backup.xml"]);
}

#[test]
fn the_script_task_runs_powershell_with_the_script_from_the_server_folder() {
    let t = env_file(Test::new()).args([
        "backup",
        "--env",
        "contoso.yaml",
        "--to",
        TO,
        "--script",
        "job",
        "--task",
        "job.xml",
        "--user",
        r"CONTOSO\svc-lyncbackup",
        "--script-on-server",
        r"C:\lyncdr\backup job\",
    ]);
    t.run().success().stdout_has("SHA-256 of SHA256SUMS: ");
    let xml = utf16(&std::fs::read(t.path().join("job.xml")).expect("task"));
    assert_eq!(
        elements(&xml, "Command"),
        [r"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe"]
    );
    assert_eq!(
        split_windows_args(&elements(&xml, "Arguments")[0]),
        [
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "RemoteSigned",
            "-File",
            r"C:\lyncdr\backup job\Backup-Lync.ps1"
        ]
    );
    insta::assert_snapshot!("backup_task_script", xml.replace("\r\n", "\n"));
    assert!(
        lyncdr::bundle::verify_sums(&t.path().join("job")).is_err(),
        "not a bundle: no driver"
    );
    let listed = std::fs::read_to_string(t.path().join("job/SHA256SUMS")).expect("sums");
    assert_eq!(listed.lines().count(), 3);
}

#[test]
fn task_snapshot() {
    let t = task_test().args(["--task", "t.xml"]);
    t.run().success();
    let xml = utf16(&std::fs::read(t.path().join("t.xml")).expect("task"));
    insta::assert_snapshot!("backup_task_lyncdr", xml.replace("\r\n", "\n"));
}

#[test]
fn two_runs_give_byte_identical_output() {
    let read_all = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("ls")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        files.sort();
        files
    };
    let one = task_test().args(["--task", "t.xml"]);
    one.run().success();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let two = task_test().args(["--task", "t.xml"]);
    two.run().success();
    assert_eq!(
        std::fs::read(one.path().join("t.xml")).expect("a"),
        std::fs::read(two.path().join("t.xml")).expect("b")
    );
    let script = || {
        let t =
            env_file(Test::new()).args(["backup", "--env", "contoso.yaml", "--to", TO, "--script", "job"]);
        t.run().success();
        t
    };
    let x = script();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let y = script();
    let first = read_all(&x.path().join("job"));
    assert_eq!(first, read_all(&y.path().join("job")));
    // Written again over the folder it wrote: replaced, the same bytes.
    x.run().success();
    assert_eq!(read_all(&x.path().join("job")), first);
}

#[test]
fn values_the_task_cannot_carry_are_refused_by_option() {
    for (args, needle) in [
        (
            vec![
                "--to",
                r"\\fs01\50%share",
                "--exe",
                r"C:\l.exe",
                "--env-on-server",
                r"C:\e.yaml",
            ],
            "--to",
        ),
        (
            vec![
                "--to",
                TO,
                "--exe",
                r"C:\l\%PATH%\l.exe",
                "--env-on-server",
                r"C:\e.yaml",
            ],
            "--exe",
        ),
        (
            vec![
                "--to",
                TO,
                "--exe",
                "/usr/bin/lyncdr",
                "--env-on-server",
                r"C:\e.yaml",
            ],
            "--exe",
        ),
        (
            vec![
                "--to",
                TO,
                "--exe",
                r"C:\l.exe",
                "--env-on-server",
                r"C:\e.yaml",
                "--at",
                "25:00",
            ],
            "--at",
        ),
    ] {
        let t = env_file(Test::new())
            .args([
                "backup",
                "--env",
                "contoso.yaml",
                "--task",
                "t.xml",
                "--user",
                r"CONTOSO\svc",
            ])
            .args(args.clone());
        t.run().status(64).stderr_has(needle);
        assert!(!t.path().join("t.xml").exists(), "{args:?}: nothing written");
    }
    env_file(Test::new())
        .args(["backup", "--env", "contoso.yaml", "--to", TO, "--task", "t.xml"])
        .run()
        .status(64)
        .stderr_has("--user");
    env_file(Test::new())
        .args([
            "backup",
            "--env",
            "contoso.yaml",
            "--to",
            "/srv/backup",
            "--script",
            "job",
        ])
        .run()
        .status(64)
        .stderr_has("--to");
}

#[test]
fn a_script_folder_never_replaces_a_folder_it_did_not_write() {
    let t = env_file(Test::new()).file("job/notes.txt", "mine");
    t.args(["backup", "--env", "contoso.yaml", "--to", TO, "--script", "job"])
        .run()
        .status(73)
        .stderr_has("notes.txt");
}

/// A hostile `--to`, environment name or deployment stays one PowerShell literal in the script.
#[test]
fn hostile_values_stay_one_literal_in_the_script() {
    let to = r"\\fs01\O'Brien $(Invoke-Evil) `n; & 'x";
    let deployment = "Soci\u{e9}t\u{e9} O'Neil $(calc) # x";
    let mut env = Environment::parse(
        SourceFile::new("contoso.yaml", None, example()),
        &[format!("deployment={deployment}")],
    )
    .expect("environment");
    script::for_script(&mut env);
    let lib = Library::load(None, None).expect("library");
    let plan = Plan::build(lib.get("backup").expect("runbook"), &env, &lib.templates).expect("plan");
    let config = ScriptConfig {
        to: to.to_owned(),
        env_file: "it's.yaml".to_owned(),
        env_sha256: "00".repeat(32),
        whose: None,
    };
    let f = ScriptFolder::build(&plan, &config).expect("folder");
    let bytes = &f.file("Backup-Lync.ps1").expect("script").bytes;
    // Not ASCII: UTF-8 with a byte order mark, as PowerShell 2.0 needs to read it right.
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let ps1 = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    assert!(
        powershell::errors(&ps1).is_empty(),
        "{:?}",
        powershell::errors(&ps1)
    );
    let literals = powershell::verbatim_strings(&ps1);
    for value in [to, deployment, "it's.yaml"] {
        assert!(literals.iter().any(|l| l == value), "{value} is not one literal");
    }
}

/// Issue 17 items 3, 4 and 1 in `Backup-Lync.ps1` (the stand-in runs no .NET, so the order and
/// the calls are checked): the script takes `lyncdr backup`'s lock (the same file, the whole of
/// it, so a script and a lyncdr job against one folder exclude each other) before it makes its
/// set folder and holds it to the end; a second job stops with 75 and leaves its line (event
/// 102); a set folder planted at its name is refused; a set folder dated in the future is named
/// in the outcome line; "complete" is said only of a set whose `COMPLETE` is still there.
#[test]
fn the_script_takes_lyncdr_backups_lock_and_reports_future_sets() {
    use lyncdr::backup::{lock, set};
    let ps1 = lf(&text(&folder(&[]), "Backup-Lync.ps1"));
    let at = |needle: &str| ps1.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(ps1.contains(&format!("$LyncdrLockFile = '{}'\n", lock::LOCK_FILE)));
    assert!(ps1.contains("$LyncdrExitBusy = 75\n"));
    let tolerance = set::CLOCK_TOLERANCE.as_secs();
    assert!(ps1.contains(&format!(
        "$LyncdrClockTolerance = [TimeSpan]::FromSeconds({tolerance})\n"
    )));
    // The lock: lyncdr's File::try_lock is LockFileEx over the whole file; FileShare.ReadWrite
    // lets lyncdr open the file to try it, and the lock, not the sharing mode, excludes.
    assert!(ps1.contains("[System.IO.FileMode]::OpenOrCreate, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::ReadWrite)"));
    assert!(ps1.contains("$stream.Lock(0, [long]::MaxValue)"));
    assert!(ps1.contains("if ($e -is [System.IO.IOException]) { return $null }"));
    assert!(
        ps1.contains("[System.IO.FileAttributes]::ReparsePoint"),
        "never through a link"
    );
    // The `if` block starting at `start` writes a line with `says` as event `event`, then exits.
    let outcome = |start: &str, says: &str, event: &str, exit: &str| {
        let block = &ps1[at(start)..];
        let block = &block[..block.find("\n}\n").expect("end")];
        assert!(block.contains(says) && block.contains(event), "{block}");
        assert!(block.ends_with(&format!("exit {exit}")), "{block}");
    };
    let lock = at("$LyncdrLock = Lock-LyncdrFolder $lockPath");
    outcome(
        "if ($null -eq $LyncdrLock) {",
        "another backup job is writing to",
        "102 'ERROR'",
        "$LyncdrExitBusy",
    );
    assert!(lock < at("if ($null -eq $LyncdrLock) {"));
    assert!(at("if ($null -eq $LyncdrLock) {") < at("[System.IO.Directory]::CreateDirectory($LyncdrSet)"));
    assert!(!ps1.contains("$LyncdrLock.Close()"), "held until the job ends");
    // A folder planted between the test and CreateDirectory (which succeeds on it) is refused
    // before the job writes anything into it.
    let made = at("$made = Get-Item -LiteralPath $LyncdrSet -Force\n");
    assert!(at("[System.IO.Directory]::CreateDirectory($LyncdrSet)") < made);
    assert!(made < at("    Write-LyncdrManifest (Get-LyncdrManifest $false)\n} catch {"));
    assert!(ps1.contains("@(Get-ChildItem -LiteralPath $LyncdrSet -Force).Count -ne 0) {\n        throw ('The set folder was not made new"));
    // Future-named sets named in both outcome lines; complete only while COMPLETE is there.
    assert!(ps1.contains("$future = @(Get-LyncdrFutureSets ([DateTime]::UtcNow))"));
    assert!(ps1.contains("if ($time -gt $Now.Add($LyncdrClockTolerance)) { $item.Name }"));
    assert_eq!(ps1.matches("+ $notes + ' (' + $LyncdrSet + ')')").count(), 2);
    // ... and make a complete night degraded: event 101, exit 1, as lyncdr backup's verdict.
    outcome(
        "if ($outcome -eq 'complete' -and $future.Count -gt 0) {",
        ": degraded; complete",
        "101 'WARNING'",
        "$LyncdrExitDegraded",
    );
    assert!(ps1.contains("$LyncdrExitDegraded = 1\n"));
    assert!(
        at("-not (Test-Path -LiteralPath (Join-Path $LyncdrSet 'COMPLETE') -PathType Leaf)")
            < at("if ($outcome -eq 'complete') {\n    Write-LyncdrOutcome")
    );
    // The header says the sets are unsigned, and why.
    let comments: Vec<&str> = ps1.lines().filter_map(|l| l.strip_prefix("# ")).collect();
    assert!(
        comments
            .join(" ")
            .contains("Its sets are unsigned: Windows PowerShell 2.0 and .NET 3.5 have no Ed25519")
    );
}

/// The script's exit codes mean what `lyncdr backup`'s mean (the core names none of the front
/// end's table, so this holds them equal).
#[test]
fn the_scripts_exit_codes_are_lyncdr_backups() {
    use lyncdr::backup::script::{
        EXIT_BUSY, EXIT_COMPLETE, EXIT_DEGRADED, EXIT_INCOMPLETE, EXIT_NOT_STARTED,
    };
    use lyncdr::front::exit;
    assert_eq!(
        (
            EXIT_COMPLETE,
            EXIT_DEGRADED,
            EXIT_INCOMPLETE,
            EXIT_NOT_STARTED,
            EXIT_BUSY
        ),
        (
            exit::SUCCESS,
            exit::DEGRADED,
            exit::NOT_READY,
            exit::CANNOT_WRITE,
            exit::BUSY
        )
    );
}

/// Issue 17 item 8: the environment names the nightly task once (`backups.task_name`): `--task`
/// registers it under that name, the name the recoveries disable; `--task-name` naming another
/// is refused, and a name no schtasks line or template could carry is refused in the file.
#[test]
fn the_task_takes_the_name_the_environment_gives_it() {
    let named = |name: &str| {
        example().replacen(
            "backups:\n",
            &format!("backups:\n  task_name: '{}'\n", name.replace('\'', "''")),
            1,
        )
    };
    let with_name = |name: &str| {
        Test::new()
            .file("contoso.yaml", &named(name))
            .args(TASK_ARGS)
            .args([
                r"C:\Program Files\lyncdr\lyncdr.exe",
                "--env-on-server",
                r"C:\lyncdr\contoso.yaml",
                "--task",
                "t.xml",
            ])
    };
    with_name(r"Lync\nightly backup")
        .run()
        .success()
        .stdout_has(r#"/TN "Lync\nightly backup""#);
    task_test()
        .args(["--task", "t.xml"])
        .run()
        .success()
        .stdout_has(r#"/TN "lyncdr-backup""#);
    with_name("nightly")
        .args(["--task-name", "NIGHTLY"])
        .run()
        .success();
    with_name("nightly")
        .args(["--task-name", "other"])
        .run()
        .status(64)
        .stderr_has("`other` is not the task the environment names (`backups.task_name`: `nightly`)");
    for bad in ["a'b", "a;b", "x & calc", r"..\x"] {
        with_name(bad).run().status(65).stderr_has("backups.task_name");
    }
}
