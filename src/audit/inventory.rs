//! The artifacts under the audited folder. Each file is identified (as the environment file names
//! it, else by content, with its name as a tie-breaker), File Store copies are found by their
//! service folders, and what the first bytes already prove wrong is recorded. The thorough pass
//! (`examine.rs`) then reads each file according to its [`Plan`] and its results are merged back.

use super::artifact::{Artifact, Details, IdentifiedBy, lync_database_in};
use super::examine::{Outcome, Plan};
use super::filestore::FileStoreSummary;
use super::finding::Problem;
use super::hash::Sha256Digest;
use super::identify::{self, Identity, USER_DATA_ROOT, ZipFlavor};
use super::mtf::BackupSets;
use super::scan::{Scan, Skipped, is_under};
use crate::artifact::ArtifactKind;
use crate::sums::is_sums_file;
use std::io;
use std::path::Path;

/// A problem about the folder rather than one artifact: where, of which kind, what.
pub type General = (Option<String>, Option<ArtifactKind>, Problem);

pub struct Inventory {
    pub artifacts: Vec<Artifact>,
    /// For each scanned file, the artifact it belongs to (`None` for checksum files).
    pub owner: Vec<Option<usize>>,
    /// For each scanned file, what the thorough pass reads it for (`None`: not at all).
    pub plans: Vec<Option<Plan>>,
    pub general: Vec<General>,
    /// Indexes of the checksum files among the scanned files.
    pub sums_files: Vec<usize>,
    /// What the environment file names for each kind: the file found, or its value if none was.
    pub named: Vec<(ArtifactKind, String)>,
}

impl Inventory {
    pub fn build(scan: &Scan, named: &[(ArtifactKind, String)]) -> Inventory {
        let n = scan.files.len();
        let mut inv = Inventory {
            artifacts: Vec::new(),
            owner: vec![None; n],
            plans: vec![None; n],
            general: Vec::new(),
            sums_files: Vec::new(),
            named: Vec::new(),
        };
        for (rel, error) in &scan.unreadable {
            inv.general.push((
                Some(rel.clone()),
                None,
                Problem::FolderUnreadable { error: error.clone() },
            ));
        }
        for (rel, why) in &scan.skipped {
            let problem = match why {
                Skipped::LinkOutside { target } => Problem::LinkOutside {
                    target: target.clone(),
                },
                Skipped::NotAFile { what } => Problem::NotAFile {
                    what: (*what).to_owned(),
                },
            };
            inv.general.push((Some(rel.clone()), None, problem));
        }
        let lookup = NamedLookup::resolve(scan, named, &mut inv.general);
        for (kind, value) in named {
            let found = match kind {
                ArtifactKind::FileStore => lookup.dir.as_ref().map(|(d, _)| scan.dirs[*d].rel.clone()),
                _ => lookup
                    .files
                    .iter()
                    .find(|(_, k, _)| k == kind)
                    .map(|(f, _, _)| scan.files[*f].rel.clone()),
            };
            inv.named.push((*kind, found.unwrap_or_else(|| value.clone())));
        }
        inv.add_file_stores(scan, &lookup);
        for (i, file) in scan.files.iter().enumerate() {
            if inv.owner[i].is_some() {
                continue;
            }
            let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
            if is_sums_file(name) && !lookup.files.iter().any(|(f, _, _)| *f == i) {
                inv.sums_files.push(i);
                continue;
            }
            let named = lookup.files.iter().find(|(f, _, _)| *f == i);
            let (mut artifact, plan, misnamed) = identify_file(file, name, named.map(|(_, k, _)| *k));
            if let Some(problem) = misnamed {
                inv.general
                    .push((Some(file.rel.clone()), named.map(|(_, k, _)| *k), problem));
            }
            if let Some((_, _, Some(twice))) = named {
                artifact.problems.push(twice.clone());
            }
            inv.owner[i] = Some(inv.artifacts.len());
            inv.plans[i] = plan;
            inv.artifacts.push(artifact);
        }
        inv
    }

    /// Folders with File Store service folders in them (or named as the File Store copy), the
    /// outermost only; their files are hashed but not identified one by one.
    fn add_file_stores(&mut self, scan: &Scan, lookup: &NamedLookup) {
        let mut stores: Vec<usize> = (0..scan.dirs.len())
            .filter(|&d| {
                !scan.dirs[d].service_folders.is_empty()
                    || lookup.dir.as_ref().is_some_and(|(nd, _)| *nd == d)
            })
            .collect();
        let nested = |d: usize, stores: &[usize]| {
            stores
                .iter()
                .any(|&o| is_under(&scan.dirs[d].rel, &scan.dirs[o].rel))
        };
        stores = stores.iter().copied().filter(|&d| !nested(d, &stores)).collect();
        for d in stores {
            let dir = &scan.dirs[d];
            let named = lookup.dir.as_ref().filter(|(nd, _)| *nd == d);
            let index = self.artifacts.len();
            let mut summary = FileStoreSummary {
                files: 0,
                bytes: 0,
                newest: None,
                service_folders: dir.service_folders.clone(),
            };
            for (i, f) in scan.files_under(&dir.rel) {
                summary.files += 1;
                summary.bytes += f.size;
                summary.newest = summary.newest.max(f.modified);
                self.owner[i] = Some(index);
                self.plans[i] = Some(Plan::HashOnly);
            }
            let mut problems = Vec::new();
            if summary.files == 0 {
                problems.push(Problem::Empty);
            }
            if summary.service_folders.is_empty() {
                problems.push(Problem::NotAFileStore);
            }
            if let Some((_, Some(twice))) = named {
                problems.push(twice.clone());
            }
            self.artifacts.push(Artifact {
                path: dir.rel.clone(),
                kind: Some(ArtifactKind::FileStore),
                identified_by: if named.is_some() {
                    IdentifiedBy::Environment
                } else {
                    IdentifiedBy::Content
                },
                used_for: None,
                size: summary.bytes,
                modified: summary.newest,
                details: Details::FileStore(summary),
                sha256: None,
                problems,
            });
        }
    }

    /// Merges the thorough pass's results into the artifacts.
    pub fn absorb(&mut self, scan: &Scan, outcomes: Vec<Outcome>) {
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let Some(a) = self.owner[i] else { continue };
            let artifact = &mut self.artifacts[a];
            if let Details::FileStore(_) = artifact.details {
                // A folder: say which of its files a problem is about.
                let rel = &scan.files[i].rel;
                artifact
                    .problems
                    .extend(outcome.problems.into_iter().map(|p| match p {
                        Problem::Unreadable { error } => Problem::Unreadable {
                            error: format!("`{rel}`: {error}"),
                        },
                        other => other,
                    }));
                continue;
            }
            if outcome.details.is_some() {
                artifact.details = outcome.details.unwrap_or_default();
            }
            if let Some(sets) = &outcome.backup_sets {
                let file = artifact.file_name().to_owned();
                artifact
                    .problems
                    .extend(absorb_backup_sets(&mut artifact.details, sets, file));
            }
            let named = artifact.identified_by == IdentifiedBy::Environment;
            artifact
                .problems
                .extend(outcome.problems.into_iter().map(|p| match (p, artifact.kind) {
                    // The entries that make a zip an RGS export are a guess for the 2010 script:
                    // a named zip without them is warned about, not refused.
                    (Problem::MissingEntry { entry }, Some(kind)) if named && !kind.layout_confirmed() => {
                        Problem::UnexpectedLayout {
                            kind,
                            detail: format!("the zip has no `{entry}`"),
                        }
                    }
                    (p, _) => p,
                }));
            artifact.sha256 = outcome.sha256.or(artifact.sha256);
        }
    }

    /// Attaches a problem found for scanned file `i` (a checksum mismatch) to its artifact.
    pub fn attach(&mut self, scan: &Scan, i: usize, problem: Problem) {
        let Some(a) = self.owner[i] else { return };
        let artifact = &mut self.artifacts[a];
        let problem = match problem {
            Problem::ChecksumMismatch {
                sums,
                file: None,
                expected,
                actual,
            } if matches!(artifact.details, Details::FileStore(_)) => Problem::ChecksumMismatch {
                sums,
                file: Some(scan.files[i].rel.clone()),
                expected,
                actual,
            },
            other => other,
        };
        artifact.problems.push(problem);
    }
}

/// Records in a SQL Server backup's details how many sets it holds and which one lyncdr's restore
/// takes (the newest full backup of its database); returns what to warn about.
fn absorb_backup_sets(details: &mut Details, sets: &BackupSets, file: String) -> Vec<Problem> {
    let Details::SqlBackup { database, header } = details else {
        return vec![];
    };
    // A set of another Lync database is not a candidate; a set whose name names none may be of
    // this one (the name is the backup's, e.g. `Full backup`), as the file's own name decided.
    let newest = sets.newest_full(
        |name| match (database.as_deref(), name.and_then(lync_database_in)) {
            (Some(db), Some(of)) => db == of,
            _ => true,
        },
    );
    header.backup_sets = Some(sets.count);
    header.newest_full_position = newest.map(|s| s.position);
    header.newest_full_time = newest.and_then(|s| s.backup_time);
    let mut problems = Vec::new();
    if sets.count > 1 {
        problems.push(Problem::SeveralBackupSets {
            file,
            sets: sets.count,
            database: database.clone(),
            newest_full: newest.map(|s| (s.position, s.backup_time)),
        });
    }
    if sets.count > sets.sets.len() as u64 {
        problems.push(Problem::TooManyBackupSets {
            found: sets.count,
            kept: sets.sets.len(),
        });
    }
    problems
}

/// The files and folder the environment file names, found by file name under the folder.
struct NamedLookup {
    /// (scanned file, kind, a "named twice" warning).
    files: Vec<(usize, ArtifactKind, Option<Problem>)>,
    dir: Option<(usize, Option<Problem>)>,
}

impl NamedLookup {
    fn resolve(scan: &Scan, named: &[(ArtifactKind, String)], general: &mut Vec<General>) -> NamedLookup {
        let mut lookup = NamedLookup {
            files: Vec::new(),
            dir: None,
        };
        for (kind, name) in named {
            // The environment holds Windows paths (`\\backup01\lync\rtc.bak`, `D:\FileStore\`);
            // the last name is what can be found here.
            let trimmed = name.trim().trim_end_matches(['\\', '/']);
            let base = trimmed.rsplit(['\\', '/']).next().unwrap_or(trimmed);
            let matches: Vec<(usize, &str)> = if *kind == ArtifactKind::FileStore {
                scan.dirs
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (i, d.rel.as_str()))
                    .collect()
            } else {
                scan.files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (i, f.rel.as_str()))
                    .collect()
            };
            let mut matches: Vec<(usize, &str)> = matches
                .into_iter()
                .filter(|(_, rel)| {
                    !base.is_empty()
                        && rel
                            .rsplit('/')
                            .next()
                            .is_some_and(|n| n.eq_ignore_ascii_case(base))
                })
                .collect();
            // The shallowest first: the folder itself before its subfolders.
            matches.sort_by_key(|(_, rel)| (rel.matches('/').count(), rel.to_string()));
            let Some(&(first, used)) = matches.first() else {
                general.push((
                    None,
                    Some(*kind),
                    Problem::NamedNotFound {
                        kind: *kind,
                        name: name.clone(),
                    },
                ));
                continue;
            };
            let twice = (matches.len() > 1).then(|| Problem::NamedTwice {
                name: base.to_owned(),
                used: used.to_owned(),
            });
            if *kind == ArtifactKind::FileStore {
                lookup.dir = Some((first, twice));
            } else if lookup.files.iter().any(|(f, _, _)| *f == first) {
                // One file named for two kinds: the first naming wins; the second is not found.
                general.push((
                    None,
                    Some(*kind),
                    Problem::NamedNotFound {
                        kind: *kind,
                        name: name.clone(),
                    },
                ));
            } else {
                lookup.files.push((first, *kind, twice));
            }
        }
        lookup
    }
}

/// Identifies one file; returns its artifact, what the thorough pass must read it for, and, when
/// the environment file names it as something it is not, that problem (the file then counts as
/// what its content proves: a CMS export named as the user data export is still the CMS export).
fn identify_file(
    file: &super::scan::ScannedFile,
    name: &str,
    named: Option<ArtifactKind>,
) -> (Artifact, Option<Plan>, Option<Problem>) {
    let mut artifact = Artifact {
        path: file.rel.clone(),
        kind: named,
        identified_by: IdentifiedBy::Environment,
        used_for: None,
        size: file.size,
        modified: file.modified,
        details: Details::None,
        sha256: None,
        problems: Vec::new(),
    };
    let identity = match Identity::of(&file.path, file.size) {
        Ok(identity) => identity,
        Err(e) => {
            if named.is_none() {
                artifact.kind = identify::extension_hint(name);
                artifact.identified_by = IdentifiedBy::FileName;
            }
            artifact
                .problems
                .push(Problem::Unreadable { error: e.to_string() });
            return (artifact, None, None);
        }
    };
    let actual = identity.content_kind();
    // A sound zip named as an export whose layout is a guess is that export, whatever it holds.
    let unexpected = match (named, actual, &identity) {
        (Some(k), Some(a), Identity::Zip(_)) if k != a && !k.layout_confirmed() => {
            Some(Problem::UnexpectedLayout {
                kind: k,
                detail: format!(
                    "named as the {}, it looks like {}",
                    k.title(),
                    identity.describe()
                ),
            })
        }
        _ => None,
    };
    let misnamed = match (named, actual) {
        _ if unexpected.is_some() => None,
        // A backup of another database named as rtc's is judged as rtc's: `wrong-database`.
        (Some(ArtifactKind::RtcDatabase), Some(ArtifactKind::OtherDatabase)) => None,
        (Some(k), Some(a)) if k != a => Some(Problem::NotExpectedKind {
            kind: k,
            found: identity.describe(),
        }),
        _ => None,
    };
    let named = if misnamed.is_some() { None } else { named };
    if named.is_none() {
        let (kind, by) = match identity.kind(name) {
            Some((k, true)) => (Some(k), IdentifiedBy::FileName),
            Some((k, false)) => (Some(k), IdentifiedBy::Content),
            None => (None, IdentifiedBy::Content),
        };
        artifact.kind = kind;
        artifact.identified_by = by;
    }
    if let Identity::SqlBackup(header) = &identity {
        let database = header
            .data_set_name
            .as_deref()
            .and_then(lync_database_in)
            .or_else(|| lync_database_in(name));
        artifact.details = Details::SqlBackup {
            database: database.map(str::to_owned),
            header: header.clone(),
        };
    }
    artifact.problems = judge(
        artifact.kind,
        artifact.identified_by,
        &identity,
        name,
        artifact.size,
    );
    artifact.problems.extend(unexpected);
    let plan = if artifact.usable() {
        plan(artifact.kind, &identity)
    } else {
        Plan::HashOnly
    };
    (artifact, Some(plan), misnamed)
}

/// What the audit says about one file taken as `kind` (the environment file names it so), from
/// the same first look as the audit's own and, for an uncompressed SQL Server backup, the same
/// check of its end: `run` asks this before it uses a backup, so the two never disagree on
/// whether a file is usable. The thorough reading (every zip entry, the whole XML) stays the
/// audit's.
pub fn check_named(kind: ArtifactKind, path: &Path, len: u64) -> io::Result<Vec<Problem>> {
    let identity = Identity::of(path, len)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let mut problems = judge(Some(kind), IdentifiedBy::Environment, &identity, name, len);
    if problems.is_empty()
        && plan(Some(kind), &identity) == Plan::SqlBackup
        && let Some(p) = super::examine::tail_problem(path, len)
    {
        problems.push(p);
    }
    Ok(problems)
}

/// [`check_named`] and the SHA-256 of the file, from one handle held across both passes
/// ([`super::held`]): the digest is of the bytes judged. `None` when the file changed, or the
/// path came to name another file, between the start of the judging and the end of the hashing.
pub fn check_and_hash(
    kind: ArtifactKind,
    path: &Path,
) -> io::Result<Option<(Vec<Problem>, Sha256Digest, u64)>> {
    use std::io::Seek as _;
    let mut held = super::held::Held::open(path)?;
    let len = held.len();
    let identity = Identity::of_file(&mut held.file, len)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let mut problems = judge(Some(kind), IdentifiedBy::Environment, &identity, name, len);
    if problems.is_empty()
        && plan(Some(kind), &identity) == Plan::SqlBackup
        && let Some(p) = super::examine::tail_problem_in(&held.file, len)
    {
        problems.push(p);
    }
    held.file.seek(io::SeekFrom::Start(0))?;
    let mut buf = vec![0; super::hash::BLOCK];
    let mut reader = super::hash::HashingReader::new(&held.file, true, &super::Silent);
    super::hash::drain(&mut reader, &mut buf)?;
    let digest = reader.digest().unwrap_or(Sha256Digest([0; 32]));
    Ok(held.unchanged()?.then_some((problems, digest, len)))
}

/// What the first bytes already prove about a file taken as `kind`.
fn judge(
    kind: Option<ArtifactKind>,
    by: IdentifiedBy,
    identity: &Identity,
    name: &str,
    file_size: u64,
) -> Vec<Problem> {
    use ArtifactKind::*;
    let found = || identity.describe();
    if let Identity::Empty = identity {
        return vec![Problem::Empty];
    }
    let Some(kind) = kind else {
        let backup_like = matches!(identify::extension(name).as_str(), "zip" | "xml" | "bak");
        return if backup_like {
            vec![Problem::Unrecognized { found: found() }]
        } else {
            vec![]
        };
    };
    let problem = match (kind, identity) {
        (LisConfiguration, Identity::Zip(ZipFlavor::Unknown)) if by == IdentifiedBy::Content => Problem::Guessed {
            kind,
            why: "it is a zip that is neither a CMS nor a Response Group export (the LIS export's layout is unconfirmed)".into(),
        },
        (CsConfiguration | LisConfiguration | RgsExport, Identity::Zip(_)) => return vec![],
        (CsConfiguration | LisConfiguration | RgsExport, Identity::BrokenZip { detail, .. }) => {
            Problem::TruncatedZip { detail: detail.clone() }
        }
        (CsConfiguration | LisConfiguration | RgsExport, _) => Problem::NotAZip { found: found() },
        (UserData, Identity::Xml { root, .. }) if root != USER_DATA_ROOT => {
            Problem::WrongRoot { entry: None, expected: USER_DATA_ROOT.into(), found: root.clone() }
        }
        (UserData, Identity::Xml { .. } | Identity::XmlWithoutRoot) => return vec![],
        (UserData, _) => Problem::NotXml { found: found() },
        (RtcDatabase | OtherDatabase, Identity::SqlBackup(h)) if h.compressed => {
            Problem::CompressedUnverified { size: file_size }
        }
        (RtcDatabase | OtherDatabase, Identity::BrokenSqlBackup { truncated: true, detail }) => {
            Problem::TruncatedBackup { detail: detail.clone() }
        }
        (RtcDatabase | OtherDatabase, Identity::BrokenSqlBackup { truncated: false, detail }) => {
            Problem::CorruptBackup { detail: detail.clone() }
        }
        (RtcDatabase, Identity::SqlBackup(h)) => match (h.data_set_name.as_deref(), identity.content_kind()) {
            (Some(found), Some(OtherDatabase)) => Problem::WrongDatabase { expected: "rtc".into(), found: found.into() },
            (_, None) if by == IdentifiedBy::FileName => Problem::Guessed {
                kind,
                why: if h.compressed {
                    "its file name says `rtc` (the header of a compressed backup is not read)".into()
                } else {
                    "its file name says `rtc` (the backup header names no Lync database)".into()
                },
            },
            _ => return vec![],
        },
        (OtherDatabase, Identity::SqlBackup(_)) => return vec![],
        (RtcDatabase | OtherDatabase, _) => Problem::NotASqlBackup { found: found() },
        (FileStore, _) => Problem::NotExpectedKind { kind, found: "a file, not a folder".into() },
    };
    vec![problem]
}

fn plan(kind: Option<ArtifactKind>, identity: &Identity) -> Plan {
    use ArtifactKind::*;
    match (kind, identity) {
        (Some(k @ (CsConfiguration | LisConfiguration | RgsExport)), Identity::Zip(_)) => Plan::Zip(k),
        (Some(UserData), Identity::Xml { .. } | Identity::XmlWithoutRoot) => Plan::UserData,
        (Some(RtcDatabase | OtherDatabase), Identity::SqlBackup(h)) if !h.compressed => Plan::SqlBackup,
        _ => Plan::HashOnly,
    }
}
