//! A seeded fuzz test of the audit's readers and the evidence reader: valid samples (export zips,
//! DBImpExp XML in UTF-16 and UTF-8, a SQL Server backup, an `.evtx` log and event XML) are
//! mutated (bytes flipped or set, cut short, bytes inserted, a run duplicated) and read the way
//! `lyncdr audit` and `lyncdr run` read them. Nothing may panic, in the caller or in a worker.
//!
//! Bounded to a few seconds: `FUZZ_ITERATIONS` rounds (default 120) from a fixed seed, so a
//! failure repeats. For a longer run: `LYNCDR_FUZZ_ITERATIONS=20000 LYNCDR_FUZZ_SEED=7 cargo test
//! --release fuzz`. An input that once broke a reader is kept in `tests/fuzz-corpus/` and read by
//! [`every_kept_input_is_read_without_panic`]; a failing round writes its inputs to
//! `target/fuzz-failure/` to be kept there.

use crate::audit::{cms_zip, lis_zip, now, rgs_zip, sql_backup, user_data, user_data_text, zip_of};
use lyncdr::audit::{AuditError, AuditOptions, audit};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

const FUZZ_ITERATIONS: u64 = 120;

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// One to four mutations of `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        if v.is_empty() {
            v.push(rng.byte());
            continue;
        }
        let at = rng.below(v.len());
        match rng.below(6) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v[at] = [0, 0xFF, 0x7F, 0x80, b'<', b'>', rng.byte()][rng.below(7)],
            2 => v.truncate(at),
            3 => {
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
                v.splice(at..at, bytes);
            }
            4 => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let run = v[at..end].to_vec();
                v.splice(at..at, run);
            }
            // A multi-byte character somewhere (zip names, XML names).
            _ => {
                v.splice(at..at, "日".bytes());
            }
        }
    }
    v
}

fn evtx_sample() -> Vec<u8> {
    crate::evtx::evtx(&[crate::evtx::Event {
        id: 30024,
        provider: "LS User Replicator",
        time: "2024-05-08T11:00:00.0000000Z",
        computer: "fe01.contoso.com",
        data: "User Replicator has completed synchronization of domain contoso.com.",
    }])
}

const EVENT_XML: &str = r#"<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="LS User Replicator"/><EventID>30024</EventID><TimeCreated SystemTime="2024-05-08T11:00:00.000Z"/><Computer>fe01</Computer><Channel>Lync Server</Channel></System><EventData><Data>domain contoso.com</Data></EventData></Event></Events>"#;

/// (file name, sample): every kind of file the audit and the evidence reader take.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let utf8_user_data = user_data_text(
        "HomedResources",
        "http://schemas.microsoft.com/RtcServer/2002/11/dbimpexp",
    )
    .replace("utf-16", "utf-8");
    vec![
        ("CsConfiguration.zip", cms_zip()),
        ("CsLisConfiguration.zip", lis_zip()),
        ("RgsConfig_pool01.zip", rgs_zip()),
        ("UserData.xml", user_data()),
        ("UserData-utf8.xml", utf8_user_data.into_bytes()),
        (
            "rtc.bak",
            sql_backup("rtc", now() - jiff::SignedDuration::from_hours(20)),
        ),
        ("lync.evtx", evtx_sample()),
        ("events.xml", EVENT_XML.as_bytes().to_vec()),
        // A zip whose XML entry nests deep and names a folder with a multi-byte character.
        (
            "RgsDeep.zip",
            zip_of(&[(
                "RgsImportExport/日本.xml",
                format!("{}{}", "<a>".repeat(300), "</a>".repeat(300)).as_bytes(),
            )]),
        ),
    ]
}

fn options(dir: &Path, hash: bool) -> AuditOptions {
    AuditOptions {
        dir: dir.to_owned(),
        named: vec![],
        runbooks: crate::audit::builtin_needs(),
        max_age: Duration::from_secs(7 * 86_400),
        now: now(),
        hash,
        write_sums: false,
        sealed_sums: false,
        response_group: true,
        facts: Default::default(),
        progress: false,
    }
}

/// Reads every file in `dir` as `audit` and `run` would; the panic message if one panicked.
fn read_all(dir: &Path, hash: bool) -> Result<(), String> {
    let audited = catch_unwind(AssertUnwindSafe(|| audit(&options(dir, hash))));
    match audited {
        Err(panic) => return Err(panic_message(&panic)),
        // A worker that panicked surfaces as this error.
        Ok(Err(AuditError::Worker)) => return Err("an audit worker thread panicked".into()),
        Ok(_) => {}
    }
    // The evidence a gate reads: `.evtx` logs and event XML.
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".evtx") || name.starts_with("events") {
            catch_unwind(|| lyncdr::run::evidence::read(&path, &|_| true).map(drop))
                .map_err(|p| format!("evidence::read({name}): {}", panic_message(&p)))?
                .ok();
        }
    }
    Ok(())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

fn env_number(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Where a failing round's inputs are written, to be kept in `tests/fuzz-corpus/`.
fn failure_dir() -> PathBuf {
    crate::builder::repo().join("target/fuzz-failure")
}

#[test]
fn mutated_backups_and_evidence_never_panic() {
    let seed = env_number("LYNCDR_FUZZ_SEED", 0x1A5C_D710);
    let iterations = env_number("LYNCDR_FUZZ_ITERATIONS", FUZZ_ITERATIONS);
    let mut rng = Rng(seed | 1);
    let samples = samples();
    let dir = tempfile::tempdir().expect("tempdir");
    for round in 0..iterations {
        for (name, sample) in &samples {
            std::fs::write(dir.path().join(name), mutate(&mut rng, sample)).expect("write");
        }
        // Hashing reads every byte again but parses nothing more: one round in eight.
        if let Err(why) = read_all(dir.path(), round % 8 == 0) {
            let keep = failure_dir().join(format!("seed-{seed}-round-{round}"));
            let _ = std::fs::create_dir_all(&keep);
            for (name, _) in &samples {
                let _ = std::fs::copy(dir.path().join(name), keep.join(name));
            }
            panic!(
                "round {round} of seed {seed}: {why}; inputs kept in {}",
                keep.display()
            );
        }
    }
}

/// Every input that once broke a reader, each read alone under its own name.
#[test]
fn every_kept_input_is_read_without_panic() {
    let corpus = crate::builder::repo().join("tests/fuzz-corpus");
    let mut kept: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("tests/fuzz-corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    kept.sort();
    assert!(!kept.is_empty());
    for path in kept {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = path.file_name().expect("name").to_owned();
        std::fs::copy(&path, dir.path().join(&name)).expect("copy");
        if let Err(why) = read_all(dir.path(), true) {
            panic!("{}: {why}", path.display());
        }
    }
}
