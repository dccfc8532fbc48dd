//! Listing the audited folder: every file with its size and modification time, every folder, and
//! which folders are File Store copies. Symbolic links to files are followed; links to folders
//! are not, so a loop cannot trap the walk.

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
    let meta = fs::metadata(root).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => AuditError::NotFound {
            path: root.to_owned(),
        },
        _ => AuditError::Unreadable {
            path: root.to_owned(),
            source: e,
        },
    })?;
    if !meta.is_dir() {
        return Err(AuditError::NotADirectory {
            path: root.to_owned(),
        });
    }
    let mut scan = Scan::default();
    let mut pending = vec![(String::new(), root.to_owned())];
    while let Some((rel, dir)) = pending.pop() {
        let entries = match read_sorted(&dir) {
            Ok(entries) => entries,
            Err(e) if rel.is_empty() => {
                return Err(AuditError::Unreadable {
                    path: root.to_owned(),
                    source: e,
                });
            }
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
            let Ok(link) = fs::symlink_metadata(&path) else {
                continue;
            };
            if link.is_dir() {
                if is_service_folder(&name) {
                    service_folders.push(name);
                }
                pending.push((child, path));
                continue;
            }
            // A link to a file counts as the file; a link to a folder is skipped.
            let Ok(meta) = fs::metadata(&path) else { continue };
            if meta.is_file() {
                let modified = meta.modified().ok().and_then(|t| Timestamp::try_from(t).ok());
                scan.files.push(ScannedFile {
                    rel: child,
                    path,
                    size: meta.len(),
                    modified,
                });
            }
        }
        if !rel.is_empty() {
            scan.dirs.push(ScannedDir { rel, service_folders });
        }
    }
    scan.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    scan.dirs.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(scan)
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
