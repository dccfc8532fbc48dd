//! Is a backup file there, of the right kind, not empty and not too old? On the operator's
//! machine a local folder (`--backups DIR`) stands for the Windows backup location: each backup
//! the environment names is looked up there by its file name.

use crate::env::MaxBackupAge;
use std::io::Read as _;
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
    artifact: &str,
    windows_path: &str,
    dir: &Path,
    max_age: &MaxBackupAge,
) -> Result<Found, String> {
    let name = file_name(windows_path);
    let path = find(dir, name).ok_or_else(|| format!("`{name}` is not in `{}`", dir.display()))?;
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok());
    if artifact == "file-store" {
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
    if meta.len() == 0 {
        return Err(format!("`{}` is empty", path.display()));
    }
    let mut head = [0u8; 8];
    let n = std::fs::File::open(&path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let head = &head[..n];
    let kind_ok = match artifact {
        "cs-configuration" | "lis-configuration" | "rgs-export" => head.starts_with(b"PK\x03\x04"),
        "user-data" => {
            head.starts_with(&[0xFF, 0xFE])
                || head.starts_with(&[0xEF, 0xBB, 0xBF])
                || head.trim_ascii_start().starts_with(b"<")
        }
        "rtc-database" => head.starts_with(b"TAPE") || head.starts_with(crate::audit::mtf::COMPRESSED_MAGIC),
        _ => true,
    };
    if !kind_ok {
        let want = match artifact {
            "user-data" => "DBImpExp XML",
            "rtc-database" => "SQL Server backup (Microsoft Tape Format)",
            _ => "zip archive",
        };
        return Err(format!("`{}` is not a {want}", path.display()));
    }
    if let Some(age) = age
        && age > max_age.limit
    {
        return Err(format!(
            "`{}` is {} old, more than the {} allowed ({})",
            path.display(),
            human(age),
            human(max_age.limit),
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
        compressed: artifact == "rtc-database" && head.starts_with(crate::audit::mtf::COMPRESSED_MAGIC),
    })
}

pub fn human(d: Duration) -> String {
    let h = d.as_secs() / 3600;
    if h >= 48 {
        format!("{} days", h / 24)
    } else if h >= 1 {
        format!("{h} hours")
    } else {
        format!("{} minutes", d.as_secs() / 60)
    }
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

    #[test]
    fn kinds_sizes_and_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rtc.bak"), b"TAPE....").unwrap();
        std::fs::write(dir.path().join("fake.bak"), b"hello").unwrap();
        std::fs::write(dir.path().join("empty.zip"), b"").unwrap();
        assert!(check("rtc-database", r"C:\Backups\rtc.bak", dir.path(), &week()).is_ok());
        assert!(
            check("rtc-database", r"C:\Backups\RTC.BAK", dir.path(), &week()).is_ok(),
            "Windows names ignore case"
        );
        assert!(
            check("rtc-database", r"C:\Backups\fake.bak", dir.path(), &week())
                .unwrap_err()
                .contains("not a SQL Server backup")
        );
        assert!(
            check("cs-configuration", r"C:\B\empty.zip", dir.path(), &week())
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            check("cs-configuration", r"C:\B\none.zip", dir.path(), &week())
                .unwrap_err()
                .contains("not in")
        );
        assert!(
            check(
                "rtc-database",
                r"C:\Backups\rtc.bak",
                dir.path(),
                &MaxBackupAge {
                    limit: Duration::ZERO,
                    text: "0s".into(),
                    set: true
                }
            )
            .is_err()
        );
    }
}
