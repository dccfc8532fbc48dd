//! What is wrong with a backup, and what to do about it.
//!
//! A [`Problem`] is attached to an artifact (or to the folder) as the audit goes; the report turns
//! each into a [`Finding`] with a stable code for monitoring, a message that names the file, and
//! the action that fixes it.

use super::duration::format_duration;
use crate::artifact::ArtifactKind;
use jiff::Timestamp;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    /// Usable, but something needs attention (stale, guessed): the runbook is degraded.
    Warning,
    /// Unusable: the runbooks needing it are not ready.
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No artifact of this kind under the folder.
    Missing {
        kind: ArtifactKind,
    },
    /// The environment file names a file that is not under the folder.
    NamedNotFound {
        kind: ArtifactKind,
        name: String,
    },
    /// The environment file names a file that is something else.
    NotExpectedKind {
        kind: ArtifactKind,
        found: String,
    },
    /// Several files have the name the environment file gives.
    NamedTwice {
        name: String,
        used: String,
    },
    Empty,
    Unreadable {
        error: String,
    },
    NotAZip {
        found: String,
    },
    TruncatedZip {
        detail: String,
    },
    EmptyZip,
    MissingEntry {
        entry: String,
    },
    CorruptEntry {
        entry: String,
        error: String,
    },
    /// A CMS export whose `DocItemSet.xml` holds no `<DocItem>`.
    NoDocItems,
    NotXml {
        found: String,
    },
    TruncatedXml {
        entry: Option<String>,
        detail: String,
    },
    MalformedXml {
        entry: Option<String>,
        line: u64,
        column: u64,
        detail: String,
    },
    WrongRoot {
        entry: Option<String>,
        expected: String,
        found: String,
    },
    WrongNamespace {
        expected: String,
        found: Option<String>,
    },
    NotASqlBackup {
        found: String,
    },
    TruncatedBackup {
        detail: String,
    },
    CorruptBackup {
        detail: String,
    },
    WrongDatabase {
        expected: String,
        found: String,
    },
    /// A backup file holding several backup sets: a plain `RESTORE` takes the first.
    SeveralBackupSets {
        /// The file name, for the `RESTORE` statement of the action.
        file: String,
        sets: u64,
        database: Option<String>,
        /// The newest full backup set of `database`: its position and backup time.
        newest_full: Option<(u64, Option<Timestamp>)>,
    },
    /// More backup sets than the audit keeps: the newest full one may be among those not read.
    TooManyBackupSets {
        found: u64,
        kept: usize,
    },
    NotAFileStore,
    /// A compressed SQL Server backup: its contents are XPRESS-compressed and not read, so
    /// nothing but its first bytes is known; never "ready" on that alone.
    CompressedUnverified {
        size: u64,
    },
    Stale {
        age: Duration,
        max_age: Duration,
    },
    /// Only a file name or a guess says what it is.
    Guessed {
        kind: ArtifactKind,
        why: String,
    },
    /// Has the extension of a backup but is none the audit knows.
    Unrecognized {
        found: String,
    },
    /// A usable artifact, but another of its kind is used (the newer one, or the named one).
    NotUsed {
        used: String,
    },
    /// A zip named as an export whose layout is unconfirmed holds something unexpected: used as
    /// named, with this warning.
    UnexpectedLayout {
        kind: ArtifactKind,
        detail: String,
    },
    /// Several kinds of RGS export entries are absent (the 2010 layout is unconfirmed).
    UnusualRgsLayout {
        absent: Vec<String>,
    },
    /// `file` names the file when the artifact is a folder (the File Store copy).
    ChecksumMismatch {
        sums: String,
        file: Option<String>,
        expected: String,
        actual: String,
    },
    ListedButMissing {
        sums: String,
        name: String,
        line: usize,
    },
    SumsSyntax {
        line: usize,
    },
    NotCovered {
        count: usize,
        examples: Vec<String>,
    },
    NoSums,
    NotVerified,
    SumsWritten {
        name: String,
        files: usize,
        /// Files that no checksum covered before: now trusted as they are.
        added: usize,
        examples: Vec<String>,
    },
    SumsNotWritten {
        reason: String,
    },
    /// A folder under the audited one that could not be listed.
    FolderUnreadable {
        error: String,
    },
    /// A symbolic link that leaves the audited folder: not read.
    LinkOutside {
        target: String,
    },
    /// A FIFO, socket or device: never opened.
    NotAFile {
        what: String,
    },
    /// Over a bound the audit keeps so that no input takes unbounded memory or time (XML nesting,
    /// names, text; zip inflated size; overlapping zip entries): not read further.
    Suspicious {
        entry: Option<String>,
        detail: String,
    },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        use Problem::*;
        match self {
            Stale { .. }
            | Guessed { .. }
            | NamedTwice { .. }
            | UnexpectedLayout { .. }
            | Unrecognized { .. }
            | NotAFileStore
            | CompressedUnverified { .. }
            | SeveralBackupSets {
                newest_full: None, ..
            }
            | TooManyBackupSets { .. }
            | SumsSyntax { .. }
            | LinkOutside { .. }
            | NotAFile { .. } => Severity::Warning,
            // lyncdr's restore names the newest full set: for it, several sets are no problem;
            // the finding tells whoever restores by hand.
            SeveralBackupSets { .. }
            | NotUsed { .. }
            | UnusualRgsLayout { .. }
            | NotCovered { .. }
            | NoSums
            | NotVerified
            | SumsWritten { .. } => Severity::Info,
            _ => Severity::Error,
        }
    }

    /// A stable name for monitoring and tests.
    pub fn code(&self) -> &'static str {
        use Problem::*;
        match self {
            Missing { .. } => "missing",
            NamedNotFound { .. } => "named-not-found",
            NotExpectedKind { .. } => "wrong-kind",
            NamedTwice { .. } => "named-twice",
            Empty => "empty",
            Unreadable { .. } => "unreadable",
            NotAZip { .. } => "not-a-zip",
            TruncatedZip { .. } | TruncatedXml { .. } | TruncatedBackup { .. } => "truncated",
            EmptyZip => "empty-zip",
            MissingEntry { .. } => "missing-entry",
            CorruptEntry { .. } => "corrupt-entry",
            NoDocItems => "no-doc-items",
            NotXml { .. } => "not-xml",
            MalformedXml { .. } => "malformed-xml",
            WrongRoot { .. } => "wrong-root",
            WrongNamespace { .. } => "wrong-namespace",
            NotASqlBackup { .. } => "not-a-backup",
            CorruptBackup { .. } => "corrupt-header",
            WrongDatabase { .. } => "wrong-database",
            SeveralBackupSets { .. } => "several-backup-sets",
            TooManyBackupSets { .. } => "too-many-backup-sets",
            NotAFileStore => "not-a-file-store",
            CompressedUnverified { .. } => "compressed-unverified",
            Stale { .. } => "stale",
            Guessed { .. } => "guessed",
            Unrecognized { .. } => "unrecognized",
            NotUsed { .. } => "not-used",
            UnexpectedLayout { .. } => "unexpected-layout",
            UnusualRgsLayout { .. } => "unusual-rgs-layout",
            ChecksumMismatch { .. } => "checksum-mismatch",
            ListedButMissing { .. } => "listed-but-missing",
            SumsSyntax { .. } => "checksum-syntax",
            NotCovered { .. } => "not-covered",
            NoSums => "no-checksums",
            NotVerified => "checksums-not-verified",
            SumsWritten { .. } => "checksums-written",
            SumsNotWritten { .. } => "checksums-not-written",
            FolderUnreadable { .. } => "unreadable",
            LinkOutside { .. } => "link-outside",
            NotAFile { .. } => "not-a-file",
            Suspicious { .. } => "suspicious",
        }
    }

    /// What is wrong, in a sentence that starts lowercase; the report puts the file before it.
    pub fn message(&self) -> String {
        use Problem::*;
        let within = |entry: &Option<String>| {
            entry
                .as_ref()
                .map(|e| format!("`{e}` in the zip: "))
                .unwrap_or_default()
        };
        match self {
            Missing { kind } => format!("no {} found", kind.title()),
            NamedNotFound { kind, name } => format!(
                "the environment file names `{name}` as the {}, but no file of that name is in the backup folder",
                kind.title()
            ),
            NotExpectedKind { kind, found } => {
                format!("the environment file names it as the {}, but it is {found}", kind.title())
            }
            NamedTwice { name, used } => format!("several files are named `{name}`; using `{used}`"),
            Empty => "the file is empty".into(),
            Unreadable { error } => format!("cannot be read: {error}"),
            NotAZip { found } => format!("not a zip archive: it is {found}"),
            TruncatedZip { detail } => format!("the zip is truncated or damaged ({detail})"),
            EmptyZip => "the zip holds no files".into(),
            MissingEntry { entry } => format!("the zip has no `{entry}`"),
            CorruptEntry { entry, error } => format!("`{entry}` in the zip is damaged: {error}"),
            NoDocItems => "`DocItemSet.xml` holds no `<DocItem>`: the export is empty".into(),
            NotXml { found } => format!("not XML: it is {found}"),
            TruncatedXml { entry, detail } => format!("{}the XML is truncated: {detail}", within(entry)),
            MalformedXml { entry, line, column, detail } => {
                format!("{}the XML is not well-formed at line {line}, column {column}: {detail}", within(entry))
            }
            WrongRoot { entry, expected, found } => {
                format!("{}the root element is `<{found}>`, not `<{expected}>`", within(entry))
            }
            WrongNamespace { expected, found: Some(found) } => {
                format!("the root element's namespace is `{found}`, not `{expected}`")
            }
            WrongNamespace { expected, found: None } => format!("the root element has no namespace; expected `{expected}`"),
            NotASqlBackup { found } => {
                format!("not a SQL Server backup (no Microsoft Tape Format header): it is {found}")
            }
            TruncatedBackup { detail } => format!("the backup is truncated: {detail}"),
            CorruptBackup { detail } => format!("the backup header is damaged: {detail}"),
            WrongDatabase { expected, found } => format!("it is a backup of `{found}`, not of `{expected}`"),
            SeveralBackupSets { sets, database, newest_full, .. } => {
                let of = database.as_deref().map(|d| format!(" of `{d}`")).unwrap_or_default();
                match newest_full {
                    Some((position, taken)) => format!(
                        "it holds {sets} backup sets: a restore without `WITH FILE = n` takes set 1, the oldest; lyncdr's restore takes set {position}, the newest full backup{of}{}",
                        taken
                            .map(|t| format!(" (taken {})", t.strftime("%Y-%m-%d %H:%M UTC")))
                            .unwrap_or_default()
                    ),
                    None => format!(
                        "it holds {sets} backup sets, none a full backup{of}: a restore without `WITH FILE = n` takes set 1, the oldest, and lyncdr's restore finds no set to take"
                    ),
                }
            }
            TooManyBackupSets { found, kept } => format!(
                "it holds {found} backup sets; only the first {kept} were read, so the newest full backup may be one of the others"
            ),
            CompressedUnverified { size } => format!(
                "a compressed SQL Server backup ({size} bytes): lyncdr cannot read inside it, so it is unverified, not ready"
            ),
            NotAFileStore => {
                "the folder does not look like a File Store copy (no `1-WebServices-1`, `1-ApplicationServer-1` or `1-CentralMgmt-1` in it)".into()
            }
            Stale { age, max_age } => format!(
                "it is {} old, older than the maximum age of {}",
                format_duration(*age),
                format_duration(*max_age)
            ),
            Guessed { kind, why } => format!("taken as the {} only because {why}", kind.title()),
            Unrecognized { found } => format!("has the extension of a backup but is not one lyncdr knows: it is {found}"),
            NotUsed { used } => format!("not used: `{used}` is the one used"),
            UnexpectedLayout { detail, .. } => {
                format!("{detail}; the layout of this export is unconfirmed, so the file is used as named")
            }
            UnusualRgsLayout { absent } => format!(
                "these usual entries are absent: {} (the layout of the 2010 script's export is unconfirmed)",
                absent.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            ),
            ChecksumMismatch { sums, file, expected, actual } => {
                let file = file.as_ref().map(|f| format!("`{f}`: ")).unwrap_or_default();
                format!("{file}its SHA-256 is {actual}, but `{sums}` says {expected}: the file changed or is damaged")
            }
            ListedButMissing { sums, name, line } => format!("`{sums}` line {line} lists `{name}`, which is not there"),
            SumsSyntax { line } => format!("line {line} is not `<sha256>  <file name>`"),
            NotCovered { count, examples } => format!(
                "{count} file(s) are in no checksum file, e.g. {}",
                examples.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            ),
            NoSums => "no SHA256SUMS file: damage to a backup since it was written cannot be detected".into(),
            NotVerified => "checksums not verified (--no-hash)".into(),
            SumsWritten { name, files, added: 0, .. } => format!("wrote `{name}` with {files} file(s)"),
            SumsWritten { name, files, added, examples } => format!(
                "wrote `{name}` with {files} file(s), {added} of them not covered before and now trusted as they are ({}{})",
                examples.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "),
                if *added > examples.len() { ", ..." } else { "" }
            ),
            SumsNotWritten { reason } => format!("SHA256SUMS not written: {reason}"),
            FolderUnreadable { error } => format!("the folder cannot be listed: {error}"),
            LinkOutside { target } => {
                format!("a symbolic link to `{target}`, outside the audited folder: not read")
            }
            NotAFile { what } => format!("it is {what}, not a file: not read"),
            Suspicious { entry, detail } => format!("{}refused as suspicious: {detail}", within(entry)),
        }
    }

    /// What to do about it, if there is something to do.
    pub fn action(&self, kind: Option<ArtifactKind>) -> Option<String> {
        use Problem::*;
        let remake = || kind.map(|k| k.how_to_make().to_owned());
        let env_key = || kind.map_or("backups.*", ArtifactKind::env_key);
        match self {
            Missing { .. } | Stale { .. } => remake(),
            NamedNotFound { .. } | NotExpectedKind { .. } => {
                Some(format!("correct `{}` in the environment file, or put the right file in the backup folder", env_key()))
            }
            NamedTwice { .. } => Some(format!("give `{}` a path that names one file", env_key())),
            UnexpectedLayout { kind, .. } => Some(format!(
                "check that `{}` names the {}, not another export",
                env_key(),
                kind.title()
            )),
            Guessed { .. } => Some(format!("name the file in the environment file (`{}`) to confirm it", env_key())),
            Empty | NotAZip { .. } | TruncatedZip { .. } | EmptyZip | MissingEntry { .. } | CorruptEntry { .. } | NoDocItems
            | NotXml { .. } | TruncatedXml { .. } | MalformedXml { .. } | WrongRoot { .. } | WrongNamespace { .. }
            | NotASqlBackup { .. } | TruncatedBackup { .. } | CorruptBackup { .. } | WrongDatabase { .. }
            | Suspicious { .. } => {
                remake().map(|m| format!("replace it with a good copy: {m}"))
            }
            NotAFileStore => Some(format!("check `{}`: it should name the copy of the File Store share", env_key())),
            CompressedUnverified { .. } => Some(
                "verify it on the SQL server (`RESTORE VERIFYONLY FROM DISK = N'...' WITH CHECKSUM`); lyncdr's restore does before it restores. For the audit, back up without compression"
                    .into(),
            ),
            SeveralBackupSets { file, database, newest_full: Some((position, _)), .. } => Some(format!(
                "to restore by hand, name the set: `RESTORE DATABASE {} FROM DISK = N'<folder>\\{file}' WITH FILE = {position}, REPLACE`; to keep one set per file, back up `WITH INIT`",
                database.as_deref().unwrap_or("<database>")
            )),
            SeveralBackupSets { newest_full: None, .. } => remake().map(|m| format!("take a full backup: {m}")),
            TooManyBackupSets { .. } => Some("back up `WITH INIT` so that each file holds one backup set".into()),
            Unreadable { .. } | FolderUnreadable { .. } => Some("check the permissions of the backup folder".into()),
            ChecksumMismatch { .. } => Some(
                "restore the file from another copy; if the change was intended, write new checksums with --write-sums".into(),
            ),
            ListedButMissing { .. } => Some("put the file back, or write new checksums with --write-sums".into()),
            NotCovered { .. } | NoSums => Some("run `lyncdr audit <dir> --write-sums` after each backup".into()),
            SumsNotWritten { .. } => Some("resolve the checksum mismatches first, then run --write-sums again".into()),
            Unrecognized { .. } | NotUsed { .. } | UnusualRgsLayout { .. } | SumsSyntax { .. } | NotVerified
            | SumsWritten { .. } => None,
            LinkOutside { .. } => Some("put a copy of the file itself in the backup folder, not a link".into()),
            NotAFile { .. } => Some("remove it from the backup folder".into()),
        }
    }
}

impl Problem {
    /// What to do about it in a backup set in the folder `sets`: the set's `SHA256SUMS` is
    /// `lyncdr backup`'s, sealed in its `COMPLETE` marker, so `--write-sums` is refused there;
    /// the remedies are another set, or a new one. Other problems: as [`Problem::action`].
    pub fn action_in_set(&self, kind: Option<ArtifactKind>, sets: &Path) -> Option<String> {
        use Problem::*;
        let another = format!(
            "recover from another set (`lyncdr audit {}` takes the newest set whose files all match) and take a new one with lyncdr backup",
            sets.display()
        );
        match self {
            ChecksumMismatch { .. } | ListedButMissing { .. } => {
                Some(format!("the set changed after lyncdr backup completed it: {another}"))
            }
            NotCovered { .. } => Some(
                "move it out of the set: lyncdr backup lists every file it writes in the set's SHA256SUMS, so this one was put there later"
                    .into(),
            ),
            NoSums | SumsNotWritten { .. } => {
                Some(format!("a set without its own checksums is not sound: {another}"))
            }
            _ => self.action(kind),
        }
    }
}

/// A problem as reported: where, how bad, what and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    /// The file or folder, relative to the audited folder.
    pub path: Option<String>,
    pub kind: Option<ArtifactKind>,
    pub message: String,
    pub action: Option<String>,
}

impl Finding {
    pub fn new(
        path: Option<&str>,
        kind: Option<ArtifactKind>,
        problem: &Problem,
        severity: Severity,
    ) -> Self {
        Self {
            severity,
            code: problem.code(),
            path: path.map(str::to_owned),
            kind,
            message: problem.message(),
            action: problem.action(kind),
        }
    }

    /// The same finding in a backup set in the folder `sets` (when there is one): the action
    /// that works there ([`Problem::action_in_set`]).
    pub fn in_set(mut self, problem: &Problem, sets: Option<&Path>) -> Self {
        if let Some(sets) = sets {
            self.action = problem.action_in_set(self.kind, sets);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_things_and_start_lowercase() {
        let stale = Problem::Stale {
            age: Duration::from_secs(9 * 86_400 + 7200),
            max_age: Duration::from_secs(7 * 86_400),
        };
        assert_eq!(
            stale.message(),
            "it is 9d 2h old, older than the maximum age of 7d"
        );
        assert_eq!(stale.severity(), Severity::Warning);
        assert_eq!(
            stale.action(Some(ArtifactKind::RgsExport)).as_deref(),
            Some(
                "run `Import-Module .\\RgsImportExport.ps1` then `Export-CsRgsConfiguration -Source ApplicationServer:<pool> -FileName <file>.zip`"
            )
        );
        let wrong = Problem::WrongRoot {
            entry: None,
            expected: "HomedResources".into(),
            found: "Users".into(),
        };
        assert_eq!(
            wrong.message(),
            "the root element is `<Users>`, not `<HomedResources>`"
        );
        assert_eq!((wrong.code(), wrong.severity()), ("wrong-root", Severity::Error));
        let guessed = Problem::Guessed {
            kind: ArtifactKind::LisConfiguration,
            why: "x".into(),
        };
        assert_eq!(
            guessed.action(Some(ArtifactKind::LisConfiguration)).as_deref(),
            Some("name the file in the environment file (`backups.lis_configuration`) to confirm it")
        );
    }
}
