//! `lyncdr audit`: every fixture (export zips, DBImpExp XML, SQL Server backup headers, damaged
//! and mislabeled copies) is built here, in a temporary folder, with fixed modification times so
//! ages are deterministic.

use lyncdr::artifact::ArtifactKind as K;
use lyncdr::audit::{AuditError, AuditOptions, AuditReport, Progress, Severity, Status, audit, audit_with};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

const DAY: u64 = 86_400;
const NAMESPACE: &str = "http://schemas.microsoft.com/RtcServer/2002/11/dbimpexp";

pub(crate) fn now() -> jiff::Timestamp {
    "2024-05-08T12:00:00Z"
        .parse()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

// ---------------------------------------------------------------- fixtures

pub(crate) use crate::artifacts::{
    DIFFERENTIAL, FULL, cms_zip, lis_zip, mtf_block, mtf_date, rgs_zip, sql_backup, sql_backup_sets,
    user_data, user_data_text, utf16le, zip_of,
};

/// A backup whose `TAPE` block is sound but whose backup set (SSET) block header fails its
/// checksum: the audit calls it corrupt.
pub(crate) fn sql_backup_with_a_damaged_set(database: &str) -> Vec<u8> {
    let mut f = sql_backup(database, now());
    // TAPE (1024 bytes), SFMB (1024), then SSET: a byte inside its checksummed header.
    f[2048 + 20] ^= 0xFF;
    f
}

/// A backup folder in a temporary directory.
pub(crate) struct Backups {
    pub(crate) dir: tempfile::TempDir,
    /// When the audit runs: files are dated relative to it.
    now: jiff::Timestamp,
}

impl Backups {
    fn empty() -> Self {
        Self::empty_at(now())
    }

    fn empty_at(now: jiff::Timestamp) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            now,
        }
    }

    /// Everything every runbook needs, written a day before [`now`].
    pub(crate) fn complete() -> Self {
        Self::complete_at(now())
    }

    fn complete_at(now: jiff::Timestamp) -> Self {
        let b = Self::empty_at(now);
        b.write("CsConfiguration.zip", &cms_zip())
            .write("CsLisConfiguration.zip", &lis_zip())
            .write("RgsConfig_pool01.zip", &rgs_zip())
            .write("UserData.xml", &user_data())
            .write(
                "sql/rtc_backup_2024_05_07.bak",
                &sql_backup("rtc", now - jiff::SignedDuration::from_hours(20)),
            )
            .write(
                "sql/xds.bak",
                &sql_backup("xds", now - jiff::SignedDuration::from_hours(20)),
            )
            .write(
                "FileStore/1-WebServices-1/MeetingContent/deck.pptx",
                b"PK fake deck",
            )
            .write(
                "FileStore/1-ApplicationServer-1/AppServerFiles/Rgs/welcome.wav",
                b"RIFF....WAVE",
            );
        b
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `rel`, modified a day before the audit.
    fn write(&self, rel: &str, bytes: &[u8]) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
        self.age(rel, DAY)
    }

    fn age(&self, rel: &str, seconds: u64) -> &Self {
        let when = SystemTime::from(self.now) - Duration::from_secs(seconds);
        let f = std::fs::File::options()
            .write(true)
            .open(self.path(rel))
            .expect("open");
        f.set_modified(when).expect("set mtime");
        self
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).expect("read")
    }

    pub(crate) fn remove(&self, rel: &str) -> &Self {
        let p = self.path(rel);
        if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        }
        .expect("remove");
        self
    }

    /// Keeps the first `len` bytes of `rel` (its modification time too).
    fn cut(&self, rel: &str, len: usize) -> &Self {
        let bytes = self.read(rel);
        self.write(rel, &bytes[..len])
    }

    fn options(&self) -> AuditOptions {
        AuditOptions {
            dir: self.dir.path().to_owned(),
            named: Vec::new(),
            runbooks: builtin_needs(),
            max_age: Duration::from_secs(7 * DAY),
            now: self.now,
            hash: true,
            write_sums: false,
            sealed_sums: false,
            response_group: true,
            facts: Default::default(),
            progress: false,
        }
    }

    fn audit(&self) -> AuditReport {
        self.audit_with(|_| {})
    }

    fn audit_with(&self, change: impl FnOnce(&mut AuditOptions)) -> AuditReport {
        let mut opts = self.options();
        change(&mut opts);
        audit(&opts).unwrap_or_else(|e| panic!("audit failed: {e}"))
    }
}

/// What the built-in runbooks need of the backups: the readiness rows `lyncdr audit` uses.
pub fn builtin_needs() -> Vec<lyncdr::runbook::needs::BackupNeeds> {
    static NEEDS: std::sync::OnceLock<Vec<lyncdr::runbook::needs::BackupNeeds>> = std::sync::OnceLock::new();
    NEEDS
        .get_or_init(|| {
            let library = lyncdr::runbook::Library::load(None, None).expect("built-in runbooks");
            library.backup_needs()
        })
        .clone()
}

// ---------------------------------------------------------------- report helpers

fn status(r: &AuditReport, runbook: &str, option: Option<&str>) -> Status {
    r.readiness
        .iter()
        .find(|row| row.runbook == runbook && row.option.as_deref() == option)
        .map(|row| row.status)
        .unwrap_or_else(|| panic!("no row {runbook} {option:?}"))
}

fn reasons(r: &AuditReport, runbook: &str, option: Option<&str>) -> String {
    r.readiness
        .iter()
        .filter(|row| row.runbook == runbook && row.option.as_deref() == option)
        .flat_map(|row| row.reasons.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// (severity, code, path) of every finding at warning or above.
fn problems(r: &AuditReport) -> Vec<(Severity, &'static str, String)> {
    r.findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| (f.severity, f.code, f.path.clone().unwrap_or_default()))
        .collect()
}

fn has(r: &AuditReport, severity: Severity, code: &str, path: &str) -> bool {
    problems(r)
        .iter()
        .any(|(s, c, p)| *s == severity && *c == code && p == path)
}

fn text_of(b: &Backups, r: &AuditReport) -> String {
    r.to_text().replace(&b.dir.path().display().to_string(), "[DIR]")
}

// ---------------------------------------------------------------- a good set

#[test]
fn a_complete_set_is_ready() {
    let b = Backups::complete();
    let r = b.audit();
    assert_eq!(problems(&r), [], "{}", r.to_text());
    assert_eq!((r.status, r.exit_code()), (Status::Ready, 0));
    for row in &r.readiness {
        assert_eq!(row.status, Status::Ready, "{row:?}");
    }
    insta::assert_snapshot!("complete_text", text_of(&b, &r));
}

#[test]
fn a_complete_set_as_json() {
    let b = Backups::complete();
    let mut json = b.audit().to_json();
    json["dir"] = "[DIR]".into();
    insta::assert_json_snapshot!("complete_json", json);
}

#[test]
fn details_are_read_from_the_files() {
    let r = Backups::complete().audit();
    let json = r.to_json();
    let artifact = |path: &str| {
        json["artifacts"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["path"] == path))
            .cloned()
            .unwrap_or_default()
    };
    let users = artifact("UserData.xml");
    assert_eq!(
        (
            &users["details"]["users"],
            &users["details"]["contacts"],
            &users["details"]["conference_directories"],
            &users["details"]["encoding"]
        ),
        (&3.into(), &3.into(), &1.into(), &"utf16-le".into())
    );
    let rtc = artifact("sql/rtc_backup_2024_05_07.bak");
    assert_eq!(rtc["kind"], "rtc-database");
    assert_eq!(rtc["identified_by"], "content");
    assert_eq!(rtc["details"]["database"], "rtc");
    assert_eq!(rtc["details"]["backup_time"], "2024-05-07T16:00:00Z");
    assert_eq!(rtc["details"]["user"], "CONTOSO\\sqlsvc");
    assert_eq!(artifact("sql/xds.bak")["kind"], "other-database");
    assert_eq!(artifact("CsConfiguration.zip")["details"]["doc_items"], 3);
    assert_eq!(artifact("RgsConfig_pool01.zip")["kind"], "rgs-export");
    assert_eq!(artifact("FileStore")["kind"], "file-store");
    assert_eq!(artifact("FileStore")["details"]["files"], 2);
    let cms = Sha256::digest(cms_zip())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(artifact("CsConfiguration.zip")["sha256"], cms.as_str());
}

#[test]
fn artifacts_are_recognised_by_content_not_name() {
    let b = Backups::empty();
    b.write("a.zip", &cms_zip())
        .write("b.zip", &rgs_zip())
        .write("c/E911.bak", &lis_zip())
        .write("d.dat", &user_data())
        .write(
            "e.dat",
            &sql_backup("rtc", now() - jiff::SignedDuration::from_hours(3)),
        )
        .write("f/1-CentralMgmt-1/x", b"x");
    let r = b.audit();
    let uses = |runbook: &str, option: Option<&str>| {
        r.readiness
            .iter()
            .find(|row| row.runbook == runbook && row.option.as_deref() == option)
            .map(|row| row.uses.clone())
            .unwrap_or_default()
    };
    let a = uses("cms-restore", Some("A"));
    let b_ = uses("cms-restore", Some("B"));
    assert_eq!(
        [
            &a["cs-configuration"],
            &a["lis-configuration"],
            &a["rgs-export"],
            &a["rtc-database"],
            &a["file-store"],
            &b_["user-data"]
        ],
        ["a.zip", "c/E911.bak", "b.zip", "e.dat", "f", "d.dat"]
    );
    assert_eq!(r.status, Status::Ready, "{}", r.to_text());
}

// ---------------------------------------------------------------- missing backups

#[test]
fn no_rtc_backup_leaves_option_b() {
    let b = Backups::complete();
    b.remove("sql/rtc_backup_2024_05_07.bak");
    let r = b.audit();
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::NotReady);
    assert_eq!(status(&r, "backend-restore", Some("B")), Status::Ready);
    assert_eq!(status(&r, "cms-restore", Some("A")), Status::NotReady);
    assert_eq!(
        reasons(&r, "backend-restore", Some("A")),
        "no SQL Server backup of `rtc`: step E.A.1 (Restore the rtc database from an SQL Server backup, with the pool's services stopped) needs it"
    );
    let runbook = r
        .runbooks
        .iter()
        .find(|x| x.runbook == "backend-restore")
        .map(|x| x.status);
    assert_eq!(runbook, Some(Status::Degraded));
    assert!(has(&r, Severity::Error, "missing", ""));
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn no_user_data_export_makes_the_cms_move_impossible() {
    let b = Backups::complete();
    b.remove("UserData.xml");
    let r = b.audit();
    assert_eq!(status(&r, "cms-move", None), Status::NotReady);
    assert!(
        reasons(&r, "cms-move", None)
            .contains("no user data export (DBImpExp XML): step J (Import the user data into the target pool with DBImpExp) needs it")
    );
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::Ready);
    assert_eq!(r.exit_code(), 2);
    let missing = r
        .findings
        .iter()
        .find(|f| f.code == "missing")
        .map(|f| (f.message.clone(), f.action.clone()));
    assert_eq!(
        missing,
        Some((
            "no user data export (DBImpExp XML) found".into(),
            Some("run `DBImpExp.exe /hrxmlfile:<file>.xml /sqlserver:<fqdn>\\<instance>` from the Lync Server 2010 Support folder".into())
        ))
    );
}

#[test]
fn no_lis_export_blocks_the_cms_runbooks_only() {
    let b = Backups::complete();
    b.remove("CsLisConfiguration.zip");
    let r = b.audit();
    assert_eq!(status(&r, "cms-move", None), Status::NotReady);
    assert_eq!(status(&r, "cms-restore", Some("B")), Status::NotReady);
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::Ready);
    assert_eq!(status(&r, "rgs-restore", None), Status::Ready);
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn no_file_store_copy_blocks_the_cms_restore() {
    let b = Backups::complete();
    b.remove("FileStore");
    let r = b.audit();
    assert_eq!(status(&r, "cms-restore", Some("A")), Status::NotReady);
    assert_eq!(status(&r, "cms-move", None), Status::Ready);
}

#[test]
fn without_response_group_the_rgs_export_is_not_needed() {
    let b = Backups::complete();
    b.remove("RgsConfig_pool01.zip");
    let r = b.audit_with(|o| o.response_group = false);
    assert_eq!(status(&r, "rgs-restore", None), Status::NotApplicable);
    assert_eq!((r.status, r.exit_code()), (Status::Ready, 0), "{}", r.to_text());
    let r = b.audit();
    assert_eq!(status(&r, "rgs-restore", None), Status::NotReady);
    assert_eq!(status(&r, "backend-restore", Some("B")), Status::NotReady);
}

// ---------------------------------------------------------------- damaged backups

#[test]
fn an_empty_export_is_unusable() {
    let b = Backups::complete();
    b.write("CsConfiguration.zip", b"");
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "empty", "CsConfiguration.zip"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "cms-move", None), Status::NotReady);
    assert!(reasons(&r, "cms-move", None).starts_with("`CsConfiguration.zip`: the file is empty;"));
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn a_truncated_zip_is_recognised_and_rejected() {
    let b = Backups::complete();
    // Renamed too: the kind comes from the zip's first local header, not the name.
    let zip = cms_zip();
    b.remove("CsConfiguration.zip")
        .write("nightly.zip", &zip[..zip.len() / 2]);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "truncated", "nightly.zip"),
        "{:?}",
        problems(&r)
    );
    let f = r.findings.iter().find(|f| f.code == "truncated").map(|f| f.kind);
    assert_eq!(f, Some(Some(K::CsConfiguration)));
    assert_eq!(status(&r, "cms-restore", Some("A")), Status::NotReady);
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn a_damaged_zip_entry_fails_its_crc() {
    let b = Backups::complete();
    let mut zip = lis_zip();
    // Flip a byte of the entry's data, after its local header, name and extra field.
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([zip[i], zip[i + 1]]));
    let at = 30 + u16_at(26) + u16_at(28) + 5;
    zip[at] ^= 0x20;
    b.write("CsLisConfiguration.zip", &zip);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "corrupt-entry", "CsLisConfiguration.zip"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "cms-move", None), Status::NotReady);
}

#[test]
fn a_cms_export_without_doc_items_is_empty() {
    let b = Backups::complete();
    b.write(
        "CsConfiguration.zip",
        &zip_of(&[("DocItemSet.xml", b"<DocItemSet></DocItemSet>")]),
    );
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "no-doc-items", "CsConfiguration.zip"),
        "{:?}",
        problems(&r)
    );
}

#[test]
fn an_rgs_export_with_malformed_xml_names_the_entry_and_line() {
    let b = Backups::complete();
    b.write(
        "RgsConfig_pool01.zip",
        &zip_of(&[("RgsImportExport\\Workflows.xml", b"<Objs>\n<Obj>\n</Objx></Objs>")]),
    );
    let r = b.audit();
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "malformed-xml")
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(
        f.starts_with(
            "`RgsImportExport/Workflows.xml` in the zip: the XML is not well-formed at line 3, column 1:"
        ),
        "{f}"
    );
    assert_eq!(status(&r, "rgs-restore", None), Status::NotReady);
}

#[test]
fn a_truncated_user_data_export_is_rejected_wherever_it_is_cut() {
    let full = user_data();
    for cut in [full.len() - 20, full.len() / 2, full.len() / 2 + 1, 200] {
        let b = Backups::complete();
        b.cut("UserData.xml", cut);
        let r = b.audit();
        assert!(
            has(&r, Severity::Error, "truncated", "UserData.xml"),
            "cut {cut}: {:?}",
            problems(&r)
        );
        assert_eq!(
            status(&r, "backend-restore", Some("B")),
            Status::NotReady,
            "cut {cut}"
        );
        assert_eq!(
            status(&r, "backend-restore", Some("A")),
            Status::Ready,
            "cut {cut}"
        );
        // The CMS move has no option A: not ready.
        assert_eq!(r.exit_code(), 2, "cut {cut}");
    }
}

#[test]
fn malformed_user_data_says_where() {
    let b = Backups::complete();
    let text = user_data_text("HomedResources", NAMESPACE).replace(
        "</Contacts>\n  </HomedResource>",
        "</Contacts>\n  </HomedResourcez>",
    );
    b.write("UserData.xml", &utf16le(&text));
    let r = b.audit();
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "malformed-xml")
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(
        f.starts_with("the XML is not well-formed at line 9, column 3:"),
        "{f}"
    );
}

#[test]
fn a_user_data_export_with_the_wrong_root_is_not_one() {
    let b = Backups::complete();
    b.write("UserData.xml", &utf16le(&user_data_text("Users", NAMESPACE)));
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "wrong-root", "UserData.xml"),
        "{:?}",
        problems(&r)
    );
    assert!(
        reasons(&r, "backend-restore", Some("B"))
            .contains("the root element is `<Users>`, not `<HomedResources>`")
    );
    assert_eq!(status(&r, "backend-restore", Some("B")), Status::NotReady);
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn a_user_data_export_in_another_namespace_is_rejected() {
    let b = Backups::complete();
    b.write(
        "UserData.xml",
        &utf16le(&user_data_text("HomedResources", "urn:other")),
    );
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "wrong-namespace", "UserData.xml"),
        "{:?}",
        problems(&r)
    );
}

#[test]
fn a_text_file_renamed_bak_is_not_a_backup() {
    let b = Backups::complete();
    b.remove("sql/rtc_backup_2024_05_07.bak")
        .write("sql/rtc.bak", b"Backup log: rtc backed up at 22:00\r\n");
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "not-a-backup", "sql/rtc.bak"),
        "{:?}",
        problems(&r)
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "not-a-backup")
        .map(|f| f.message.clone());
    assert_eq!(
        f.as_deref(),
        Some(
            "not a SQL Server backup (no Microsoft Tape Format header): it is a file starting with `Backup log: rtc backed u`"
        )
    );
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::NotReady);
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn a_truncated_sql_backup_is_rejected() {
    let b = Backups::complete();
    let len = b.read("sql/rtc_backup_2024_05_07.bak").len();
    b.cut("sql/rtc_backup_2024_05_07.bak", len - 4096);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "truncated", "sql/rtc_backup_2024_05_07.bak"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::NotReady);
    // Cut inside the header: still recognised as the rtc backup by its name, and rejected.
    b.cut("sql/rtc_backup_2024_05_07.bak", 1500);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "truncated", "sql/rtc_backup_2024_05_07.bak"),
        "{:?}",
        problems(&r)
    );
}

#[test]
fn a_damaged_unused_backup_still_needs_attention() {
    let b = Backups::complete();
    let len = b.read("sql/xds.bak").len();
    b.cut("sql/xds.bak", len - 3000);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "truncated", "sql/xds.bak"),
        "{:?}",
        problems(&r)
    );
    assert!(r.readiness.iter().all(|row| row.status == Status::Ready));
    assert_eq!((r.status, r.exit_code()), (Status::Degraded, 1));
}

#[test]
fn unrelated_files_are_listed_but_harmless() {
    let b = Backups::complete();
    b.write("README.txt", b"backups of pool01")
        .write("old/notes.xml", b"<notes/>")
        .write("junk.bak", b"not a backup");
    let r = b.audit();
    assert_eq!(r.exit_code(), 0, "{:?}", problems(&r));
    assert!(has(&r, Severity::Warning, "unrecognized", "old/notes.xml"));
    assert!(has(&r, Severity::Warning, "not-a-backup", "junk.bak"));
}

// ---------------------------------------------------------------- checksums

#[test]
fn write_sums_then_verify_then_detect_a_change() {
    let b = Backups::complete();
    let r = b.audit_with(|o| o.write_sums = true);
    assert_eq!(r.checksums.written.as_deref(), Some("SHA256SUMS"));
    let sums = String::from_utf8(b.read("SHA256SUMS")).unwrap_or_default();
    let rtc = Sha256::digest(b.read("sql/rtc_backup_2024_05_07.bak"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert!(
        sums.lines()
            .any(|l| l == format!("{rtc}  sql/rtc_backup_2024_05_07.bak")),
        "{sums}"
    );
    assert_eq!(sums.lines().count(), 8, "{sums}");

    let r = b.audit();
    assert_eq!(
        (r.checksums.verified, r.checksums.mismatched, r.exit_code()),
        (8, 0, 0),
        "{:?}",
        problems(&r)
    );

    // One flipped bit in the data area: the structure is intact, only the checksum can tell.
    let mut bak = b.read("sql/rtc_backup_2024_05_07.bak");
    bak[5000] ^= 1;
    b.write("sql/rtc_backup_2024_05_07.bak", &bak);
    let r = b.audit();
    assert!(
        has(
            &r,
            Severity::Error,
            "checksum-mismatch",
            "sql/rtc_backup_2024_05_07.bak"
        ),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::NotReady);
    assert_eq!(r.exit_code(), 1);

    // Refuses to overwrite checksums that disagree with the files.
    let r = b.audit_with(|o| o.write_sums = true);
    assert!(
        has(&r, Severity::Error, "checksums-not-written", ""),
        "{:?}",
        problems(&r)
    );
    assert_eq!(String::from_utf8(b.read("SHA256SUMS")).unwrap_or_default(), sums);
}

#[test]
fn a_change_inside_the_file_store_is_named() {
    let b = Backups::complete();
    b.audit_with(|o| o.write_sums = true);
    b.write(
        "FileStore/1-WebServices-1/MeetingContent/deck.pptx",
        b"PK fake deck, edited",
    );
    let r = b.audit();
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "checksum-mismatch")
        .map(|f| (f.path.clone(), f.message.clone()));
    let (path, message) = f.unwrap_or_default();
    assert_eq!(path.as_deref(), Some("FileStore"));
    assert!(
        message.starts_with("`FileStore/1-WebServices-1/MeetingContent/deck.pptx`: its SHA-256 is"),
        "{message}"
    );
    assert_eq!(status(&r, "cms-restore", Some("A")), Status::NotReady);
}

#[test]
fn sums_in_windows_and_per_file_forms() {
    let b = Backups::complete();
    let hex = |rel: &str| {
        Sha256::digest(b.read(rel))
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    let listing = format!(
        "{} *sql\\rtc_backup_2024_05_07.bak\r\n{}  D:\\Backups\\gone.zip\r\n",
        hex("sql/rtc_backup_2024_05_07.bak"),
        hex("UserData.xml")
    );
    b.write("SHA256SUMS", listing.as_bytes());
    b.write(
        "UserData.xml.sha256",
        format!("{}\n", hex("UserData.xml")).as_bytes(),
    );
    let r = b.audit();
    assert_eq!(
        (r.checksums.verified, r.checksums.listed_but_missing),
        (2, 1),
        "{:?}",
        problems(&r)
    );
    assert!(has(&r, Severity::Error, "listed-but-missing", "SHA256SUMS"));
    assert!(r.findings.iter().any(|f| f.code == "not-covered"));
}

#[test]
fn no_hash_skips_checksums() {
    let b = Backups::complete();
    b.audit_with(|o| o.write_sums = true);
    let mut bak = b.read("sql/xds.bak");
    bak[5000] ^= 1;
    b.write("sql/xds.bak", &bak);
    let r = b.audit_with(|o| o.hash = false);
    assert_eq!(r.exit_code(), 0, "{:?}", problems(&r));
    assert!(r.artifacts.iter().all(|a| a.sha256.is_none()));
    assert!(r.findings.iter().any(|f| f.code == "checksums-not-verified"));
    // The XML is still parsed without hashing.
    let r = b.cut("UserData.xml", 300).audit_with(|o| o.hash = false);
    assert!(has(&r, Severity::Error, "truncated", "UserData.xml"));
}

// ---------------------------------------------------------------- age

#[test]
fn a_stale_rgs_export_degrades() {
    let b = Backups::complete();
    b.age("RgsConfig_pool01.zip", 10 * DAY);
    let r = b.audit();
    assert_eq!(status(&r, "rgs-restore", None), Status::Degraded);
    assert_eq!(
        reasons(&r, "rgs-restore", None),
        "`RgsConfig_pool01.zip`: it is 10d old, older than the maximum age of 7d"
    );
    assert!(has(&r, Severity::Warning, "stale", "RgsConfig_pool01.zip"));
    assert_eq!(r.exit_code(), 1);
    let r = b.audit_with(|o| o.max_age = Duration::from_secs(11 * DAY));
    assert_eq!(r.exit_code(), 0);
}

#[test]
fn the_backup_date_in_the_header_wins_over_the_file_time() {
    let b = Backups::complete();
    // Copied yesterday (fresh modification time), but taken 30 days ago.
    b.write(
        "sql/rtc_backup_2024_05_07.bak",
        &sql_backup("rtc", now() - jiff::SignedDuration::from_hours(30 * 24)),
    );
    let r = b.audit();
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::Degraded);
    assert!(reasons(&r, "backend-restore", Some("A")).contains("it is 30d old"));
}

// ---------------------------------------------------------------- appended backup sets

const RTC: &str = "sql/rtc_backup_2024_05_07.bak";

fn hours_ago(h: i64) -> jiff::Timestamp {
    now() - jiff::SignedDuration::from_hours(h)
}

fn rtc_details(r: &AuditReport) -> serde_json::Value {
    r.to_json()["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["path"] == RTC))
        .map(|a| a["details"].clone())
        .unwrap_or_default()
}

#[test]
fn a_bak_with_appended_sets_names_the_newest_full_and_is_aged_by_it() {
    let b = Backups::complete();
    // What SQL Server Management Studio leaves by default: each backup appended to the file.
    b.write(
        RTC,
        &sql_backup_sets(&[
            ("rtc-Full Database Backup", FULL, hours_ago(20 * 24)),
            (
                "rtc-Differential Database Backup",
                DIFFERENTIAL,
                hours_ago(10 * 24),
            ),
            ("rtc-Full Database Backup", FULL, hours_ago(20)),
        ]),
    );
    let r = b.audit();
    let details = rtc_details(&r);
    assert_eq!(
        (
            &details["backup_sets"],
            &details["newest_full_position"],
            &details["newest_full_time"],
            &details["backup_time"]
        ),
        (
            &3.into(),
            &3.into(),
            &"2024-05-07T16:00:00Z".into(),
            &"2024-04-18T12:00:00Z".into()
        )
    );
    // The first set is 20 days old, the newest full 20 hours: not stale.
    assert!(!has(&r, Severity::Warning, "stale", RTC), "{:?}", problems(&r));
    let finding = r
        .findings
        .iter()
        .find(|f| f.code == "several-backup-sets")
        .unwrap_or_else(|| panic!("{:?}", problems(&r)));
    assert_eq!(
        (
            finding.severity,
            finding.path.as_deref(),
            finding.message.as_str(),
            finding.action.as_deref()
        ),
        (
            Severity::Info,
            Some(RTC),
            "it holds 3 backup sets: a restore without `WITH FILE = n` takes set 1, the oldest; lyncdr's restore takes set 3, the newest full backup of `rtc` (taken 2024-05-07 16:00 UTC)",
            Some(
                "to restore by hand, name the set: `RESTORE DATABASE rtc FROM DISK = N'<folder>\\rtc_backup_2024_05_07.bak' WITH FILE = 3, REPLACE`; to keep one set per file, back up `WITH INIT`"
            )
        )
    );
    // lyncdr's restore takes set 3 by its position: option A stays ready.
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::Ready);
    let text = text_of(&b, &r);
    assert!(
        text.contains("2024-05-07 16:00 UTC  rtc, full, 3 sets, newest full: set 3"),
        "{text}"
    );
}

#[test]
fn the_newest_full_set_is_not_always_the_last() {
    let b = Backups::complete();
    b.write(
        RTC,
        &sql_backup_sets(&[
            ("rtc", FULL, hours_ago(30 * 24)),
            ("rtc", FULL, hours_ago(20)),
            ("rtc", DIFFERENTIAL, hours_ago(2)),
        ]),
    );
    let r = b.audit();
    let details = rtc_details(&r);
    assert_eq!(
        (&details["backup_sets"], &details["newest_full_position"]),
        (&3.into(), &2.into())
    );
    assert!(!has(&r, Severity::Warning, "stale", RTC), "{:?}", problems(&r));
    // Only differential sets after an old full one: the full one's age counts.
    b.write(
        RTC,
        &sql_backup_sets(&[
            ("rtc", FULL, hours_ago(30 * 24)),
            ("rtc", DIFFERENTIAL, hours_ago(2)),
        ]),
    );
    let r = b.audit();
    assert!(
        reasons(&r, "backend-restore", Some("A")).contains("it is 30d old"),
        "{}",
        r.to_text()
    );
}

#[test]
fn a_set_with_a_damaged_header_is_skipped() {
    let b = Backups::complete();
    let mut bak = sql_backup_sets(&[
        ("rtc", FULL, hours_ago(20 * 24)),
        ("rtc", DIFFERENTIAL, hours_ago(10 * 24)),
        ("rtc", FULL, hours_ago(20)),
    ]);
    let second = (1024..bak.len())
        .step_by(512)
        .filter(|&at| bak[at..].starts_with(b"SSET"))
        .nth(1)
        .expect("a second SSET");
    bak[second + 8] ^= 0x40;
    b.write(RTC, &bak);
    let r = b.audit();
    let details = rtc_details(&r);
    // Two sets left; the damaged one is not counted, so the third is numbered 2.
    assert_eq!(
        (
            &details["backup_sets"],
            &details["newest_full_position"],
            &details["newest_full_time"]
        ),
        (&2.into(), &2.into(), &"2024-05-07T16:00:00Z".into())
    );
    assert!(!has(&r, Severity::Warning, "stale", RTC), "{:?}", problems(&r));
}

#[test]
fn sets_are_found_without_hashing_too() {
    let b = Backups::complete();
    b.write(
        RTC,
        &sql_backup_sets(&[("rtc", FULL, hours_ago(20 * 24)), ("rtc", FULL, hours_ago(20))]),
    );
    let r = b.audit_with(|o| o.hash = false);
    let details = rtc_details(&r);
    assert_eq!(
        (&details["backup_sets"], &details["newest_full_position"]),
        (&2.into(), &2.into())
    );
    assert!(!has(&r, Severity::Warning, "stale", RTC), "{:?}", problems(&r));
}

#[test]
fn a_file_full_of_set_headers_is_read_to_a_cap() {
    let b = Backups::complete();
    let mut bak = sql_backup("rtc", hours_ago(20));
    let end = bak.split_off(bak.len() - 2048);
    // 10 005 more valid SSET headers, one per 512-byte block.
    let fake = mtf_block(
        b"SSET",
        512,
        &[(52, &FULL.to_le_bytes()), (88, &mtf_date(hours_ago(1)))],
    );
    for _ in 0..10_005 {
        bak.extend(&fake);
    }
    bak.extend(end);
    b.write(RTC, &bak);
    let r = b.audit();
    assert_eq!(rtc_details(&r)["backup_sets"], 10_006);
    let finding = r
        .findings
        .iter()
        .find(|f| f.code == "too-many-backup-sets")
        .unwrap_or_else(|| panic!("{:?}", problems(&r)));
    assert_eq!(
        (finding.severity, finding.message.as_str()),
        (
            Severity::Warning,
            "it holds 10006 backup sets; only the first 10000 were read, so the newest full backup may be one of the others"
        )
    );
}

#[test]
fn the_newest_copy_is_used() {
    let b = Backups::complete();
    b.write("archive/CsConfiguration-old.zip", &cms_zip())
        .age("archive/CsConfiguration-old.zip", 20 * DAY);
    let r = b.audit();
    assert_eq!(r.exit_code(), 0, "{:?}", problems(&r));
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "not-used" && f.path.as_deref() == Some("archive/CsConfiguration-old.zip"))
    );
    // When the newest is damaged, the older good copy is used.
    b.write("CsConfiguration.zip", b"PK\x03\x04garbage");
    let r = b.audit();
    assert_eq!(status(&r, "cms-move", None), Status::Degraded, "{}", r.to_text());
}

// ---------------------------------------------------------------- the environment file's names

#[test]
fn named_files_are_found_by_name_and_win() {
    let b = Backups::complete();
    b.write("archive/Config-pinned.zip", &cms_zip())
        .age("archive/Config-pinned.zip", 2 * DAY);
    let r = b.audit_with(|o| {
        o.named = vec![
            (
                K::CsConfiguration,
                r"\\backup01\lync\archive\Config-pinned.zip".into(),
            ),
            (K::FileStore, r"\\backup01\lync\FileStore\".into()),
        ]
    });
    let row = r
        .readiness
        .iter()
        .find(|x| x.runbook == "cms-move")
        .map(|x| x.uses.clone())
        .unwrap_or_default();
    assert_eq!(
        row.get("cs-configuration").map(String::as_str),
        Some("archive/Config-pinned.zip")
    );
    let named = r
        .artifacts
        .iter()
        .find(|a| a.path == "archive/Config-pinned.zip")
        .map(|a| a.identified_by);
    assert_eq!(named, Some(lyncdr::audit::IdentifiedBy::Environment));
    assert_eq!(r.exit_code(), 0, "{:?}", problems(&r));
}

#[test]
fn a_named_file_that_is_absent_or_something_else() {
    let b = Backups::complete();
    let r = b.audit_with(|o| o.named = vec![(K::UserData, "D:\\Backups\\SavedUserData.xml".into())]);
    assert!(
        has(&r, Severity::Error, "named-not-found", ""),
        "{:?}",
        problems(&r)
    );
    // The export found by content is used, but the environment file needs fixing.
    assert_eq!(status(&r, "backend-restore", Some("B")), Status::Degraded);
    assert_eq!(
        reasons(&r, "backend-restore", Some("B")),
        "`UserData.xml` is used instead of `D:\\Backups\\SavedUserData.xml`, which the environment file names (see the findings)"
    );
    assert_eq!(r.exit_code(), 1);

    let r = b.audit_with(|o| o.named = vec![(K::UserData, "CsConfiguration.zip".into())]);
    assert!(
        has(&r, Severity::Error, "wrong-kind", "CsConfiguration.zip"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "backend-restore", Some("B")), Status::Degraded);
    // Still the CMS export, whatever the environment file calls it.
    let cms_move = r
        .readiness
        .iter()
        .find(|x| x.runbook == "cms-move")
        .map(|x| x.uses.clone())
        .unwrap_or_default();
    assert_eq!(
        cms_move.get("cs-configuration").map(String::as_str),
        Some("CsConfiguration.zip")
    );

    let r = b.audit_with(|o| o.named = vec![(K::RtcDatabase, "xds.bak".into())]);
    assert!(
        has(&r, Severity::Error, "wrong-database", "sql/xds.bak"),
        "{:?}",
        problems(&r)
    );
}

/// The LIS export's layout is unconfirmed: a zip the environment file names as the LIS export is
/// the LIS export, even when it holds `DocItemSet.xml` (issue 9, item 8). It is warned about,
/// and the CMS runbooks stay usable.
#[test]
fn a_named_lis_export_holding_doc_item_set_is_the_lis_export_with_a_warning() {
    let b = Backups::complete();
    b.write("CsLisConfiguration.zip", &cms_zip());
    let r = b.audit_with(|o| {
        o.named = vec![
            (K::CsConfiguration, "CsConfiguration.zip".into()),
            (K::LisConfiguration, "CsLisConfiguration.zip".into()),
        ]
    });
    assert!(
        has(
            &r,
            Severity::Warning,
            "unexpected-layout",
            "CsLisConfiguration.zip"
        ),
        "{:?}",
        problems(&r)
    );
    assert!(
        !problems(&r).iter().any(|p| p.0 == Severity::Error),
        "{:?}",
        problems(&r)
    );
    for (runbook, option) in [
        ("cms-move", None),
        ("cms-restore", Some("A")),
        ("cms-restore", Some("B")),
    ] {
        assert_eq!(
            status(&r, runbook, option),
            Status::Degraded,
            "{runbook}: {:?}",
            problems(&r)
        );
    }
    let cms_move = r
        .readiness
        .iter()
        .find(|x| x.runbook == "cms-move")
        .map(|x| x.uses.clone())
        .unwrap_or_default();
    assert_eq!(
        cms_move.get("lis-configuration").map(String::as_str),
        Some("CsLisConfiguration.zip")
    );
    assert_eq!(
        cms_move.get("cs-configuration").map(String::as_str),
        Some("CsConfiguration.zip")
    );
    // The same from the command line, with the environment file naming it.
    let b = Backups::complete_at(jiff::Timestamp::now());
    b.write("CsLisConfiguration.zip", &cms_zip());
    let env = b.path("env.yaml");
    std::fs::write(
        &env,
        "lyncdr_env: 1\nbackups:\n  cs_configuration: 'C:\\Backups\\CsConfiguration.zip'\n  lis_configuration: 'C:\\Backups\\CsLisConfiguration.zip'\n",
    )
    .expect("env");
    let out = run_audit(&b, &["--env", &env.display().to_string()])
        .status(1)
        .stdout_has("warning  `CsLisConfiguration.zip`: named as the LIS export (Export-CsLisConfiguration zip), it looks like a CMS export zip (it holds `DocItemSet.xml`); the layout of this export is unconfirmed, so the file is used as named");
    assert!(!out.stdout.contains("not ready"), "{}", out.stdout);
}

/// A zip named as the Response Group export without `RgsImportExport\` (the 2010 script's layout
/// is unconfirmed) is warned about, not refused; unnamed, the same zip is no RGS export.
#[test]
fn a_named_rgs_export_in_another_layout_is_warned_about() {
    let b = Backups::complete();
    b.write("RgsConfig_pool01.zip", &lis_zip());
    let r = b.audit_with(|o| o.named = vec![(K::RgsExport, "RgsConfig_pool01.zip".into())]);
    assert!(
        has(&r, Severity::Warning, "unexpected-layout", "RgsConfig_pool01.zip"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(
        status(&r, "rgs-restore", None),
        Status::Degraded,
        "{:?}",
        problems(&r)
    );
    // A user data export named as something it is not is still refused: its layout is known.
    let r = b.audit_with(|o| o.named = vec![(K::UserData, "CsConfiguration.zip".into())]);
    assert!(has(&r, Severity::Error, "wrong-kind", "CsConfiguration.zip"));
}

/// Issue 10, item 12: a compressed backup (`MSSQLBAK`) is recognised, but its contents are not
/// read: it is "unverified", never "ready", named or not (an 8-byte file was "ready").
#[test]
fn compressed_backups_are_recognised_but_never_ready() {
    let b = Backups::complete();
    b.remove("sql/rtc_backup_2024_05_07.bak")
        .write("sql/rtc.bak", &[b"MSSQLBAK".as_slice(), &[0x5A; 4096]].concat());
    let r = b.audit();
    assert!(
        has(&r, Severity::Warning, "compressed-unverified", "sql/rtc.bak"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "backend-restore", Some("A")), Status::Degraded);
    let b = Backups::complete();
    b.remove("sql/rtc_backup_2024_05_07.bak")
        .write("sql/rtc.bak", b"MSSQLBAK");
    let r = b.audit_with(|o| o.named = vec![(K::RtcDatabase, "rtc.bak".into())]);
    // Issue 20 item 10: 8 bytes are too small to be any backup, compressed or not.
    assert!(
        has(&r, Severity::Error, "truncated", "sql/rtc.bak"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(
        status(&r, "backend-restore", Some("A")),
        Status::NotReady,
        "named, an 8-byte compressed backup is not ready: {:?}",
        problems(&r)
    );
}

#[test]
fn an_unnamed_unknown_zip_is_only_guessed_to_be_the_lis_export() {
    let b = Backups::complete();
    b.remove("CsLisConfiguration.zip")
        .write("export-2024-05-07.zip", &lis_zip());
    let r = b.audit();
    assert!(
        has(&r, Severity::Warning, "guessed", "export-2024-05-07.zip"),
        "{:?}",
        problems(&r)
    );
    assert_eq!(status(&r, "cms-move", None), Status::Degraded);
}

// ---------------------------------------------------------------- errors

#[test]
fn a_folder_that_is_not_there_is_an_error_not_a_verdict() {
    let b = Backups::empty();
    let mut opts = b.options();
    opts.dir = b.path("nope");
    let err = audit(&opts).err();
    assert_eq!(err.as_ref().map(|e| e.code()), Some(66));
    assert_eq!(
        err.map(|e| e.to_string()),
        Some(format!(
            "backup folder `{}` does not exist",
            b.path("nope").display()
        ))
    );
    b.write("file.txt", b"x");
    opts.dir = b.path("file.txt");
    assert!(matches!(audit(&opts), Err(AuditError::NotADirectory { .. })));
}

#[test]
fn option_errors() {
    let b = Backups::complete();
    let mut opts = b.options();
    opts.hash = false;
    opts.write_sums = true;
    assert!(matches!(audit(&opts), Err(AuditError::WriteSumsWithoutHash)));
}

#[test]
fn an_empty_folder_is_not_ready() {
    let r = Backups::empty().audit();
    assert_eq!((r.status, r.exit_code()), (Status::NotReady, 2));
    assert_eq!(r.findings.iter().filter(|f| f.code == "missing").count(), 6);
}

// ---------------------------------------------------------------- progress

#[derive(Default)]
struct Counting {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counting {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }
}

#[test]
fn progress_counts_every_byte_hashed() {
    let b = Backups::complete();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let expected: u64 = walk(b.dir.path()).iter().map(|p| size(p)).sum();
    let counting = Counting::default();
    let r = audit_with(&b.options(), &counting);
    assert!(r.is_ok());
    assert_eq!(
        (counting.total.into_inner(), counting.done.into_inner()),
        (expected, expected)
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

// ---------------------------------------------------------------- the command line

/// Runs `lyncdr audit` on `b` (dated now) with `args`.
fn run_audit(b: &Backups, args: &[&str]) -> crate::builder::Run {
    let dir = b.dir.path().display().to_string();
    crate::Test::new()
        .args(["audit", dir.as_str()])
        .args(args.iter().copied())
        .run()
}

/// Issue 11 item 2: the readiness matrix comes from the runbooks `--runbooks DIR` names. A copy
/// of the built-in runbooks whose `rgs-restore` also needs the File Store copy makes that row
/// not ready when the copy is missing; the built-in runbooks keep it ready.
#[test]
fn audit_reads_the_needs_from_the_runbooks_given() {
    let b = Backups::complete_at(jiff::Timestamp::now());
    b.remove("FileStore");
    let rb = tempfile::tempdir().expect("tempdir");
    for f in std::fs::read_dir(crate::builder::repo().join("runbooks")).expect("runbooks") {
        let f = f.expect("entry").path();
        if f.extension().is_some_and(|e| e == "yaml") {
            let mut text = std::fs::read_to_string(&f).expect("read");
            if f.ends_with("rgs-restore.yaml") {
                text = text.replace(
                    "prerequisites:\n  - backup: rgs-export\n",
                    "prerequisites:\n  - backup: rgs-export\n  - backup: file-store\n",
                );
                assert!(text.contains("- backup: file-store"), "{text}");
            }
            std::fs::write(rb.path().join(f.file_name().expect("name")), text).expect("write");
        }
    }
    let rgs_row = |out: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with("rgs-restore "))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no rgs-restore row in:\n{out}"))
    };
    let built_in = run_audit(&b, &["--format", "text"]);
    assert_eq!(
        rgs_row(&built_in.stdout).split_whitespace().collect::<Vec<_>>(),
        ["rgs-restore", "ready"],
        "{}",
        built_in.stdout
    );
    let rb = rb.path().display().to_string();
    let theirs = run_audit(&b, &["--runbooks", rb.as_str()]).status(2);
    assert!(
        rgs_row(&theirs.stdout).contains("not ready")
            && rgs_row(&theirs.stdout).contains("no File Store copy: runbook `rgs-restore` needs it"),
        "{}",
        theirs.stdout
    );
}

#[test]
fn cli_exit_codes_say_ready_degraded_not_ready() {
    let b = Backups::complete_at(jiff::Timestamp::now());
    let ready = run_audit(&b, &[]).status(0).stdout_has("Result: ready (exit 0)");
    // Not a terminal: no progress bar.
    assert_eq!(ready.stderr, "");
    b.remove("sql/rtc_backup_2024_05_07.bak");
    run_audit(&b, &[])
        .status(1)
        .stdout_has("no SQL Server backup of `rtc`: step E.A.1 (Restore the rtc database from an SQL Server backup, with the pool's services stopped) needs it");
    b.remove("UserData.xml");
    run_audit(&b, &[])
        .status(2)
        .stdout_has("Result: not ready (exit 2)");
}

#[test]
fn cli_json_for_monitoring() {
    let b = Backups::complete_at(jiff::Timestamp::now());
    b.age("RgsConfig_pool01.zip", 3 * DAY);
    let run = run_audit(&b, &["--format", "json", "--max-age", "2d"]).status(1);
    let json: serde_json::Value = crate::builder::json_result(&run.stdout);
    assert_eq!(
        (&json["status"], &json["exit_code"], &json["max_age"]),
        (&"degraded".into(), &1.into(), &"2d".into())
    );
    let stale: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] == "stale")
        .collect();
    assert_eq!(stale.len(), 1, "{json}");
    assert_eq!(stale[0]["path"], "RgsConfig_pool01.zip");
}

#[test]
fn cli_write_sums_and_no_hash() {
    let b = Backups::complete_at(jiff::Timestamp::now());
    run_audit(&b, &["--write-sums"]).status(0);
    assert!(b.path("SHA256SUMS").is_file());
    run_audit(&b, &[])
        .status(0)
        .stdout_has("8 file(s) verified against `SHA256SUMS`");
    run_audit(&b, &["--no-hash"])
        .status(0)
        .stdout_has("checksums not verified (--no-hash)");
}

/// Issue 10 (low): `--write-sums` dropped the comment lines of the file it replaced and added
/// files no checksum covered without a word: now it keeps the comments and names what it added.
#[test]
fn write_sums_keeps_comments_and_names_the_files_it_adds() {
    let b = Backups::complete_at(jiff::Timestamp::now());
    run_audit(&b, &["--write-sums"]).status(0);
    let old = std::fs::read_to_string(b.path("SHA256SUMS")).expect("sums");
    let commented = format!("# nightly job on FE01, do not edit\n{old}");
    b.write("SHA256SUMS", commented.as_bytes());
    b.write("planted.bak", b"not covered by any checksum");
    run_audit(&b, &["--write-sums"])
        .stdout_has("1 of them not covered before and now trusted as they are (`planted.bak`)");
    let new = std::fs::read_to_string(b.path("SHA256SUMS")).expect("sums");
    assert!(new.starts_with("# nightly job on FE01, do not edit\n"), "{new}");
    assert!(new.contains("  planted.bak\n"), "{new}");
}

#[test]
fn cli_a_missing_folder_is_an_error() {
    let b = Backups::empty_at(jiff::Timestamp::now());
    let missing = b.path("not-there").display().to_string();
    crate::Test::new()
        .args(["audit", missing.as_str()])
        .run()
        .status(66)
        .stderr_has("does not exist");
    let file = b.write("plain.txt", b"x").path("plain.txt").display().to_string();
    crate::Test::new()
        .args(["audit", file.as_str()])
        .run()
        .status(66)
        .stderr_has("is not a folder");
}

/// Issue 10: `--write-sums` opened `DIR/.SHA256SUMS.tmp-<pid>` through whatever link stood there,
/// so a user who can write to the backup folder chose which file a privileged audit overwrote.
#[cfg(unix)]
#[test]
fn write_sums_never_writes_through_a_planted_link() {
    let b = Backups::complete();
    let outside = tempfile::tempdir().expect("tempdir");
    let victim = outside.path().join("victim");
    std::fs::write(&victim, b"precious").expect("write");
    let planted = b.path(&format!(".SHA256SUMS.tmp-{}", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
    let r = b.audit_with(|o| o.write_sums = true);
    assert_eq!(r.checksums.written.as_deref(), Some("SHA256SUMS"));
    assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
    let sums = std::fs::symlink_metadata(b.path("SHA256SUMS")).expect("sums");
    assert!(sums.is_file(), "SHA256SUMS is a file, not a link");
}

/// Runs the audit on another thread, so a test of an input that once hung fails instead of
/// hanging the suite.
#[cfg(unix)] // used by the Unix-only memory-bound tests
fn audit_within(b: &Backups, seconds: u64, change: impl FnOnce(&mut AuditOptions)) -> AuditReport {
    let mut opts = b.options();
    change(&mut opts);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(audit(&opts).map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(seconds)) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => panic!("audit failed: {e}"),
        Err(_) => panic!("the audit did not finish within {seconds} s"),
    }
}

/// Issue 10: the audit followed a link out of the folder (it printed the first bytes of
/// `/etc/shadow` and wrote its hash into `SHA256SUMS`).
#[cfg(unix)] // no link under wine: a host link to a file shows as the file, and mklink makes none
#[test]
fn a_link_out_of_the_folder_is_reported_not_read() {
    let b = Backups::complete();
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, b"root:$6$secret-hash:19000:0:99999:7:::\n").expect("write");
    std::os::unix::fs::symlink(&secret, b.path("sql/old.bak")).expect("symlink");
    // A link inside the folder still counts as the file.
    std::os::unix::fs::symlink(b.path("UserData.xml"), b.path("UserData-link.xml")).expect("symlink");
    let r = b.audit_with(|o| o.write_sums = true);
    assert!(
        has(&r, Severity::Warning, "link-outside", "sql/old.bak"),
        "{:?}",
        problems(&r)
    );
    assert!(r.artifacts.iter().all(|a| a.path != "sql/old.bak"));
    assert!(r.artifacts.iter().any(|a| a.path == "UserData-link.xml"));
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("secret-hash") && !json.contains("root:"), "{json}");
    let sums = String::from_utf8(b.read("SHA256SUMS")).unwrap_or_default();
    assert!(!sums.contains("old.bak"), "{sums}");
    assert!(sums.contains("UserData-link.xml"), "{sums}");
}

/// Issue 10: FIFOs, sockets and devices are never opened (opening a FIFO blocks until a writer
/// comes), and they are reported rather than passed over in silence.
#[cfg(unix)]
#[test]
fn a_fifo_is_reported_and_never_opened() {
    let b = Backups::complete();
    let fifo = b.path("sql/rtc_2024_05_08.bak");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let r = audit_within(&b, 30, |o| o.write_sums = true);
    assert!(
        has(&r, Severity::Warning, "not-a-file", "sql/rtc_2024_05_08.bak"),
        "{:?}",
        problems(&r)
    );
    let text = text_of(&b, &r);
    assert!(
        text.contains("a FIFO (named pipe), not a file: not read"),
        "{text}"
    );
    assert_eq!(r.exit_code(), 0, "{:?}", problems(&r));
}

/// Issue 10: `name[..16]` on a zip entry name panicked (exit 101, no report) when a character
/// straddled byte 16, as a Japanese file name in an RGS export does.
#[test]
fn a_multibyte_entry_name_across_byte_16_is_no_panic() {
    let b = Backups::complete();
    let name = "RgsImportExpor日本語.xml";
    assert!(!name.is_char_boundary(16));
    b.write("RgsConfig_pool01.zip", &zip_of(&[(name, b"<a/>")]));
    let r = b.audit();
    assert!(
        r.artifacts.iter().any(|a| a.path == "RgsConfig_pool01.zip"),
        "{:?}",
        problems(&r)
    );
    // The zip that first showed it is kept for the fuzz test (tests/fuzz.rs).
    let kept = crate::builder::repo().join("tests/fuzz-corpus/zip-multibyte-name-across-16.zip");
    b.write("RgsConfig_pool01.zip", &std::fs::read(kept).expect("corpus file"));
    let r = b.audit();
    assert!(r.artifacts.iter().any(|a| a.path == "RgsConfig_pool01.zip"));
}

/// Central-directory records of a zip: (offset of the record, local header offset).
fn central_records(zip: &[u8]) -> Vec<usize> {
    let eocd = zip.len() - 22;
    assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06");
    let mut at = u32::from_le_bytes(zip[eocd + 16..eocd + 20].try_into().expect("4")) as usize;
    let mut out = Vec::new();
    while zip[at..].starts_with(b"PK\x01\x02") {
        out.push(at);
        let len = |i: usize| usize::from(u16::from_le_bytes([zip[at + i], zip[at + i + 1]]));
        at += 46 + len(28) + len(30) + len(32);
    }
    out
}

/// Issue 10: entries that share one compressed stream (a zip bomb) were inflated one by one.
#[test]
fn a_zip_with_overlapping_entries_is_refused() {
    let b = Backups::complete();
    let data = b"<Locations><Location City=\"Redmond\"/></Locations>";
    let mut zip = zip_of(&[("Locations.xml", data), ("Copy.xml", data)]);
    // Point the second entry at the first one's local header.
    let second = central_records(&zip)[1];
    zip[second + 42..second + 46].copy_from_slice(&0_u32.to_le_bytes());
    b.write("CsLisConfiguration.zip", &zip);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "suspicious", "CsLisConfiguration.zip"),
        "{:?}",
        problems(&r)
    );
    let text = text_of(&b, &r);
    assert!(
        text.contains("refused as suspicious: its data overlaps that of `"),
        "{text}"
    );
}

/// Issue 10: the inflated size of a zip is bounded relative to its size (here: declared).
#[test]
fn a_zip_declaring_more_than_its_budget_is_refused() {
    let b = Backups::complete();
    let mut zip = lis_zip();
    let first = central_records(&zip)[0];
    zip[first + 24..first + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    b.write("CsLisConfiguration.zip", &zip);
    let r = b.audit();
    assert!(
        has(&r, Severity::Error, "suspicious", "CsLisConfiguration.zip"),
        "{:?}",
        problems(&r)
    );
    assert!(text_of(&b, &r).contains("its entries declare 4294967295 bytes inflated"));
}

/// Issue 10: every open XML element was kept, so memory grew with the nesting (a 734 KB CMS zip
/// used 4.4 GB). A zip whose `DocItemSet.xml` nests 100 000 levels is reported as suspicious,
/// by the binary running under a 512 MiB address-space limit and a time limit.
#[cfg(unix)]
#[test]
fn deep_xml_in_a_zip_is_reported_within_memory_and_time_bounds() {
    let b = Backups::complete();
    let depth = 100_000;
    let doc = format!(
        "<DocItemSet xmlns=\"urn:x\">{}{}</DocItemSet>",
        "<DocItem>".repeat(depth),
        "</DocItem>".repeat(depth)
    );
    b.write(
        "CsConfiguration.zip",
        &zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("DocItemSet.xml", doc.as_bytes()),
        ]),
    );
    let bin = crate::builder::lyncdr_bin();
    let started = std::time::Instant::now();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 524288 && exec timeout 60 \"$0\" \"$@\"")
        .arg(&bin)
        .args(["audit", "--format", "json", "--no-hash"])
        .arg(b.dir.path())
        .output()
        .expect("sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let json = crate::builder::json_result(stdout.as_bytes());
    let found = json["findings"].as_array().into_iter().flatten().any(|f| {
        f["code"] == "suspicious"
            && f["path"] == "CsConfiguration.zip"
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("elements nest deeper than 256 levels"))
    });
    assert!(found, "{stdout}");
}

/// The audited folder may itself be given as a link (an alias of a mount point): `--write-sums`
/// writes into its real path.
#[cfg(unix)]
#[test]
fn write_sums_into_a_folder_given_as_a_link() {
    let b = Backups::complete();
    let links = tempfile::tempdir().expect("tempdir");
    let alias = links.path().join("backups");
    std::os::unix::fs::symlink(b.dir.path(), &alias).expect("symlink");
    let mut opts = b.options();
    opts.dir = alias;
    opts.write_sums = true;
    let r = audit(&opts).unwrap_or_else(|e| panic!("audit failed: {e}"));
    assert_eq!(r.checksums.written.as_deref(), Some("SHA256SUMS"));
    assert!(
        std::fs::symlink_metadata(b.path("SHA256SUMS"))
            .expect("sums")
            .is_file()
    );
}

/// Issue 10, item 10: a file name in the backup folder holding an escape sequence (one that clears
/// the screen, or writes the clipboard with OSC 52) is shown, never sent to the terminal.
#[cfg(unix)] // Windows refuses control characters in file names
#[test]
fn control_characters_in_file_names_never_reach_the_terminal() {
    let b = Backups::complete();
    b.write("evil\u{1b}]52;c;aGk=\u{7}\u{1b}[2J.zip", b"PK\x03\x04 not really");
    let out = std::process::Command::new(crate::builder::lyncdr_bin())
        .args(["audit"])
        .arg(b.path(""))
        .output()
        .expect("audit");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("evil\\u{1b}]52;c;aGk="), "{stdout}");
}
