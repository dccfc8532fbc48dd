//! Is a backup file there, usable and not too old? On the operator's machine a local folder
//! (`--backups DIR`) stands for the Windows backup location: each backup the environment names
//! is looked up there by its file name. Whether a file is usable is the audit's verdict
//! ([`audit::check_named`]), in the audit's words.

use crate::artifact::ArtifactKind;
use crate::audit::{self, Problem, Severity};
use crate::env::MaxBackupAge;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub size: u64,
    pub age: Option<Duration>,
    /// A compressed SQL Server backup: only its first bytes are known here.
    pub compressed: bool,
}

/// The file name of a Windows path (`C:\Backups\rtc.bak` -> `rtc.bak`).
pub fn file_name(windows_path: &str) -> &str {
    windows_path.rsplit(['\\', '/']).next().unwrap_or(windows_path)
}

/// `dir/name`, or the entry whose name differs only in case: Windows names are case-insensitive,
/// so `RTC.BAK` copied from the server is the `rtc.bak` the environment names.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|e| e.path())
}

pub fn check(
    artifact: ArtifactKind,
    windows_path: &str,
    dir: &Path,
    max_age: &MaxBackupAge,
) -> Result<Found, String> {
    // In a backup set each backup has the set's fixed name (one table: ArtifactKind::set_path).
    let in_set = crate::artifact::name_in_set(dir, artifact);
    let name = in_set.as_deref().unwrap_or_else(|| file_name(windows_path));
    // Never a step out of the local copy, whatever the environment file passed.
    if matches!(name, "" | "." | "..") {
        return Err(format!(
            "`{windows_path}` names no file to look up in `{}`",
            dir.display()
        ));
    }
    let path = find(dir, name).ok_or_else(|| format!("`{name}` is not in `{}`", dir.display()))?;
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok());
    if artifact.is_folder() {
        if !meta.is_dir() {
            return Err(format!(
                "`{}` is not a folder (the File Store copy is a folder)",
                path.display()
            ));
        }
        let empty = std::fs::read_dir(&path)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true);
        if empty {
            return Err(format!("`{}` is empty", path.display()));
        }
        return Ok(Found {
            path,
            size: 0,
            age,
            compressed: false,
        });
    }
    if !meta.is_file() {
        return Err(format!("`{}` is not a file", path.display()));
    }
    // The audit's own verdict, in its words: `run` never uses a file `lyncdr audit` rejects.
    let problems = audit::check_named(artifact, &path, meta.len())
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if let Some(p) = problems.iter().find(|p| p.severity() == Severity::Error) {
        return Err(format!("`{}`: {}", path.display(), p.message()));
    }
    let compressed = problems
        .iter()
        .any(|p| matches!(p, Problem::CompressedUnverified { .. }));
    if let Some(age) = age
        && age > max_age.limit
    {
        return Err(format!(
            "`{}` is {} old, more than the {} allowed ({})",
            path.display(),
            audit::format_duration(age),
            audit::format_duration(max_age.limit),
            if max_age.set {
                format!("backups.max_age: {}", max_age.text)
            } else {
                "lyncdr's default; backups.max_age is not set".to_owned()
            }
        ));
    }
    Ok(Found {
        path,
        size: meta.len(),
        age,
        compressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week() -> MaxBackupAge {
        MaxBackupAge {
            limit: crate::env::DEFAULT_MAX_BACKUP_AGE,
            text: "7d".into(),
            set: false,
        }
    }

    /// The smallest zip: an end of central directory record (22 bytes) and no entries.
    fn empty_zip() -> Vec<u8> {
        [&b"PK\x05\x06"[..], &[0; 18]].concat()
    }

    #[test]
    fn kinds_sizes_and_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cms.zip"), empty_zip()).unwrap();
        std::fs::write(dir.path().join("fake.bak"), b"hello").unwrap();
        std::fs::write(dir.path().join("tape.bak"), b"TAPE....").unwrap();
        std::fs::write(dir.path().join("empty.zip"), b"").unwrap();
        use ArtifactKind::{CsConfiguration, RtcDatabase};
        let check = |kind, path| check(kind, path, dir.path(), &week());
        assert!(check(CsConfiguration, r"C:\Backups\cms.zip").is_ok());
        assert!(
            check(CsConfiguration, r"C:\Backups\CMS.ZIP").is_ok(),
            "Windows names ignore case"
        );
        let err = |kind, path| check(kind, path).unwrap_err();
        assert!(err(RtcDatabase, r"C:\Backups\fake.bak").contains("not a SQL Server backup"));
        assert!(err(RtcDatabase, r"C:\Backups\tape.bak").contains("the backup is truncated"));
        assert!(err(CsConfiguration, r"C:\B\empty.zip").contains("the file is empty"));
        assert!(err(CsConfiguration, r"C:\B\none.zip").contains("not in"));
        let no_age = MaxBackupAge {
            limit: Duration::ZERO,
            text: "0s".into(),
            set: true,
        };
        let old = super::check(CsConfiguration, r"C:\Backups\cms.zip", dir.path(), &no_age);
        assert!(old.unwrap_err().contains("allowed (backups.max_age: 0s)"));
    }
}
