//! Listing the audited folder: every file with its size and modification time, every folder, and
//! which folders are File Store copies. A symbolic link to a file inside the audited folder counts
//! as the file; a link that leaves the folder is reported and never opened (the audit may run with
//! more rights than whoever planted it); links to folders are not followed, so a loop cannot trap
//! the walk. FIFOs, sockets and devices are reported and never opened (opening a FIFO blocks).

use super::error::AuditError;
use super::filestore::is_service_folder;
use jiff::Timestamp;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// Relative to the audited folder, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct ScannedDir {
    pub rel: String,
    /// Its children named like File Store service folders (`1-WebServices-1`).
    pub service_folders: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Scan {
    /// Sorted by `rel`.
    pub files: Vec<ScannedFile>,
    /// Every folder below the audited one, sorted by `rel`.
    pub dirs: Vec<ScannedDir>,
    /// Folders that could not be listed, with why.
    pub unreadable: Vec<(String, String)>,
    /// Entries that are not read at all, with why; sorted by path.
    pub skipped: Vec<(String, Skipped)>,
}

/// Why an entry of the folder is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// A symbolic link whose target is outside the audited folder.
    LinkOutside { target: String },
    /// Not a regular file: "a FIFO", "a socket", "a device".
    NotAFile { what: &'static str },
}

impl Scan {
    /// The folder at `rel` and everything below it.
    pub fn files_under<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = (usize, &'a ScannedFile)> + 'a {
        self.files
            .iter()
            .enumerate()
            .filter(move |(_, f)| is_under(&f.rel, rel))
    }
}

/// Is `path` inside the folder `dir` (both relative, `/`-separated)?
pub fn is_under(path: &str, dir: &str) -> bool {
    path.len() > dir.len() + 1 && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// Lists `root`. Only a root that is missing, not a folder, or unreadable is an error.
pub fn scan(root: &Path) -> Result<Scan, AuditError> {
    let real_root = real_root(root)?;
    let mut scan = Scan::default();
    let mut pending = vec![(String::new(), root.to_owned())];
    while let Some((rel, dir)) = pending.pop() {
        let entries = match read_sorted(&dir) {
            Ok(entries) => entries,
            Err(e) if rel.is_empty() => return Err(unreadable(root, e)),
            Err(e) => {
                scan.unreadable.push((rel, e.to_string()));
                continue;
            }
        };
        let mut service_folders = Vec::new();
        for (name, path) in entries {
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if let Some(folder) = scan.entry(&real_root, child, path) {
                if is_service_folder(&name) {
                    service_folders.push(name);
                }
                pending.push(folder);
            }
        }
        if !rel.is_empty() {
            scan.dirs.push(ScannedDir { rel, service_folders });
        }
    }
    scan.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    scan.dirs.sort_by(|a, b| a.rel.cmp(&b.rel));
    scan.skipped.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(scan)
}

fn unreadable(root: &Path, source: io::Error) -> AuditError {
    AuditError::Unreadable {
        path: root.to_owned(),
        source,
    }
}

/// The real path of the folder `root`, which links are judged against (so `..` and links
/// along the way count); an error when it is missing, not a folder, or unreadable.
fn real_root(root: &Path) -> Result<PathBuf, AuditError> {
    let meta = fs::metadata(root).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => AuditError::NotFound {
            path: root.to_owned(),
        },
        _ => unreadable(root, e),
    })?;
    if !meta.is_dir() {
        return Err(AuditError::NotADirectory {
            path: root.to_owned(),
        });
    }
    crate::fsx::canonicalize(root).map_err(|e| unreadable(root, e))
}

impl Scan {
    /// One entry `child` (at `path`) of a listed folder: a folder to list next is returned; a
    /// file is listed; a link out of the folder or a non-file is recorded as skipped.
    fn entry(&mut self, real_root: &Path, child: String, path: PathBuf) -> Option<(String, PathBuf)> {
        let link = fs::symlink_metadata(&path).ok()?;
        // A link first: on Windows a reparse point std does not call a link may say it is a
        // folder.
        let is_link = crate::fsx::is_link(&link);
        if link.is_dir() && !is_link {
            return Some((child, path));
        }
        let (meta, path) = if is_link {
            self.through_link(real_root, &child, &path)?
        } else {
            (link, path)
        };
        if !meta.is_file() {
            let what = not_a_file(&meta);
            self.skipped.push((child, Skipped::NotAFile { what }));
            return None;
        }
        let modified = meta.modified().ok().and_then(|t| Timestamp::try_from(t).ok());
        self.files.push(ScannedFile {
            rel: child,
            path,
            size: meta.len(),
            modified,
        });
        None
    }

    /// Where the link `child` leads, read there (not through the link again), when that is a
    /// file or other non-folder inside the audited folder. A link out of it is recorded; one
    /// that cannot be resolved, or leads to a folder, is passed over.
    fn through_link(
        &mut self,
        real_root: &Path,
        child: &str,
        path: &Path,
    ) -> Option<(fs::Metadata, PathBuf)> {
        let target = crate::fsx::canonicalize(path).ok()?;
        if !target.starts_with(real_root) {
            let target = target.display().to_string();
            self.skipped
                .push((child.to_owned(), Skipped::LinkOutside { target }));
            return None;
        }
        match fs::metadata(&target) {
            Ok(m) if !m.is_dir() => Some((m, target)),
            _ => None,
        }
    }
}

/// What kind of entry a non-file, non-folder is, for the finding.
fn not_a_file(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = meta;
    "not a regular file"
}

fn read_sorted(dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        entries.push((entry.file_name().to_string_lossy().into_owned(), entry.path()));
    }
    entries.sort();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under() {
        assert!(is_under("fs/1-WebServices-1/a", "fs"));
        assert!(!is_under("fsx/a", "fs") && !is_under("fs", "fs"));
    }
}
