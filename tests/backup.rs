//! `lyncdr backup` (issue 12): the job end to end through the stand-ins for PowerShell, sqlcmd,
//! DBImpExp and robocopy (`tests/standin/`, which write believable artifacts), a failing step,
//! a job killed half-way, retention, and the recovery taking its paths from the newest set.

use crate::builder::OutputRetried as _;
use crate::builder::repo;
use crate::standin::{lync_shell, read_log};
use lyncdr::backup::retention::{self, Policy};
use lyncdr::backup::set::{self, Manifest, StepRecord};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A folder with the example environment, an empty folder of sets, `sets`, and the set signing
/// key `backup.key` made by `lyncdr backup --new-key`, its public key in the environment.
pub(crate) fn site() -> tempfile::TempDir {
    let dir = unsigned_site();
    let out = lyncdr(
        dir.path(),
        &["backup", "--env", "contoso.yaml", "--new-key", "backup.key"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = printed
        .lines()
        .find(|l| l.trim_start().starts_with("signing_key: \"ed25519:"))
        .unwrap_or_else(|| panic!("no key line in {printed}"))
        .to_owned();
    let env = dir.path().join("contoso.yaml");
    let text = std::fs::read_to_string(&env).expect("env");
    let text = text.replacen("backups:\n", &format!("backups:\n{line}\n"), 1);
    // The recovery these tests plan starts after tonight's sets (issue 17 item 8).
    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let text = text.replacen(
        "started_at: '2011-11-27T02:15:00+01:00'",
        &format!("started_at: '{tomorrow:.0}'"),
        1,
    );
    std::fs::write(&env, text).expect("env");
    dir
}

/// The example environment without a signing key, and an empty `sets`.
fn unsigned_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo().join("runbooks/examples/contoso.yaml"),
        dir.path().join("contoso.yaml"),
    )
    .expect("env");
    std::fs::create_dir(dir.path().join("sets")).expect("sets");
    dir
}

fn lyncdr(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(crate::builder::lyncdr_bin())
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LYNCSHELL_LOG", dir.join("shell.log"))
        .args(args)
        .envs(envs.iter().copied())
        .output_retried()
        .expect("run lyncdr")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Waits (at most 60 s) until `ready` holds.
fn wait_for(ready: impl Fn() -> bool) {
    for _ in 0..600 {
        if ready() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("timed out");
}

/// [`backup`] as a command to spawn (output captured).
fn backup_command(dir: &Path, envs: &[(&str, &str)]) -> Command {
    let shell = lync_shell().display().to_string();
    let mut c = Command::new(crate::builder::lyncdr_bin());
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LYNCSHELL_LOG", dir.join("shell.log"))
        .args([
            "backup",
            "--env",
            "contoso.yaml",
            "--to",
            "sets",
            "--key",
            "backup.key",
        ])
        .args(["--powershell", &shell, "--sqlcmd", &shell])
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// `lyncdr backup --env contoso.yaml --to sets` through the stand-ins, signed with `backup.key`
/// where the site has one, plus `extra`.
pub(crate) fn backup(dir: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let shell = lync_shell().display().to_string();
    let key: &[&str] = if dir.join("backup.key").exists() {
        &["--key", "backup.key"]
    } else {
        &[]
    };
    let mut args = vec![
        "backup",
        "--env",
        "contoso.yaml",
        "--to",
        "sets",
        "--powershell",
        &shell,
        "--sqlcmd",
        &shell,
        "--log",
        "backup-verdicts.log",
        "--event-log",
    ];
    args.extend_from_slice(key);
    args.extend_from_slice(extra);
    lyncdr(dir, &args, envs)
}

/// The set folders under `sets`, oldest first.
fn set_folders(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("sets"))
        .expect("sets")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("lyncdr-"))
        })
        .collect();
    v.sort();
    v
}

fn manifest(set: &Path) -> Manifest {
    serde_json::from_slice(&std::fs::read(set.join("manifest.json")).expect("manifest"))
        .expect("manifest json")
}

fn step<'m>(m: &'m Manifest, id: &str) -> &'m StepRecord {
    m.steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id} in {m:?}"))
}

/// Set names have a one-second resolution: two jobs in the same second would share one.
fn next_second() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

#[test]
fn a_backup_is_a_complete_set_the_audit_calls_ready_and_the_recovery_uses() {
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sets = set_folders(dir);
    assert_eq!(sets.len(), 1, "{sets:?}");
    let s = &sets[0];
    let name = s.file_name().expect("name").to_string_lossy().into_owned();

    // Every artifact, written by the stand-ins where the runbook's commands said.
    let m = manifest(s);
    assert!(m.complete, "{m:?}");
    assert_eq!(m.lyncdr_backup_set, 1);
    assert_eq!(m.environment.file, "contoso.yaml");
    // Whose set it is (issue 17 item 7).
    assert_eq!(m.pool.as_deref(), Some("pool01.contoso.com"));
    assert_eq!(m.sql_server.as_deref(), Some(r"be01.contoso.com\rtc"));
    for (id, file) in [
        ("export-cs-configuration", "CsConfiguration.zip"),
        ("export-lis-configuration", "CsLisConfiguration.zip"),
        ("export-rgs", "RgsConfig-pool01.contoso.com.zip"),
        ("export-user-data", "SavedUserData.xml"),
        ("copy-file-store", "FileStore"),
        ("backup-rtc", "rtc.bak"),
        ("backup-xds", "xds.bak"),
        ("backup-lis", "lis.bak"),
        ("backup-rgsconfig", "rgsconfig.bak"),
    ] {
        let st = step(&m, id);
        assert_eq!(st.status, "ok", "{st:?}");
        assert_eq!(st.files, vec![file.to_owned()], "{st:?}");
        assert!(s.join(file).exists(), "{file}");
    }
    // LcsLog is not on the stand-in's instance: the guarded backup skips it.
    assert_eq!(
        step(&m, "backup-archiving-monitoring").files,
        vec!["LcsCDR.bak", "QoEMetrics.bak"]
    );

    // SHA256SUMS lists every file but itself and COMPLETE; COMPLETE names both hashes.
    let sums = std::fs::read_to_string(s.join("SHA256SUMS")).expect("sums");
    for f in [
        "CsConfiguration.zip",
        "rtc.bak",
        "manifest.json",
        "FileStore/1-WebServices-1/MeetingContent/deck.pptx",
    ] {
        assert!(
            sums.lines().any(|l| l.ends_with(&format!("  {f}"))),
            "{f} not in\n{sums}"
        );
    }
    assert!(!sums.contains("COMPLETE"), "{sums}");
    let marker = std::fs::read(s.join("COMPLETE")).expect("COMPLETE");
    let manifest_bytes = std::fs::read(s.join("manifest.json")).expect("manifest");
    // ... then the job's Ed25519 signature over those lines (the site's key).
    let unsigned = set::marker_text(&manifest_bytes, sums.as_bytes());
    let marker = String::from_utf8(marker).expect("text");
    assert!(
        marker.starts_with(&unsigned) && marker[unsigned.len()..].starts_with("signature ed25519 "),
        "{marker}"
    );

    // The verdict: exit code, the log file, and the event (eventcreate through the runner).
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("lyncdr backup {name}: ready")),
        "{stdout}"
    );
    let verdicts = std::fs::read_to_string(dir.join("backup-verdicts.log")).expect("log");
    assert!(
        verdicts.contains(&format!("lyncdr backup {name}: ready")),
        "{verdicts}"
    );
    let log = read_log(&dir.join("shell.log"));
    let event = log.iter().find(|e| e.event == "event").expect("an event");
    assert!(
        event
            .detail
            .starts_with("/T INFORMATION /ID 100 /L APPLICATION /SO lyncdr /D lyncdr backup lyncdr-"),
        "{event:?}"
    );

    // The audit of the folder of sets takes the newest complete set and says which.
    let out = lyncdr(dir, &["audit", "sets", "--env", "contoso.yaml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("Backup set {name} (the newest complete set in sets)")),
        "{}",
        text(&out)
    );

    // plan takes every backup path from the set: backups.folder + set name + fixed file name.
    let out = lyncdr(
        dir,
        &[
            "plan",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            "sets",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan = String::from_utf8_lossy(&out.stdout);
    let rgs = format!(r"\\fs01.contoso.com\LyncBackup\{name}\RgsConfig-pool01.contoso.com.zip");
    assert!(plan.contains(&rgs), "{rgs} not in\n{plan}");
    assert!(!plan.contains("RgsConfig_pool01.zip"), "{plan}");

    // bundle writes the same paths into its driver.
    let out = lyncdr(
        dir,
        &[
            "bundle",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            "sets",
            "--out",
            "rgs-bundle",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let driver = std::fs::read_to_string(dir.join("rgs-bundle/Invoke-Recovery.ps1")).expect("driver");
    assert!(driver.contains(&rgs), "{rgs} not in the driver");

    // run checks its backup prerequisites in the set (the local view of it).
    let shell = lync_shell().display().to_string();
    let out = lyncdr(
        dir,
        &[
            "run",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            "sets",
            "--dry-run",
            "--powershell",
            &shell,
        ],
        &[],
    );
    let all = text(&out);
    assert!(
        all.contains("ok      backup `rgs-export` present (`backups.rgs_export`)") && all.contains(&name),
        "{all}"
    );
}

/// Issue 17 end to end: the share holds what an attacker or a bad clock leaves there, and the
/// nightly job and the recovery still take only genuine, sound sets.
#[test]
fn the_job_and_the_recovery_take_only_sets_they_can_trust() {
    let site = site();
    let dir = site.path();
    let sets = dir.join("sets");
    // A set named in the future (a clock once ahead): with keep_sets 1 it used to make the job
    // delete its own new set and report ready.
    let future = "lyncdr-20991231-000000Z";
    fake_set(&sets, future, true);
    let out = backup(dir, &["--set", "backups.keep_sets=1"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "degraded: {all}");
    assert!(
        all.contains(&format!("set `{future}` is named in the future")),
        "{all}"
    );
    let written: Vec<PathBuf> = set_folders(dir)
        .into_iter()
        .filter(|p| !p.ends_with(future))
        .collect();
    assert_eq!(written.len(), 1, "{all}");
    let name = written[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let shown = Path::new("sets").join(&name);
    assert!(
        all.contains(&format!("Set complete: {}", shown.display())),
        "{all}"
    );
    assert!(
        sets.join(future).exists(),
        "the future set is kept, for inspection"
    );

    // The audit of the folder takes the job's set, names the future one, and is degraded.
    let out = lyncdr(dir, &["audit", "sets", "--env", "contoso.yaml"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!("Backup set {name} (the newest complete set")),
        "{all}"
    );
    assert!(
        all.contains(&format!("warning: set `{future}` is named in the future")),
        "{all}"
    );

    // Without the public key no reader can tell: never ready silently (degraded).
    let example = repo().join("runbooks/examples/contoso.yaml");
    std::fs::copy(example, dir.join("nokey.yaml")).expect("env");
    let out = lyncdr(dir, &["audit", "sets", "--env", "nokey.yaml"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("is unauthenticated: the environment names no `backups.signing_key`"),
        "{all}"
    );

    // Two jobs at once against one --to: the second stops at once (exit 75) and the first,
    // stopped while it writes, loses nothing to the second.
    next_second();
    let mut first = backup_command(dir, &[("LYNCSHELL_BLOCK", "backup-xds/step")]);
    let mut first_child = first.spawn().expect("first job");
    wait_for(|| {
        read_log(&dir.join("shell.log"))
            .iter()
            .any(|e| e.event == "blocked")
    });
    let out = backup(dir, &[], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(75), "{all}");
    assert!(all.contains("another backup job is writing to `sets`"), "{all}");
    // ... and the refused night still leaves its line: --log and event 102.
    let verdicts = std::fs::read_to_string(dir.join("backup-verdicts.log")).expect("log");
    assert!(
        verdicts
            .contains("lyncdr backup: not ready; no set was taken: another backup job is writing to `sets`"),
        "{verdicts}"
    );
    let refused = read_log(&dir.join("shell.log")).into_iter().any(|e| {
        e.event == "event"
            && e.detail.starts_with("/T ERROR /ID 102 ")
            && e.detail.contains("no set was taken")
    });
    assert!(refused, "no event 102 for the refused job");
    if cfg!(unix) {
        // A scheduler's polite stop: the job ends as interrupted.
        let _ = Command::new("kill")
            .args(["-TERM", &first_child.id().to_string()])
            .status();
        let first_out = first_child.wait_with_output().expect("first job");
        assert_eq!(first_out.status.code(), Some(130), "{}", text(&first_out));
    } else {
        // Windows has no SIGTERM to send another console's process: TerminateProcess, as Task
        // Scheduler's "End" does; the set stays incomplete all the same.
        let _ = first_child.kill();
        let _ = first_child.wait();
    }
    let mut names: Vec<String> = set_folders(dir)
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    names.retain(|n| n != future && n != &name);
    assert_eq!(names.len(), 1, "the interrupted set is kept: {names:?}");
    assert!(!sets.join(&names[0]).join("COMPLETE").exists());

    // A planted set: the genuine one copied under a newer name, its CsConfiguration.zip
    // replaced, SHA256SUMS and COMPLETE recomputed (the old signature line kept, or none).
    for (planted, signature) in [(1, true), (2, false)] {
        plant(&written[0], &sets, planted, signature);
    }
    let out = lyncdr(dir, &["audit", "sets", "--env", "contoso.yaml"], &[]);
    let all = text(&out);
    assert!(
        all.contains(&format!("Backup set {name} (the newest complete set")),
        "{all}"
    );
    assert!(all.contains("its signature does not verify"), "{all}");
    assert!(all.contains("unauthenticated: not signed"), "{all}");
    let out = lyncdr(
        dir,
        &[
            "plan",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            "sets",
        ],
        &[],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains(&format!("Backups from set {name} ")), "{all}");

    // A newer genuine set whose rtc.bak was truncated after COMPLETE: the choice falls back to
    // the set before, and says why.
    let before = set_folders(dir);
    next_second();
    let out = backup(dir, &[], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "degraded by the future set: {}",
        text(&out)
    );
    let newer = set_folders(dir)
        .into_iter()
        .find(|p| !before.contains(p))
        .expect("newer set");
    let newer_name = newer.file_name().expect("name").to_string_lossy().into_owned();
    let rtc = std::fs::OpenOptions::new()
        .write(true)
        .open(newer.join("rtc.bak"))
        .expect("rtc");
    rtc.set_len(4096).expect("truncate");
    let out = lyncdr(dir, &["audit", "sets", "--env", "contoso.yaml"], &[]);
    let all = text(&out);
    assert!(
        all.contains(&format!("Backup set {name} (the newest complete set")),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "newer set `{newer_name}` not taken: unsound: `rtc.bak` changed"
        )),
        "{all}"
    );
    let out = lyncdr(
        dir,
        &[
            "plan",
            "backend-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            "sets",
        ],
        &[],
    );
    let all = text(&out);
    assert!(all.contains(&format!("Backups from set {name} ")), "{all}");
    assert!(all.contains(&format!(r"\{name}\SavedUserData.xml")), "{all}");
    assert!(!all.contains(&format!(r"\{newer_name}\")), "{all}");
}

/// Plants a copy of `genuine` named `minutes` later in `sets`: CsConfiguration.zip replaced,
/// SHA256SUMS and COMPLETE recomputed as anyone can, with the genuine signature line or none.
fn plant(genuine: &Path, sets: &Path, minutes: i64, keep_signature: bool) {
    let name = genuine.file_name().expect("name").to_string_lossy().into_owned();
    let t = set::parse_name(&name).expect("set name") + jiff::SignedDuration::from_mins(minutes);
    let to = sets.join(set::folder_name(t));
    std::fs::create_dir(&to).expect("planted");
    for e in std::fs::read_dir(genuine).expect("dir") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
    let zip = b"PK\x05\x06the attacker's topology";
    std::fs::write(to.join("CsConfiguration.zip"), zip).expect("zip");
    let mut m = manifest(genuine);
    m.started = t.to_string();
    let mb = m.to_json();
    std::fs::write(to.join("manifest.json"), &mb).expect("manifest");
    let hex = lyncdr::digest::sha256_hex;
    let sums: String = std::fs::read_to_string(genuine.join("SHA256SUMS"))
        .expect("sums")
        .lines()
        .map(|l| match l.split_once("  ") {
            Some((_, "CsConfiguration.zip")) => format!("{}  CsConfiguration.zip\n", hex(zip)),
            Some((_, "manifest.json")) => format!("{}  manifest.json\n", hex(mb.as_bytes())),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(to.join("SHA256SUMS"), &sums).expect("sums");
    let mut marker = set::marker_text(mb.as_bytes(), sums.as_bytes());
    if keep_signature {
        let old = std::fs::read_to_string(genuine.join("COMPLETE")).expect("COMPLETE");
        marker += old.lines().last().expect("signature line");
        marker.push('\n');
    }
    std::fs::write(to.join("COMPLETE"), marker).expect("COMPLETE");
}

#[test]
fn a_failing_step_leaves_an_incomplete_set_named_and_the_others_still_run() {
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[("LYNCSHELL_FAIL", "backup-rtc/step/sqlcmd")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("failed step: backup-rtc"), "{stdout}");
    assert!(
        stdout.contains("not ready; set incomplete, failed step(s): backup-rtc"),
        "{stdout}"
    );

    let s = &set_folders(dir)[0];
    let m = manifest(s);
    assert!(!m.complete);
    let rtc = step(&m, "backup-rtc");
    assert_eq!(rtc.status, "failed");
    assert!(
        rtc.detail
            .as_deref()
            .is_some_and(|d| d.contains("exited with code 1")),
        "{rtc:?}"
    );
    // The steps after it ran.
    assert_eq!(step(&m, "backup-xds").status, "ok");
    assert!(s.join("xds.bak").exists());
    assert!(!s.join("COMPLETE").exists());

    let log = read_log(&dir.join("shell.log"));
    let event = log.iter().find(|e| e.event == "event").expect("an event");
    assert!(event.detail.starts_with("/T ERROR /ID 102"), "{event:?}");

    // Never the newest good set: the folder of sets has none; --all says why.
    let out = lyncdr(dir, &["audit", "sets"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No complete, sound backup set"),
        "{}",
        text(&out)
    );
    let out = lyncdr(dir, &["audit", "sets", "--all"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("incomplete  not ready (step(s) failed: backup-rtc)"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_set_killed_half_way_is_never_audited_as_complete() {
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let good = set_folders(dir)[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    next_second();
    // SIGKILL lyncdr as the xds backup starts: the exports and rtc are on disk, no marker.
    let out = backup(dir, &[], &[("LYNCSHELL_KILL_PARENT", "backup-xds/step/before")]);
    assert!(crate::run::killed(out.status), "killed: {}", text(&out));
    let sets = set_folders(dir);
    assert_eq!(sets.len(), 2);
    let killed = &sets[1];
    assert!(killed.join("rtc.bak").exists() && !killed.join("COMPLETE").exists());
    let m = manifest(killed);
    assert!(!m.complete, "{m:?}");

    // The folder of sets: the older complete set, never the killed one.
    let out = lyncdr(dir, &["audit", "sets", "--env", "contoso.yaml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("Backup set {good} (the newest")),
        "{}",
        text(&out)
    );
    // The killed set on its own: its files look sound, but it is not complete.
    let out = lyncdr(dir, &["audit", killed.to_str().expect("utf-8")], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("This backup set is INCOMPLETE"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_job_applies_retention_after_a_complete_set_and_leaves_foreign_folders_alone() {
    let site = site();
    let dir = site.path();
    let sets = dir.join("sets");
    fake_set(&sets, "lyncdr-20200101-000000Z", true);
    std::fs::create_dir(sets.join("lyncdr-20190101-000000Z")).expect("no manifest");
    std::fs::write(sets.join("lyncdr-20190101-000000Z/keep.txt"), "mine").expect("file");
    let out = backup(dir, &["--set", "backups.keep_sets=1"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Retention: deleted lyncdr-20200101-000000Z"),
        "{}",
        text(&out)
    );
    assert!(!sets.join("lyncdr-20200101-000000Z").exists());
    assert!(sets.join("lyncdr-20190101-000000Z/keep.txt").exists());
}

// ---------------------------------------------------------------- retention

/// A set lyncdr wrote: a manifest, SHA256SUMS and (when `complete`) a matching COMPLETE.
fn fake_set(sets: &Path, name: &str, complete: bool) -> PathBuf {
    let p = sets.join(name);
    std::fs::create_dir_all(&p).expect("set");
    let m = Manifest {
        lyncdr_backup_set: 1,
        lyncdr_version: "0.1.0".into(),
        host: "FE01".into(),
        // The name and the manifest agree, as the job writes them.
        started: set::parse_name(name).map(|t| t.to_string()).unwrap_or_default(),
        finished: String::new(),
        environment: set::EnvironmentInfo {
            file: "contoso.yaml".into(),
            sha256: String::new(),
            deployment: None,
        },
        pool: Some("pool01.contoso.com".into()),
        sql_server: Some(r"be01.contoso.com\rtc".into()),
        steps: Vec::new(),
        complete,
    };
    let mb = m.to_json();
    std::fs::write(p.join("manifest.json"), &mb).expect("manifest");
    std::fs::write(p.join("SHA256SUMS"), "").expect("sums");
    if complete {
        std::fs::write(p.join("COMPLETE"), set::marker_text(mb.as_bytes(), b"")).expect("marker");
    }
    p
}

/// The time `days` days after 2026-01-01, as a set name.
fn day(days: i64) -> String {
    let t: jiff::Timestamp = "2026-01-01T02:00:00Z".parse().expect("time");
    set::folder_name(t + jiff::SignedDuration::from_hours(24 * days))
}

fn now_at(days: i64) -> jiff::Timestamp {
    let t: jiff::Timestamp = "2026-01-01T03:00:00Z".parse().expect("time");
    t + jiff::SignedDuration::from_hours(24 * days)
}

fn remaining(sets: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(sets)
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn retention_keeps_the_last_n_complete_sets() {
    let d = tempfile::tempdir().expect("tmp");
    for i in 0..5 {
        fake_set(d.path(), &day(i), true);
    }
    let policy = Policy {
        keep_sets: Some(2),
        keep_days: None,
    };
    let (deleted, errors) = retention::apply(d.path(), policy, now_at(100), None, None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(deleted, vec![day(0), day(1), day(2)]);
    assert_eq!(remaining(d.path()), vec![day(3), day(4)]);
}

#[test]
fn retention_keeps_every_set_younger_than_d_days_complete_or_not() {
    let d = tempfile::tempdir().expect("tmp");
    for (i, complete) in [(0, true), (10, true), (16, false), (18, true), (19, false)] {
        fake_set(d.path(), &day(i), complete);
    }
    let policy = Policy {
        keep_sets: Some(1),
        keep_days: Some(5),
    };
    // At day 20: 16, 18 and 19 are younger than 5 days; 18 is also the newest complete set.
    let (deleted, _) = retention::apply(d.path(), policy, now_at(20), None, None);
    assert_eq!(deleted, vec![day(0), day(10)]);
    assert_eq!(remaining(d.path()), vec![day(16), day(18), day(19)]);
}

#[test]
fn retention_never_deletes_the_newest_complete_set_however_old() {
    let d = tempfile::tempdir().expect("tmp");
    fake_set(d.path(), &day(0), true);
    fake_set(d.path(), &day(1), true);
    // A newer set that failed: not the newest good one, and kept for inspection.
    fake_set(d.path(), &day(2), false);
    let policy = Policy {
        keep_sets: Some(0),
        keep_days: Some(7),
    };
    let (deleted, _) = retention::apply(d.path(), policy, now_at(365), None, None);
    assert_eq!(deleted, vec![day(0)]);
    assert_eq!(remaining(d.path()), vec![day(1), day(2)]);
}

#[cfg(unix)] // no link under wine: a host link to a file shows as the file, and mklink makes none
#[test]
fn retention_never_touches_a_folder_without_a_manifest_or_a_link() {
    let d = tempfile::tempdir().expect("tmp");
    let sets = d.path().join("sets");
    std::fs::create_dir(&sets).expect("sets");
    fake_set(&sets, &day(5), true);
    // Named like a set, but lyncdr did not write it (no manifest): never deleted.
    let foreign = sets.join(day(0));
    std::fs::create_dir(&foreign).expect("foreign");
    std::fs::write(foreign.join("rtc.bak"), "someone's backup").expect("file");
    // A link named like a set, to a set elsewhere: neither the link nor its target goes.
    let elsewhere = fake_set(d.path(), &day(1), true);
    std::os::unix::fs::symlink(&elsewhere, sets.join(day(1))).expect("link");
    // Inside an old set, a link to a file outside: the link goes, the file stays.
    let old = fake_set(&sets, &day(2), true);
    let outside = d.path().join("precious.txt");
    std::fs::write(&outside, "keep me").expect("outside");
    std::os::unix::fs::symlink(&outside, old.join("link")).expect("link");
    let other = sets.join("not-a-set");
    std::fs::create_dir(&other).expect("other");

    let policy = Policy {
        keep_sets: Some(1),
        keep_days: Some(1),
    };
    let (deleted, _) = retention::apply(&sets, policy, now_at(400), None, None);
    assert_eq!(deleted, vec![day(2)]);
    assert!(foreign.join("rtc.bak").exists());
    assert!(sets.join(day(1)).symlink_metadata().is_ok() && elsewhere.join("manifest.json").exists());
    assert_eq!(std::fs::read_to_string(&outside).expect("outside"), "keep me");
    assert!(other.exists());
    assert!(sets.join(day(5)).exists());
}

/// Issue 17 item 1: one set named in the future (a clock once 3 h ahead, or a folder planted on
/// the share) made every following night delete its own new set and every genuine one.
#[test]
fn retention_keeps_the_set_just_written_and_never_counts_a_future_set() {
    let d = tempfile::tempdir().expect("tmp");
    for i in 0..4 {
        fake_set(d.path(), &day(i), true);
    }
    let future = day(30);
    fake_set(d.path(), &future, true);
    let policy = Policy {
        keep_sets: Some(1),
        keep_days: None,
    };
    let (deleted, _) = retention::apply(d.path(), policy, now_at(3), Some(&day(3)), None);
    assert_eq!(deleted, vec![day(0), day(1), day(2)]);
    assert_eq!(remaining(d.path()), vec![day(3), future.clone()]);
    // Whatever the policy, the set this job wrote stays, even when it is not the newest good one.
    let (deleted, _) = retention::apply(d.path(), policy, now_at(3), Some(&day(3)), None);
    assert!(deleted.is_empty(), "{deleted:?}");
    // And the future set is never the newest complete one.
    let sets = set::list(d.path(), None).expect("list");
    assert_eq!(
        set::newest_complete(&sets, now_at(3)).map(|s| s.name.clone()),
        Some(day(3))
    );
    assert_eq!(set::future_sets(&sets, now_at(3)).len(), 1);
}

#[test]
fn a_set_whose_name_and_manifest_disagree_is_not_complete() {
    let d = tempfile::tempdir().expect("tmp");
    let s = fake_set(d.path(), &day(0), true);
    // A genuine set copied under a newer name: its manifest still names the old start.
    let copy = d.path().join(day(5));
    std::fs::create_dir(&copy).expect("copy");
    for f in ["manifest.json", "SHA256SUMS", "COMPLETE"] {
        std::fs::copy(s.join(f), copy.join(f)).expect("copy");
    }
    let info = set::read(&copy, None).expect("a set");
    assert!(
        matches!(&info.state, set::State::Incomplete(why) if why.contains("disagree")),
        "{:?}",
        info.state
    );
    assert!(set::read(&s, None).expect("a set").is_complete());
}

#[test]
fn retention_is_off_without_keep_sets_or_keep_days() {
    let d = tempfile::tempdir().expect("tmp");
    fake_set(d.path(), &day(0), true);
    fake_set(d.path(), &day(1), true);
    let (deleted, _) = retention::apply(d.path(), Policy::default(), now_at(900), None, None);
    assert!(deleted.is_empty());
}

// ---------------------------------------------------------------- the set's own checks

#[test]
fn a_set_is_complete_only_while_its_marker_matches() {
    let d = tempfile::tempdir().expect("tmp");
    let s = fake_set(d.path(), &day(0), true);
    assert!(set::read(&s, None).expect("a set").is_complete());
    // SHA256SUMS rewritten after the job (someone hid a change): the marker no longer matches.
    std::fs::write(s.join("SHA256SUMS"), "0000  rtc.bak\n").expect("sums");
    let info = set::read(&s, None).expect("a set");
    assert!(
        matches!(&info.state, set::State::Incomplete(why) if why.contains("does not match")),
        "{:?}",
        info.state
    );
    // No marker at all: the job did not finish.
    std::fs::remove_file(s.join("COMPLETE")).expect("rm");
    assert!(matches!(
        set::read(&s, None).expect("a set").state,
        set::State::Incomplete(_)
    ));
    // Not a set lyncdr wrote: no manifest, or not a set name.
    std::fs::remove_file(s.join("manifest.json")).expect("rm");
    assert!(set::read(&s, None).is_none());
    let other = fake_set(d.path(), "backup-2026", true);
    assert!(set::read(&other, None).is_none());
}

/// The backup runbook renders through the same escaping as every runbook: a set folder holding
/// a quote stays one T-SQL literal and one PowerShell literal, each file at its fixed name.
#[test]
fn plan_backup_shows_every_command_with_the_set_folder_escaped() {
    let site = site();
    let out = lyncdr(
        site.path(),
        &[
            "plan",
            "backup",
            "--env",
            "contoso.yaml",
            "--set",
            r"backups.set=\\fs01\Lync'Backup\lyncdr-20261125-021500Z",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan = String::from_utf8_lossy(&out.stdout);
    for needle in [
        r"BACKUP DATABASE [rtc] TO DISK = N'\\fs01\Lync''Backup\lyncdr-20261125-021500Z\rtc.bak' WITH INIT, CHECKSUM;",
        r"BACKUP DATABASE [xds] TO DISK = N'\\fs01\Lync''Backup\lyncdr-20261125-021500Z\xds.bak' WITH INIT, CHECKSUM;",
        r"Export-CsLisConfiguration -FileName '\\fs01\Lync''Backup\lyncdr-20261125-021500Z\CsLisConfiguration.zip'",
        r"-FileName '\\fs01\Lync''Backup\lyncdr-20261125-021500Z\RgsConfig-pool01.contoso.com.zip'",
        r"('/hrxmlfile:' + '\\fs01\Lync''Backup\lyncdr-20261125-021500Z\SavedUserData.xml') '/sqlserver:be01.contoso.com\rtc'",
        r"& robocopy.exe '\\fs01.contoso.com\LyncShare' '\\fs01\Lync''Backup\lyncdr-20261125-021500Z\FileStore'",
    ] {
        assert!(plan.contains(needle), "{needle} not in\n{plan}");
    }
}

/// robocopy's exit codes: 1 (files copied) is success (the e2e test), 8 and above a failure.
#[test]
fn a_robocopy_failure_fails_the_file_store_step_only() {
    let site = site();
    let dir = site.path();
    let out = backup(
        dir,
        &[],
        &[("LYNCSHELL_FAIL", "copy-file-store/step/robocopy.exe")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let m = manifest(&set_folders(dir)[0]);
    let copy = step(&m, "copy-file-store");
    assert_eq!(copy.status, "failed", "{copy:?}");
    assert!(
        m.steps.iter().filter(|s| s.status == "failed").count() == 1,
        "{m:?}"
    );
}

/// The stand-in keeps Export-CsLisConfiguration's rule (Microsoft's help, gg398539): it never
/// overwrites a file, which is why every set is a new folder.
#[test]
fn the_lis_export_refuses_to_overwrite_a_file() {
    let d = tempfile::tempdir().expect("tmp");
    let target = d.path().join("CsLisConfiguration.zip");
    let script = d.path().join("lis.ps1");
    std::fs::write(
        &script,
        format!(
            "$ErrorActionPreference = 'Stop'\r\nImport-Module Lync\r\nExport-CsLisConfiguration -FileName '{}'\r\n",
            target.display()
        ),
    )
    .expect("script");
    let run = || {
        Command::new(lync_shell())
            .args([
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-File",
            ])
            .arg(&script)
            .output_retried()
            .expect("lync-shell")
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let written = std::fs::read(&target).expect("written");
    let second = run();
    assert_ne!(second.status.code(), Some(0), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already exists"),
        "{}",
        text(&second)
    );
    assert_eq!(std::fs::read(&target).expect("kept"), written);
}

/// Issue 17 item 2: where the environment names a public key, the job signs with its secret or
/// does not start (a set every reader would refuse is no backup).
#[test]
fn the_job_refuses_to_run_unsigned_or_with_another_key_where_the_environment_names_one() {
    let site = site();
    let dir = site.path();
    let shell = lync_shell().display().to_string();
    let base = [
        "backup",
        "--env",
        "contoso.yaml",
        "--to",
        "sets",
        "--powershell",
        &shell,
        "--sqlcmd",
        &shell,
    ];
    let out = lyncdr(dir, &base, &[]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out));
    assert!(
        text(&out).contains("give the job its secret key with --key FILE"),
        "{}",
        text(&out)
    );
    let out = lyncdr(
        dir,
        &["backup", "--env", "contoso.yaml", "--new-key", "other.key"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = lyncdr(dir, &[&base[..], &["--key", "other.key"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out));
    assert!(
        text(&out).contains("is not the one `backups.signing_key` names"),
        "{}",
        text(&out)
    );
    // --new-key never replaces a key.
    let out = lyncdr(
        dir,
        &["backup", "--env", "contoso.yaml", "--new-key", "other.key"],
        &[],
    );
    assert_eq!(out.status.code(), Some(73), "{}", text(&out));
    assert!(set_folders(dir).is_empty(), "nothing written");
}

/// Issue 17 item 4: a night on which no set can be started (here `--to` is a file) still says so
/// in `--log` and as event 102.
#[test]
fn a_night_without_a_set_still_leaves_its_line() {
    let site = site();
    let dir = site.path();
    std::fs::remove_dir(dir.join("sets")).expect("rm");
    std::fs::write(dir.join("sets"), "a file where the share should be").expect("file");
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(73), "{}", text(&out));
    let verdicts = std::fs::read_to_string(dir.join("backup-verdicts.log")).expect("log");
    assert!(
        verdicts.contains("lyncdr backup: not ready; no set was taken: cannot use `sets`"),
        "{verdicts}"
    );
    let log = read_log(&dir.join("shell.log"));
    assert!(
        log.iter()
            .any(|e| e.event == "event" && e.detail.starts_with("/T ERROR /ID 102 /L APPLICATION /SO lyncdr")),
        "{log:?}"
    );
}

/// Issue 17 item 5: listing sets reads capped manifests and never hashes an oversized
/// `SHA256SUMS` (nine sets with 16 MiB manifests took 1.2 GiB; a sparse 8 GiB `SHA256SUMS`
/// half a minute), and never opens a FIFO or a link in place of a manifest.
#[test]
fn listing_sets_reads_within_caps() {
    let d = tempfile::tempdir().expect("tmp");
    let big = fake_set(d.path(), &day(0), true);
    let manifest = std::fs::read_to_string(big.join("manifest.json")).expect("manifest");
    let padded = format!("{}{}", " ".repeat(2 << 20), manifest);
    std::fs::write(big.join("manifest.json"), padded).expect("pad");
    let sparse = fake_set(d.path(), &day(1), true);
    let sums = std::fs::OpenOptions::new()
        .write(true)
        .open(sparse.join("SHA256SUMS"))
        .expect("sums");
    sums.set_len(8 << 30).expect("sparse");
    let fifo = fake_set(d.path(), &day(2), true);
    std::fs::remove_file(fifo.join("COMPLETE")).expect("rm");
    let made = Command::new("mkfifo").arg(fifo.join("COMPLETE")).status();
    let started = std::time::Instant::now();
    let sets = set::list(d.path(), None).expect("list");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let why = |i: usize| sets[i].state.why().unwrap_or_default().to_owned();
    assert!(why(0).contains("more than the 1048576"), "{}", why(0));
    assert!(why(1).contains("`SHA256SUMS` is 8589934592 bytes"), "{}", why(1));
    if made.is_ok_and(|s| s.success()) {
        assert!(!sets[2].is_complete(), "a FIFO for COMPLETE");
    }
}

/// Issue 17 item 11: one spelling of each verdict in every JSON output (`audit --format json`
/// said `not-ready` where `audit --all --format json` said `not ready`).
#[test]
fn every_json_output_spells_a_verdict_one_way() {
    let site = unsigned_site();
    let dir = site.path();
    fake_set(&dir.join("sets"), &day(0), true);
    fake_set(&dir.join("sets"), &day(1), false);
    let out = lyncdr(dir, &["audit", "sets", "--all", "--format", "json"], &[]);
    let all = crate::builder::json_result(&out.stdout);
    let statuses: Vec<&str> = all["sets"]
        .as_array()
        .expect("sets")
        .iter()
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert_eq!(statuses, ["not-ready", "not-ready"], "{all}");
    let set = dir.join("sets").join(day(0));
    let out = lyncdr(
        dir,
        &["audit", &set.display().to_string(), "--format", "json"],
        &[],
    );
    let one = String::from_utf8_lossy(&out.stdout);
    assert!(
        !one.contains("\"not ready\"") && one.contains("\"not-ready\""),
        "{one}"
    );
}

/// Issue 17 item 7: `--backup-set` takes only a set of the environment's pool and Back End
/// (every pool's user database is `rtc`), and the rtc restore compares the backup's server.
#[test]
fn a_set_of_another_pool_or_server_is_never_taken() {
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "backend-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            "sets",
        ];
        args.extend_from_slice(extra);
        lyncdr(dir, &args, &[])
    };
    let out = plan(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan_text = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan_text.contains("Test-LyncdrSameSqlServer $full[0].ServerName"),
        "{plan_text}"
    );
    for other in [
        "sql.backend.fqdn=be09.contoso.com",
        "pools.failed=pool09.contoso.com",
    ] {
        let out = plan(&["--set", other]);
        let all = text(&out);
        assert_ne!(out.status.code(), Some(0), "{all}");
        assert!(all.contains("not of this environment's"), "{all}");
    }
}

/// Issue 17 item 11: `audit` of a set said ready while `run --backups` of the same folder said
/// the RGS export was missing (the example environment names it `RgsConfig_pool01.zip`, the job
/// `RgsConfig-pool01.contoso.com.zip`): a set's files are looked up by the set's names.
#[test]
fn run_finds_the_backups_of_a_set_by_the_names_the_job_gave_them() {
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = set_folders(dir).pop().expect("set");
    let shell = lync_shell().display().to_string();
    let out = lyncdr(
        dir,
        &[
            "run",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backups",
            &s.display().to_string(),
            "--dry-run",
            "--powershell",
            &shell,
        ],
        &[],
    );
    let all = text(&out);
    assert!(
        all.contains("ok      backup `rgs-export` present (`backups.rgs_export`)"),
        "{all}"
    );
}

/// Issue 17 item 8: a recovery takes a set that finished before it started
/// (`recovery.started_at`): the nightly task may back up the empty databases the recovery made.
/// Naming one set folder overrides that, with a warning.
#[test]
fn a_recovery_takes_a_set_from_before_it_started() {
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = set_folders(dir).pop().expect("set");
    let name = s.file_name().expect("name").to_string_lossy().into_owned();
    let plan = |backup_set: &str, started: jiff::Timestamp| {
        let at = format!("recovery.started_at={started}");
        let args = [
            "plan",
            "rgs-restore",
            "--env",
            "contoso.yaml",
            "--backup-set",
            backup_set,
            "--set",
            &at,
        ];
        lyncdr(dir, &args, &[])
    };
    let now = jiff::Timestamp::now();
    let out = plan("sets", now + jiff::SignedDuration::from_hours(1));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = plan("sets", now - jiff::SignedDuration::from_hours(1));
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("did not finish before the recovery started"),
        "{all}"
    );
    let explicit = format!("sets/{name}");
    let out = plan(&explicit, now - jiff::SignedDuration::from_hours(1));
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!("set `{name}` named explicitly, taken although")),
        "{all}"
    );
    assert!(
        all.contains(&format!(r"\\fs01.contoso.com\LyncBackup\{name}\RgsConfig-")),
        "{all}"
    );
}

/// Issue 18 items 7 and 8: `--backups DIR` given the folder of sets is refused with the command
/// that takes its newest complete set (`--backup-set DIR`), not a list of missing files; the
/// audit of a set never advises `--write-sums` (refused there) but what works in a set; and
/// every such hint runs as printed.
#[test]
fn hints_about_a_folder_of_sets_run_as_printed() {
    use crate::run::{hinted_commands, run_hint};
    let site = site();
    let dir = site.path();
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shell = lync_shell().display().to_string();
    let run = [
        "run",
        "rgs-restore",
        "--env",
        "contoso.yaml",
        "--backups",
        "sets",
        "--dry-run",
        "--powershell",
        &shell,
    ];
    let bundle = [
        "bundle",
        "rgs-restore",
        "--env",
        "contoso.yaml",
        "--out",
        "b",
        "--backups",
        "sets",
    ];
    for (args, code) in [(&run[..], 0), (&bundle[..], 0)] {
        let out = lyncdr(dir, args, &[]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(64), "{all}");
        assert!(all.contains("`sets` is a folder of backup sets"), "{all}");
        assert!(!all.contains("is not in"), "{all}");
        let hints = hinted_commands(&all);
        assert_eq!(hints.len(), 1, "{all}");
        assert!(hints[0].contains(" --backup-set sets"), "{all}");
        run_hint(dir, &hints[0], code);
    }

    // A file put into a set after the job: the advice fits a set, and runs.
    let set = set_folders(dir).pop().expect("set");
    std::fs::write(set.join("notes.txt"), "later").expect("write");
    let set = set.display().to_string();
    for target in ["sets", set.as_str()] {
        let out = lyncdr(dir, &["audit", target, "--env", "contoso.yaml"], &[]);
        let all = text(&out);
        assert!(all.contains("notes.txt"), "{all}");
        assert!(!all.contains("--write-sums"), "{all}");
        assert!(all.contains("move it out of the set"), "{all}");
    }
    // A file of the set changed: another set, as `lyncdr audit` of the folder finds it.
    let changed = std::path::Path::new(&set).join("manifest.json");
    let mut bytes = std::fs::read(&changed).expect("manifest");
    bytes.push(b' ');
    std::fs::write(&changed, bytes).expect("write");
    let out = lyncdr(dir, &["audit", &set, "--env", "contoso.yaml"], &[]);
    let all = text(&out);
    assert!(!all.contains("--write-sums"), "{all}");
    let hints = hinted_commands(&all);
    assert!(hints.iter().any(|h| h.starts_with("lyncdr audit ")), "{all}");
    for h in &hints {
        // A verdict (not ready: no sound set is left), never a usage error.
        run_hint(dir, h, 2);
    }
    // `--write-sums` on a set: refused, with the same audit without it.
    let out = lyncdr(
        dir,
        &["audit", &set, "--env", "contoso.yaml", "--write-sums"],
        &[],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(64), "{all}");
    let hints = hinted_commands(&all);
    assert_eq!(hints, [format!("lyncdr audit {set} --env contoso.yaml")], "{all}");
    run_hint(dir, &hints[0], 2);
}

/// Issue 17 item 9: xds and lis are backed up on the CMS's instance (`sql.cms`), by the job of
/// the pool whose Back End holds it; another pool's job skips them and says why, and its set
/// is complete. The stand-in's instance of that pool holds no xds or lis (a `BACKUP` of them
/// there fails, as on SQL Server: the database does not exist).
#[test]
fn every_pools_job_completes_and_backs_up_the_cms_only_where_it_lives() {
    let sqlcmd_servers = |dir: &Path, step: &str| -> Vec<String> {
        read_log(&dir.join("shell.log"))
            .into_iter()
            .filter(|e| e.step == step && e.detail.starts_with("sqlcmd server="))
            .map(|e| e.detail)
            .collect()
    };
    // A pool whose Back End does not hold the CMS.
    let site = site();
    let dir = site.path();
    let out = backup(
        dir,
        &["--set", "sql.cms.fqdn=be02.contoso.com"],
        &[("LYNCSHELL_SQL_WITHOUT", "xds;lis")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = set_folders(dir).pop().expect("set");
    let m = manifest(&s);
    assert!(m.complete, "{m:?}");
    let why = "`sql.cms.server == sql.backend.server` does not hold: `sql.cms.server` is be02.contoso.com\\rtc, `sql.backend.server` is be01.contoso.com\\rtc";
    for id in ["backup-xds", "backup-lis"] {
        let st = step(&m, id);
        assert_eq!(st.status, "skipped", "{st:?}");
        assert_eq!(st.detail.as_deref(), Some(why), "{st:?}");
        assert!(sqlcmd_servers(dir, id).is_empty(), "{id} ran");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&format!("[{id}] skipped: {why}")), "{stdout}");
    }
    assert!(!s.join("xds.bak").exists());

    // The CMS's pool (its instance written in other letters): run there, on `sql.cms`.
    let site = self::site();
    let dir = site.path();
    let out = backup(dir, &["--set", "sql.cms.fqdn=BE01.contoso.com"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let m = manifest(&set_folders(dir).pop().expect("set"));
    for id in ["backup-xds", "backup-lis"] {
        assert_eq!(step(&m, id).status, "ok", "{m:?}");
        assert_eq!(sqlcmd_servers(dir, id), [r"sqlcmd server=BE01.contoso.com\rtc"]);
    }
    assert_eq!(
        sqlcmd_servers(dir, "backup-rtc"),
        [r"sqlcmd server=be01.contoso.com\rtc"]
    );

    // Where the environment does not say where the CMS lives, nothing is sent anywhere.
    let site = self::site();
    let dir = site.path();
    let env = dir.join("contoso.yaml");
    let text_of = std::fs::read_to_string(&env).expect("env");
    let without = text_of.replacen("  cms:\n    fqdn: be01.contoso.com\n    instance: rtc\n", "", 1);
    assert_ne!(without, text_of);
    std::fs::write(&env, without).expect("env");
    let out = backup(dir, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let m = manifest(&set_folders(dir).pop().expect("set"));
    assert_eq!(
        step(&m, "backup-xds").detail.as_deref(),
        Some("`sql.cms.server` is not set")
    );
}

/// Issue 17 item 10: the baseline a recovery ends with is a set of its own, written by the job's
/// code (`--baseline`): the same layout, manifest and signature, in `sets/baseline`, where the
/// nightly retention never counts nor deletes it; it verifies as a nightly set does, and a
/// changed one does not.
#[test]
fn a_baseline_is_a_set_of_its_own_that_retention_never_counts() {
    let site = site();
    let dir = site.path();
    let sets = dir.join("sets");
    let keep_one = ["--set", "backups.keep_sets=1"];
    let out = backup(dir, &keep_one, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    next_second();
    let out = backup(dir, &["--baseline", "--set", "backups.keep_sets=1"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Baseline set lyncdr-"), "{all}");
    let baseline = &the_baseline(dir);
    let m = manifest(baseline);
    assert!(m.complete, "{m:?}");
    let marker = std::fs::read_to_string(baseline.join("COMPLETE")).expect("COMPLETE");
    assert!(marker.contains("\nsignature ed25519 "), "{marker}");
    // The baseline deleted no nightly set, and is not one of them.
    assert_eq!(set_folders(dir).len(), 1, "{all}");

    // Two more nights with keep_sets 1: each deletes the night before, never the baseline.
    for _ in 0..2 {
        next_second();
        let out = backup(dir, &keep_one, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(set_folders(dir).len(), 1, "{}", text(&out));
        assert!(baseline.join("COMPLETE").exists(), "{}", text(&out));
    }
    let listed = set::list(&sets, None).expect("list");
    assert!(listed.iter().all(|s| !s.path.starts_with(sets.join("baseline"))));

    // It verifies as a nightly set does: the audit of the baseline folder takes it, signed.
    let audit = |dir: &Path| lyncdr(dir, &["audit", "sets/baseline", "--env", "contoso.yaml"], &[]);
    let out = audit(dir);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let name = baseline.file_name().expect("name").to_string_lossy().into_owned();
    assert!(
        all.contains(&format!("Backup set {name} (the newest complete set")),
        "{all}"
    );

    // A changed baseline (its sums and marker recomputed, the signature kept) is refused.
    plant(baseline, &sets.join("baseline"), 5, true);
    let out = audit(dir);
    let all = text(&out);
    assert!(all.contains("its signature does not verify"), "{all}");
    assert!(
        all.contains(&format!("Backup set {name} (the newest complete set")),
        "{all}"
    );
}

/// A printed command line's words: spaces separate them, double quotes hold spaces.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut word, mut quoted, mut started) = (String::new(), false, false);
    for c in line.trim().chars() {
        match c {
            '"' => (quoted, started) = (!quoted, true),
            ' ' if !quoted => {
                if started {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// The one baseline set in `sets\baseline` (a test's `backup --baseline` or `finish`).
fn the_baseline(dir: &Path) -> PathBuf {
    let sets: Vec<PathBuf> = std::fs::read_dir(dir.join("sets").join("baseline"))
        .expect("baseline folder")
        .map(|e| e.expect("entry").path())
        .collect();
    let [set] = sets.as_slice() else {
        panic!("one baseline set expected: {sets:?}")
    };
    set.clone()
}

/// `lyncdr run finish --yes` through the stand-ins, its baseline under `sets\baseline`.
fn finish(dir: &Path, extra: &[&str]) -> Output {
    let shell = lync_shell().display().to_string();
    let sets = crate::builder::windows_path(&dir.join("sets"));
    let folder = format!("backups.folder={sets}");
    let mut args = vec![
        "run",
        "finish",
        "--env",
        "contoso.yaml",
        "--yes",
        "--set",
        &folder,
    ];
    args.extend_from_slice(&["--powershell", &shell, "--sqlcmd", &shell]);
    args.extend_from_slice(extra);
    // Test-Path in the baseline's folder answers from this host's disk (open-baseline's check).
    let env = [
        ("LYNCDR_OPERATOR", "Test Operator"),
        ("LYNCSHELL_DISK", sets.as_str()),
    ];
    lyncdr(dir, &args, &env)
}

/// Issue 17 item 10: `finish` takes its baseline with the nightly job's own steps into this
/// run's folder under `sets\baseline` (named as a set, after the run's start) and seals it as a
/// set: manifest (whose it is), SHA256SUMS, COMPLETE signed with the job's key. It verifies as a
/// nightly set does, the nightly retention never sees it, and sealing it again changes nothing.
#[test]
fn finish_seals_its_baseline_as_a_signed_set_of_its_own() {
    let site = site();
    let dir = site.path();
    let out = finish(dir, &["--key", "backup.key"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("as a backup set: ready"), "{}", text(&out));
    let set = &the_baseline(dir);
    let m = manifest(set);
    assert!(m.complete, "{m:?}");
    assert_eq!(m.pool.as_deref(), Some("pool01.contoso.com"));
    // The job's file names (one table), so audit and run find them in the baseline too.
    let files = &m.steps[0].files;
    for name in ["CsConfiguration.zip", "SavedUserData.xml", "rtc.bak", "FileStore"] {
        assert!(files.iter().any(|f| f == name), "{name} not in {files:?}");
    }
    let marker = std::fs::read_to_string(set.join("COMPLETE")).expect("COMPLETE");
    assert!(marker.contains("\nsignature ed25519 "), "{marker}");

    // The audit verifies it with the environment's public key, as it does a nightly set.
    let out = lyncdr(dir, &["audit", "sets/baseline", "--env", "contoso.yaml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let name = set.file_name().expect("name").to_string_lossy().into_owned();
    assert!(
        text(&out).contains(&format!(
            "Backup set {name} (the newest complete set in sets/baseline)"
        )),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("in no checksum file"), "{}", text(&out));
    // Never among the nightly sets: listing the folder of sets does not see it.
    assert!(set_folders(dir).iter().all(|p| !p.ends_with(&name)));

    // Sealing it again (`lyncdr backup --seal`, as after a bundle) checks it and writes nothing.
    let before = std::fs::read(set.join("COMPLETE")).expect("COMPLETE");
    let set_arg = set.display().to_string();
    let out = lyncdr(dir, &["backup", "--env", "contoso.yaml", "--seal", &set_arg], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("sealed already"), "{}", text(&out));
    assert_eq!(std::fs::read(set.join("COMPLETE")).expect("COMPLETE"), before);
}

/// Without the job's key the baseline is sealed, unsigned, and said to be so; the audit never
/// calls it ready; `lyncdr backup --seal` refuses a folder that is not named as a set.
#[test]
fn an_unsigned_baseline_is_said_to_be_unauthenticated() {
    let site = site();
    let dir = site.path();
    let out = finish(dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("unauthenticated: no --key"), "{}", text(&out));
    let all = text(&out);
    let out = lyncdr(dir, &["audit", "sets/baseline", "--env", "contoso.yaml"], &[]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    // The command it prints for a signed baseline runs as printed (the key file given, the
    // stand-ins for the server's programs): a second, signed baseline set.
    let printed = all
        .split("run: lyncdr ")
        .nth(1)
        .and_then(|rest| rest.split(" (KEY:").next())
        .unwrap_or_else(|| panic!("no command in: {all}"));
    let mut args = words(printed);
    for a in &mut args {
        if a == "KEY" {
            *a = "backup.key".into();
        }
    }
    let shell = lync_shell().display().to_string();
    args.extend(["--powershell", &shell, "--sqlcmd", &shell].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = lyncdr(dir, &args, &[]);
    assert_eq!(out.status.code(), Some(0), "{printed}: {}", text(&out));
    assert!(text(&out).contains("Baseline set lyncdr-"), "{}", text(&out));
    std::fs::create_dir(dir.join("elsewhere")).expect("mkdir");
    let out = lyncdr(
        dir,
        &["backup", "--env", "contoso.yaml", "--seal", "elsewhere"],
        &[],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("is not named as a set is"), "{}", text(&out));
}

/// Issue 17 item 10 by hand (a bundle's run, after a CMS move): `lyncdr backup --seal` records
/// the pool and Back End `--pool` and `--sql-server` name (the target pool's, which the bundle's
/// step prints), not the environment's failed pool; values that are no FQDN are refused before
/// anything is written.
#[test]
fn a_baseline_sealed_by_hand_records_the_pool_it_was_taken_of() {
    let site = site();
    let dir = site.path();
    let out = finish(dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let taken = the_baseline(dir);
    // The same backups in a new, unsealed folder of the run.
    let by_hand = dir.join("sets").join("baseline").join("lyncdr-20261201-010000Z");
    std::fs::create_dir(&by_hand).expect("mkdir");
    for entry in std::fs::read_dir(&taken).expect("read") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if path.is_file() && !["manifest.json", "SHA256SUMS", "COMPLETE"].contains(&name.as_str()) {
            std::fs::copy(&path, by_hand.join(&name)).expect("copy");
        }
    }
    let folder = by_hand.display().to_string();
    let seal = |extra: &[&str]| {
        let mut args = vec!["backup", "--env", "contoso.yaml", "--seal", &folder];
        args.extend_from_slice(extra);
        lyncdr(dir, &args, &[])
    };
    for bad in [
        [
            "--pool",
            "pool02.contoso.com;calc",
            "--sql-server",
            r"be02.contoso.com\rtc",
        ],
        [
            "--pool",
            "pool02.contoso.com",
            "--sql-server",
            r"be02.contoso.com\rtc']",
        ],
    ] {
        let out = seal(&bad);
        assert_eq!(out.status.code(), Some(65), "{}", text(&out));
        assert!(text(&out).contains("= hint: e.g. --"), "{}", text(&out));
        assert!(!by_hand.join("manifest.json").exists(), "{}", text(&out));
    }
    let out = seal(&[
        "--pool",
        "pool02.contoso.com",
        "--sql-server",
        r"be02.contoso.com\rtc",
    ]);
    assert!(text(&out).contains("Sealed"), "{}", text(&out));
    let m = manifest(&by_hand);
    assert_eq!(m.pool.as_deref(), Some("pool02.contoso.com"), "{m:?}");
    assert_eq!(m.sql_server.as_deref(), Some(r"be02.contoso.com\rtc"), "{m:?}");
}
