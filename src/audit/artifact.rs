//! What the audit learned about each file (its kind is the model's [`ArtifactKind`]).

use super::filestore::FileStoreSummary;
use super::finding::{Problem, Severity};
use super::hash::Sha256Digest;
use super::mtf::SqlBackupHeader;
use crate::artifact::ArtifactKind;
use crate::utf16::TextEncoding;
use jiff::Timestamp;
use serde::Serialize;

/// Lync Server 2010 databases, as SQL Server backups name them.
pub const LYNC_DATABASES: &[&str] = &[
    "rtc",
    "rtcdyn",
    "rtcab",
    "rtcab1",
    "xds",
    "lis",
    "rgsconfig",
    "rgsdyn",
    "cpsdyn",
    "lcscdr",
    "qoemetrics",
    "lcslog",
];

/// The Lync database a name refers to: its first word that is a Lync database name, so `rtc`,
/// `rtc-Full Database Backup` and `RTC_backup_2024_05_01` are `rtc` while `rtcdyn.bak` is not.
pub fn lync_database_in(name: &str) -> Option<&'static str> {
    name.split(|c: char| !c.is_ascii_alphanumeric()).find_map(|word| {
        LYNC_DATABASES
            .iter()
            .copied()
            .find(|db| db.eq_ignore_ascii_case(word))
    })
}

/// How the audit decided what a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifiedBy {
    /// Its bytes say so.
    Content,
    /// Only its name suggests it (the content is damaged or says nothing).
    FileName,
    /// The environment file names it.
    Environment,
}

/// One file (or, for the File Store, one folder) under the audited folder.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// Relative to the audited folder, with `/` separators.
    pub path: String,
    pub kind: Option<ArtifactKind>,
    pub identified_by: IdentifiedBy,
    /// The kind this artifact is used for in the readiness matrix, if it is the chosen one.
    pub used_for: Option<ArtifactKind>,
    pub size: u64,
    pub modified: Option<Timestamp>,
    pub details: Details,
    pub sha256: Option<Sha256Digest>,
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

impl Artifact {
    /// When the backup was taken: for a SQL Server backup, the date of its newest full backup set
    /// (the one lyncdr restores), else of its first set; else the file's modification time (for
    /// the File Store, its newest file's).
    pub fn taken_at(&self) -> Option<Timestamp> {
        match &self.details {
            Details::SqlBackup { header, .. } => {
                header.newest_full_time.or(header.backup_time).or(self.modified)
            }
            Details::FileStore(s) => s.newest.or(self.modified),
            _ => self.modified,
        }
    }

    /// The worst severity among its problems.
    pub fn worst(&self) -> Option<Severity> {
        self.problems.iter().map(Problem::severity).max()
    }

    /// No problem that makes it unusable.
    pub fn usable(&self) -> bool {
        self.worst() < Some(Severity::Error)
    }

    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// What validation read from an artifact.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(tag = "format", rename_all = "kebab-case")]
pub enum Details {
    #[default]
    None,
    Zip {
        entries: usize,
        uncompressed_bytes: u64,
        /// `<DocItem>` elements in `DocItemSet.xml` (CMS export).
        #[serde(skip_serializing_if = "Option::is_none")]
        doc_items: Option<u64>,
    },
    UserData {
        encoding: TextEncoding,
        users: u64,
        contacts: u64,
        conference_directories: u64,
    },
    SqlBackup {
        /// The Lync database, from the header's data set name (or, failing that, the file name).
        database: Option<String>,
        #[serde(flatten)]
        header: SqlBackupHeader,
    },
    FileStore(FileStoreSummary),
}

impl Details {
    /// One line for the text report.
    pub fn describe(&self) -> String {
        match self {
            Details::None => String::new(),
            Details::Zip {
                entries,
                doc_items: Some(items),
                ..
            } => format!(
                "{}, {}",
                count(*entries as u64, "entry", "entries"),
                count(*items, "doc item", "doc items")
            ),
            Details::Zip { entries, .. } => count(*entries as u64, "entry", "entries"),
            Details::UserData {
                encoding,
                users,
                contacts,
                conference_directories,
            } => format!(
                "{}, {}, {} ({})",
                count(*users, "user", "users"),
                count(*contacts, "contact", "contacts"),
                count(
                    *conference_directories,
                    "conference directory",
                    "conference directories"
                ),
                encoding.name()
            ),
            Details::SqlBackup { database, header } => {
                let db = database.as_deref().unwrap_or("unknown database");
                let text = match (header.compressed, header.backup_type) {
                    (true, _) => format!("{db}, compressed"),
                    (false, Some(t)) => format!("{db}, {}", t.name()),
                    (false, None) => db.to_owned(),
                };
                match (header.backup_sets, header.newest_full_position) {
                    (Some(sets @ 2..), Some(n)) => format!("{text}, {sets} sets, newest full: set {n}"),
                    (Some(sets @ 2..), None) => format!("{text}, {sets} sets, none full"),
                    _ => text,
                }
            }
            Details::FileStore(s) => count(s.files, "file", "files"),
        }
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_whole_words() {
        for (name, db) in [
            ("rtc", Some("rtc")),
            ("rtc-Full Database Backup", Some("rtc")),
            ("RTC_backup_2024_05_01.bak", Some("rtc")),
            ("rtcdyn.bak", Some("rtcdyn")),
            ("LcsCDR_20240501.bak", Some("lcscdr")),
            ("artc.bak", None),
            ("backup.bak", None),
        ] {
            assert_eq!(lync_database_in(name), db, "{name}");
        }
    }
}
