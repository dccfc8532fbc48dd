//! Issue 20's hostile inputs, run again: each test uses the input the finding was made with.
//!
//! The bounded-read tests run a process and read its peak resident memory (`VmHWM` in
//! `/proc/PID/status`, polled while it runs) and its time: memory < 64 MiB and time < 60 s
//! whatever the input.

use crate::Test;
#[cfg(target_os = "linux")]
use std::io::Write as _;
use std::path::Path;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

/// The bound of issue 20: every input costs less than this.
#[cfg(target_os = "linux")]
const MAX_RSS_KIB: u64 = 64 << 10;
#[cfg(target_os = "linux")]
const MAX_TIME: Duration = Duration::from_secs(60);

/// What a measured process did: its exit code, output, peak memory and time.
#[cfg(target_os = "linux")]
struct Measured {
    status: Option<i32>,
    stdout: String,
    peak_kib: u64,
    took: Duration,
}

/// Runs `cmd` (its output into files, so nothing blocks on a pipe), polling its peak resident
/// memory until it exits; killed after [`MAX_TIME`].
#[cfg(target_os = "linux")] // /proc/PID/status is Linux's.
fn measure(mut cmd: std::process::Command) -> Measured {
    let out = tempfile::NamedTempFile::new().expect("stdout file");
    cmd.stdout(out.reopen().expect("reopen"))
        .stderr(std::process::Stdio::null());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        if start.elapsed() > MAX_TIME {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Measured {
        status,
        stdout: std::fs::read_to_string(out.path()).unwrap_or_default(),
        peak_kib,
        took: start.elapsed(),
    }
}

#[cfg(target_os = "linux")]
fn lyncdr(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("lyncdr"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    cmd
}

#[cfg(target_os = "linux")]
fn assert_bounded(what: &str, m: &Measured) {
    assert!(m.status.is_some(), "{what}: still running after {:?}", m.took);
    assert!(
        m.peak_kib < MAX_RSS_KIB,
        "{what}: peak {} KiB, over {MAX_RSS_KIB} KiB",
        m.peak_kib
    );
    assert!(m.took < MAX_TIME, "{what}: took {:?}", m.took);
}

/// Issue 20 item 5: a sparse 2 GiB `x.sha256` took 2 GiB, even with `--no-hash`.
#[cfg(target_os = "linux")] // peak memory read from /proc; a sparse file by set_len.
#[test]
fn a_sparse_2_gib_side_checksum_file_is_read_in_bounded_memory() {
    let t = Test::new();
    let dir = t.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("rtc.bak"), b"TAPE").expect("write");
    let side = std::fs::File::create(dir.join("rtc.bak.sha256")).expect("create");
    side.set_len(2 << 30).expect("sparse 2 GiB");
    for extra in [&["--no-hash"][..], &[]] {
        let mut args = vec!["audit", "backups"];
        args.extend(extra);
        let m = measure(lyncdr(t.path(), &args));
        assert_bounded(&format!("audit {extra:?}"), &m);
    }
}

/// Issue 20 item 5: a real 300 MiB `SHA256SUMS` took 1.9 GiB; now it is read line by line and
/// no further than the line cap, which the report names.
#[cfg(target_os = "linux")] // peak memory read from /proc.
#[test]
fn a_300_mib_sums_file_is_read_in_bounded_memory() {
    let t = Test::new();
    let dir = t.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("rtc.bak"), b"TAPE").expect("write");
    let mut sums = std::io::BufWriter::new(std::fs::File::create(dir.join("SHA256SUMS")).expect("create"));
    let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut written = 0u64;
    let mut i = 0u64;
    while written < 300 << 20 {
        let line = format!("{hash}  sets/lyncdr-20261201-000000Z/some/deeper/folder/file-{i:010}.bak\n");
        sums.write_all(line.as_bytes()).expect("write");
        written += line.len() as u64;
        i += 1;
    }
    sums.flush().expect("flush");
    drop(sums);
    let m = measure(lyncdr(t.path(), &["audit", "backups"]));
    assert_bounded("audit", &m);
    assert!(m.stdout.contains("more than 10000 lines"), "{}", m.stdout);
}

/// Issue 20 item 5: a `SHA256SUMS` swapped for a FIFO hung the audit.
#[cfg(target_os = "linux")] // mkfifo; peak memory read from /proc.
#[test]
fn a_fifo_for_sums_does_not_hang_the_audit() {
    let t = Test::new();
    let dir = t.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("rtc.bak"), b"TAPE").expect("write");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("SHA256SUMS"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let m = measure(lyncdr(t.path(), &["audit", "backups"]));
    assert_bounded("audit with a FIFO", &m);
}

/// A zip of `entries` entries, every one a zero-byte stored file, written straight to `path`:
/// the central directory of 1.5 M entries takes 80 MB, without a writer's bookkeeping.
#[cfg(target_os = "linux")]
fn write_many_entry_zip(path: &Path, entries: u64) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut local = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00".to_vec();
    local.extend([0u8; 12]); // crc, sizes
    local.extend(1u16.to_le_bytes());
    local.extend(0u16.to_le_bytes());
    local.push(b'a');
    w.write_all(&local).expect("local header");
    let cd_start = local.len() as u64;
    let mut cd_len = 0u64;
    for i in 0..entries {
        let name = format!("DocItemSet{i:08}.xml");
        let mut c = b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00".to_vec();
        c.extend([0u8; 12]);
        c.extend((name.len() as u16).to_le_bytes());
        c.extend([0u8; 12]); // extra, comment, disk, attributes
        c.extend(0u32.to_le_bytes()); // local header at 0
        c.extend(name.as_bytes());
        w.write_all(&c).expect("entry");
        cd_len += c.len() as u64;
    }
    let zip64_at = cd_start + cd_len;
    let mut z = b"PK\x06\x06".to_vec();
    z.extend(44u64.to_le_bytes());
    z.extend([0x2d, 0, 0x2d, 0]);
    z.extend([0u8; 8]);
    z.extend(entries.to_le_bytes());
    z.extend(entries.to_le_bytes());
    z.extend(cd_len.to_le_bytes());
    z.extend(cd_start.to_le_bytes());
    z.extend(b"PK\x06\x07");
    z.extend(0u32.to_le_bytes());
    z.extend(zip64_at.to_le_bytes());
    z.extend(1u32.to_le_bytes());
    z.extend(b"PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff");
    z.extend([0xff; 8]); // directory size and offset: in the Zip64 record
    z.extend([0, 0]);
    w.write_all(&z).expect("end");
    w.flush().expect("flush");
}

/// Issue 20 item 5: a zip with 1.5 M entries took 455 MiB (the central directory was read
/// before any cap).
#[cfg(target_os = "linux")] // peak memory read from /proc.
#[test]
fn a_zip_of_one_and_a_half_million_entries_is_refused_before_its_directory_is_read() {
    let t = Test::new();
    let dir = t.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    write_many_entry_zip(&dir.join("CsConfiguration.zip"), 1_500_000);
    let m = measure(lyncdr(t.path(), &["audit", "backups", "--no-hash"]));
    assert_bounded("audit", &m);
    assert!(m.stdout.contains("1500000 entries"), "{}", m.stdout);
}

/// Issue 20 item 10: `bundle --zip` with the zip path linked to `/dev/zero` read without end.
#[cfg(target_os = "linux")] // /dev/zero and symlinks; peak memory read from /proc.
#[test]
fn bundle_zip_linked_to_dev_zero_is_refused_in_bounded_memory() {
    let t = Test::new();
    let example = crate::builder::repo().join("runbooks/examples/contoso.yaml");
    std::fs::copy(example, t.path().join("contoso.yaml")).expect("environment");
    std::os::unix::fs::symlink("/dev/zero", t.path().join("out.zip")).expect("symlink");
    let args = [
        "bundle",
        "rgs-restore",
        "--env",
        "contoso.yaml",
        "--out",
        "out",
        "--zip",
    ];
    let m = measure(lyncdr(t.path(), &args));
    assert_bounded("bundle --zip", &m);
    assert_ne!(m.status, Some(0));
    assert_eq!(
        std::fs::read_link(t.path().join("out.zip")).ok(),
        Some("/dev/zero".into()),
        "the link was replaced or written through"
    );
}

/// The child half of [`evidence_of_400_mib_is_read_in_bounded_memory`]: reads the evidence
/// named by `LYNCDR_EVIDENCE_CHILD` and says how many 30024 events it kept.
#[test]
fn evidence_child() {
    let Some(path) = std::env::var_os("LYNCDR_EVIDENCE_CHILD") else {
        return;
    };
    let events = lyncdr::run::evidence::read(Path::new(&path), &|e| e.id == 30024);
    println!("kept {:?}", events.map(|e| e.len()));
}

/// Issue 20 item 5: 400 MiB of `--evidence` XML took 1.2 GiB (read whole). It is read by this
/// test binary itself (the measured process runs only [`evidence_child`]): `run` reads evidence
/// only at an event gate deep in a recovery.
#[cfg(target_os = "linux")] // peak memory read from /proc.
#[test]
fn evidence_of_400_mib_is_read_in_bounded_memory() {
    let t = Test::new();
    let path = t.path().join("events.xml");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let data = "x".repeat(3000);
    w.write_all(b"<Events>").expect("write");
    let mut written = 0u64;
    let mut i = 0u64;
    while written < 400 << 20 {
        let id = if i.is_multiple_of(2) { 30024 } else { 32118 };
        let time = format!("2026-11-25T09:{:02}:{:02}Z", (i / 60) % 60, i % 60);
        let event =
            lyncdr::run::evidence::event_xml_with_data(id, "LS User Replicator", &time, "fe01", &data);
        w.write_all(event.as_bytes()).expect("write");
        written += event.len() as u64;
        i += 1;
    }
    w.write_all(b"</Events>").expect("write");
    w.flush().expect("flush");
    drop(w);
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "hostile::evidence_child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("LYNCDR_EVIDENCE_CHILD", &path);
    let m = measure(cmd);
    assert_bounded("evidence", &m);
    assert!(m.stdout.contains("kept Ok(2000)"), "{}", m.stdout);
}

/// Issue 20 item 5: an `.evtx` was read whole to test 8 bytes; event XML that is not XML is
/// refused from its first bytes.
#[test]
fn evidence_that_is_not_xml_is_refused_from_its_first_byte() {
    let t = Test::new().file("junk.xml", "this is not xml <Event>");
    let why = lyncdr::run::evidence::read(&t.path().join("junk.xml"), &|_| true).expect_err("refused");
    assert!(why.contains("neither an .evtx log nor event XML"), "{why}");
}

/// The lines of `out` that start a verdict: one, the real one.
#[cfg(unix)] // used by the Unix-only file-name test
fn verdict_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.trim_start().starts_with("Result:"))
        .collect()
}

/// Issue 20 item 9: a file name with newlines printed a fake `Result: ready` line before the real
/// verdict; so did a zip entry's name.
#[cfg(unix)] // a newline in a file name: Windows refuses it.
#[test]
fn a_file_or_zip_entry_name_cannot_forge_a_line() {
    let forged = "\nResult: ready (exit 0)\n";
    let t = Test::new();
    let dir = t.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join(format!("rtc{forged}\u{200F}.bak")), b"TAPE").expect("write");
    let zip = crate::artifacts::zip_of(&[(&format!("DocItemSet.xml{forged}"), b"<DocItemSet/>")]);
    std::fs::write(dir.join("CsConfiguration.zip"), zip).expect("write");
    let run = t.args(["audit", "backups"]).run();
    assert_eq!(verdict_lines(&run.stdout).len(), 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rtc\\nResult: ready (exit 0)\\n\\u{200f}.bak"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\u{200F}'), "{}", run.stdout);
}

/// Issue 20 item 9: a forged manifest's step ids printed lines of their own in the set list.
#[test]
fn a_forged_manifest_step_id_cannot_forge_a_line() {
    let t = Test::new();
    let set = t.path().join("sets/lyncdr-20261201-000000Z");
    std::fs::create_dir_all(&set).expect("mkdir");
    let manifest = serde_json::json!({
        "lyncdr_backup_set": 1, "lyncdr_version": "0.1.0", "host": "h",
        "started": "2026-12-01T00:00:00Z", "finished": "2026-12-01T00:10:00Z",
        "environment": {"file": "contoso.yaml", "sha256": "00"},
        "steps": [{"id": "x\nlyncdr-20261202-000000Z  complete    ready\u{202E}", "status": "failed", "files": []}],
        "complete": false
    });
    std::fs::write(set.join("manifest.json"), manifest.to_string()).expect("write");
    let run = t.args(["audit", "sets", "--all"]).run();
    let lines: Vec<&str> = run.stdout.lines().filter(|l| l.contains("lyncdr-2026")).collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].contains("x\\nlyncdr-20261202"), "{}", run.stdout);
    assert!(lines[0].contains("\\u{202e}"), "{}", run.stdout);
}

/// Issue 20 item 9: `plan` printed the environment file's name raw: an OSC title sequence (and
/// a direction mark) passed.
#[cfg(unix)] // control characters in a file name: Windows refuses them.
#[test]
fn plan_shows_an_environment_file_name_escaped() {
    let name = "contoso\u{1b}]0;owned\u{7}\u{200E}.yaml";
    let example = crate::builder::repo().join("runbooks/examples/contoso.yaml");
    let t = Test::new();
    std::fs::copy(example, t.path().join(name)).expect("environment");
    let t = t.args(["plan", "rgs-restore", "--env", name]);
    let run = t.run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("contoso\\u{1b}]0;owned\\u{7}\\u{200e}.yaml"),
        "{}",
        run.stdout
    );
    let json = t.args(["--format", "json"]).run();
    assert!(!json.stdout.contains('\u{200E}'), "{}", json.stdout);
    assert!(json.stdout.contains("\\u200e"), "{}", json.stdout);
}

/// `validate` of the mini runbook whose second step runs the template `name` holding `text`.
fn validate_template(name: &str, text: &str) -> crate::builder::Run {
    let mini = crate::diagnostics::MINI.replace("template: hello.ps1", &format!("template: {name}"));
    Test::new()
        .file("rb/mini.yaml", &mini)
        .file(&format!("tpl/{name}.hbs"), text)
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
}

/// Issue 20 item 7: a value inside T-SQL `"..."` identifiers, inside nested `/* /* */ */`
/// comments, or inside `$( )` within a PowerShell `"..."` string was accepted by `validate` and
/// rendered as code; a stray `}` closed the driver's `-WhatIf` guard. Each is refused at its
/// file, line and column.
#[test]
fn placement_gaps_and_a_stray_brace_are_refused_at_their_place() {
    for (name, text, at, says) in [
        (
            "gap.sql",
            "SELECT \"{{pool}}\";",
            "tpl/gap.sql.hbs:1:9",
            "inside a quoted identifier",
        ),
        (
            "gap.sql",
            "/* outer /* inner */ {{pool}} */ SELECT 1;",
            "tpl/gap.sql.hbs:1:22",
            "inside a comment",
        ),
        (
            "gap.ps1",
            "Write-Host \"pool $(\"x\") {{pool}}\"",
            "tpl/gap.ps1.hbs:1:25",
            "inside a double-quoted string",
        ),
        (
            "gap.ps1",
            "Write-Host \"pool $(\"{{pool}}\")\"",
            "tpl/gap.ps1.hbs:1:21",
            "inside a double-quoted string",
        ),
        (
            "gap.ps1",
            "Get-CsPool -Identity {{pool}}\n}\nStart-Process evil.exe",
            "tpl/gap.ps1.hbs:2:1",
            "-WhatIf guard",
        ),
    ] {
        let run = validate_template(name, text).status(65);
        assert!(run.stderr.contains(at), "{text}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{text}: {}", run.stderr);
    }
    // Inside `$( )` in a string, a value is code again: a literal of its own stands there.
    validate_template("fine.ps1", "Write-Host \"pool $(Get-CsPool -Identity {{pool}})\"").status(0);
}

/// A stray `}` in an inline runbook command is refused too.
#[test]
fn a_stray_brace_in_an_inline_command_is_refused() {
    let mini = crate::diagnostics::MINI.replace(
        "- powershell: Get-CsPool -Identity {{pool}}",
        "- powershell: \"Get-CsPool -Identity {{pool}} }; Start-Process evil.exe\"",
    );
    let run = Test::new()
        .file("rb/mini.yaml", &mini)
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .status(65);
    assert!(run.stderr.contains("-WhatIf guard"), "{}", run.stderr);
    assert!(run.stderr.contains("rb/mini.yaml:"), "{}", run.stderr);
}

/// Template pieces, each with one placeholder: code, strings, subexpressions in strings (nested),
/// comments, here-strings and escapes.
const PIECES: &[&str] = &[
    "Get-X {{p}}",
    "$a = {{p}}",
    "Write-Host ({{p}})",
    "if ($x) { Get-Y {{p}} }",
    "\"text {{p}}\"",
    "'text {{p}}'",
    "\"a $(Get-Z {{p}}) b\"",
    "\"a $(\"{{p}}\") b\"",
    "\"a $('x') {{p}}\"",
    "\"q `\" {{p}}\"",
    "\"q \"\" {{p}}\"",
    "\"$(\"$( {{p}} )\")\"",
    "# note {{p}}",
    "<# {{p}} #>",
    "@'\n{{p}}\n'@",
    "@\"\n$( {{p}} )\n\"@",
    "@\"\nx {{p}}\n\"@",
    "$h = @{ k = {{p}} }",
];

proptest::proptest! {
    /// Issue 20 item 7: the hand tokenizer and tree-sitter-powershell agree on where a value can
    /// stand. Each placeholder is replaced by a single-quoted literal of its own; tree-sitter
    /// finds that literal as one string node exactly where the tokenizer says "code".
    #[test]
    fn the_tokenizer_agrees_with_tree_sitter(picks in proptest::collection::vec(0..PIECES.len(), 1..6)) {
        use lyncdr::runbook::lexer::{Context, lex};
        let template = picks.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join("\n");
        let (found, error) = lex(lyncdr::runbook::Language::Powershell, &template);
        proptest::prop_assert!(error.is_none(), "{template}: {error:?}");
        for n in 0..found.len() {
            // This placeholder as a literal of its own, the others as a bare word.
            let mut text = String::new();
            let mut last = 0;
            for (m, p) in found.iter().enumerate() {
                text.push_str(&template[last..p.start]);
                text.push_str(if m == n { "'LYNCDRVALUE'" } else { "v" });
                last = p.end;
            }
            text.push_str(&template[last..]);
            let p = &found[n];
            let standalone = crate::powershell::verbatim_strings(&text).iter().any(|l| l == "LYNCDRVALUE");
proptest::prop_assert_eq!(
                p.context == Context::Code,
                standalone,
                "placeholder {} in {:?} ({:?}); rendered {:?}",
                n,
                template,
                p.context,
                text
            );
        }
    }
}

/// Issue 20 item 10: an 8-byte file starting `MSSQLBAK` was an "ok" rtc backup for `run` and
/// `bundle`: too small to be any backup, it is refused by both.
#[test]
fn an_eight_byte_compressed_backup_stub_is_refused_by_run_and_bundle() {
    let t = Test::new();
    let dir = t.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("rtc.bak"), b"MSSQLBAK").expect("write");
    let any_age = lyncdr::env::MaxBackupAge {
        limit: std::time::Duration::MAX,
        text: String::new(),
        set: false,
    };
    let why = lyncdr::run::backup::check(
        lyncdr::audit::ArtifactKind::RtcDatabase,
        r"C:\Backups\rtc.bak",
        &dir,
        &any_age,
    )
    .expect_err("refused by run");
    assert!(why.contains("less than the 4096 bytes"), "{why}");
    let example = crate::builder::repo().join("runbooks/examples/contoso.yaml");
    std::fs::copy(example, t.path().join("contoso.yaml")).expect("environment");
    crate::bundle::sound_backups(&dir);
    std::fs::write(dir.join("rtc.bak"), b"MSSQLBAK").expect("write");
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
    let run = t.args(args).run().status(4);
    assert!(run.stderr.contains("less than the 4096 bytes"), "{}", run.stderr);
}

/// `lyncdr backup --task t.xml` with the example environment and `args`.
fn task_run(args: &[&str]) -> (Test, crate::builder::Run) {
    let example = std::fs::read_to_string(crate::builder::repo().join("runbooks/examples/contoso.yaml"))
        .expect("example");
    let t = Test::new()
        .file("contoso.yaml", &example)
        .args([
            "backup",
            "--env",
            "contoso.yaml",
            "--to",
            r"\\fs01.contoso.com\LyncBackup",
            "--task",
            "t.xml",
        ])
        .args(args.iter().copied());
    let run = t.run();
    (t, run)
}

/// Issue 20 item 10: `--exe` on a UNC share was accepted silently (the task then runs a binary
/// from a share with the highest privileges): refused, unless `--exe-on-share` says so.
#[test]
fn an_exe_on_a_share_needs_a_flag_that_says_what_it_means() {
    let share = [
        r"--exe",
        r"\\fs01\tools\lyncdr.exe",
        "--env-on-server",
        r"C:\e.yaml",
        "--user",
        r"CONTOSO\svc",
    ];
    let (t, run) = task_run(&share);
    let run = run.status(64).stderr_has("--exe");
    assert!(run.stderr.contains("network share"), "{}", run.stderr);
    assert!(!t.path().join("t.xml").exists(), "nothing written");
    let mut allowed = share.to_vec();
    allowed.push("--exe-on-share");
    task_run(&allowed).1.success();
}

/// Issue 20 item 10: the task file accepted U+FFFE (the XML is then not well-formed), and the
/// `schtasks` line fell back to raw quoting for a value it cannot carry: both refused.
#[test]
fn a_task_value_that_is_no_text_or_that_the_schtasks_line_cannot_carry_is_refused() {
    let base = ["--exe", r"C:\l.exe", "--env-on-server", r"C:\e.yaml", "--user"];
    for user in ["CONTOSO\\svc\u{FFFE}", "CONTOSO\\svc\u{FDD0}"] {
        let mut args = base.to_vec();
        args.push(user);
        let (t, run) = task_run(&args);
        run.status(64).stderr_has("non-character");
        assert!(!t.path().join("t.xml").exists(), "{user:?}: nothing written");
    }
    // A letter outside ASCII is a fine account name for the XML, but not for the schtasks line.
    let mut args = base.to_vec();
    args.push("CONTOSO\\müller");
    let (_, run) = task_run(&args);
    let run = run.status(64);
    assert!(!run.stdout.contains("\"CONTOSO\\müller\""), "{}", run.stdout);
    assert!(run.stderr.contains("--user"), "{}", run.stderr);
}

/// Issue 20 item 10: an edited bundle was replaced without a word. A bundle whose files differ
/// from what lyncdr wrote (a step script changed by hand) is refused, and left as it is.
#[test]
fn an_edited_bundle_is_not_replaced_without_a_word() {
    let example = crate::builder::repo().join("runbooks/examples/contoso.yaml");
    let t = Test::new();
    std::fs::copy(example, t.path().join("contoso.yaml")).expect("environment");
    let t = t.args(["bundle", "rgs-restore", "--env", "contoso.yaml", "--out", "out"]);
    t.run().success();
    t.run().success(); // over its own, unchanged: replaced
    let readme = t.path().join("out/README.txt");
    let mut text = std::fs::read_to_string(&readme).expect("readme");
    text.push_str("my notes\r\n");
    std::fs::write(&readme, &text).expect("edit");
    let run = t.run().status(73);
    assert!(
        run.stderr.contains("`README.txt` changed since lyncdr wrote it"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&readme).expect("kept"), text);
}
