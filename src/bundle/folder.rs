//! Writing the bundle to disk so that a crash never leaves a half bundle that looks complete:
//! every file goes into a hidden folder beside `--out`, each synced, then the folder takes the
//! place of `--out` by rename. A folder that already holds files is replaced only when it is a
//! bundle lyncdr wrote (its files are exactly those its `SHA256SUMS` lists, each with the hash
//! listed: an edited bundle is not replaced without a word); anything else,
//! such as a used bundle holding a checkpoint and transcripts, is refused, never clobbered.

use super::{BundleError, BundleFile, archive, driver, sums};
use crate::atomic;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

enum Existing {
    Nothing,
    EmptyFolder,
    Bundle,
}

/// The folder `out` is in, and its name.
fn split(out: &Path) -> Result<(PathBuf, String), BundleError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "." && n != "..")
        .ok_or_else(|| {
            BundleError::io(
                out,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "--out must name a folder (not `.` or a root)",
                ),
            )
        })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

fn existing(out: &Path, main: &str, marker: &str) -> Result<Existing, BundleError> {
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(BundleError::io(out, e)),
    };
    if !meta.is_dir() {
        return Err(BundleError::Occupied {
            path: out.to_owned(),
            found: "it is a file, not a folder".into(),
        });
    }
    let mut names: Vec<String> = fs::read_dir(out)
        .map_err(|e| BundleError::io(out, e))?
        .map(|e| {
            e.map(|e| e.file_name().to_string_lossy().into_owned())
                .map_err(|err| BundleError::io(out, err))
        })
        .collect::<Result<_, _>>()?;
    names.sort();
    if names.is_empty() {
        return Ok(Existing::EmptyFolder);
    }
    let sums_file = crate::audit::open::listed(&out.join(sums::FILE))
        .and_then(|f| crate::sums::SumsFile::read(sums::FILE, f))
        .unwrap_or_else(|_| crate::sums::SumsFile::parse(sums::FILE, ""));
    let listed: Vec<String> = sums_file.entries.iter().map(|e| e.target.clone()).collect();
    let ours = fs::read_to_string(out.join(main)).is_ok_and(|d| d.lines().any(|l| l.starts_with(marker)));
    let foreign: Vec<&String> = names
        .iter()
        // A name in `SHA256SUMS` is the listed file when the folder says so (case on Windows).
        .filter(|n| {
            !crate::fsx::same_name(n, sums::FILE) && !listed.iter().any(|l| crate::fsx::same_name(l, n))
        })
        .collect();
    if ours && foreign.is_empty() {
        // Edited since lyncdr wrote it (a step script changed by hand): not replaced without a word.
        let mut buf = vec![0; crate::audit::BLOCK];
        let edited: Vec<String> = sums_file
            .entries
            .iter()
            .filter(|e| {
                crate::audit::hash_file(&out.join(&e.target), &crate::audit::Silent, &mut buf).ok()
                    != Some(e.digest)
            })
            .map(|e| format!("`{}`", e.target))
            .take(5)
            .collect();
        if edited.is_empty() {
            return Ok(Existing::Bundle);
        }
        return Err(BundleError::Occupied {
            path: out.to_owned(),
            found: format!(
                "{} changed since lyncdr wrote it; lyncdr does not replace edits",
                edited.join(", ")
            ),
        });
    }
    let shown: Vec<String> = foreign.iter().take(5).map(|n| format!("`{n}`")).collect();
    let more = if foreign.len() > 5 { ", ..." } else { "" };
    Err(BundleError::Occupied {
        path: out.to_owned(),
        found: if ours {
            format!("it also holds {}{more}", shown.join(", "))
        } else {
            format!("it holds {}{more}", shown.join(", "))
        },
    })
}

/// Creates `path` new (never through a link or over a file someone else put there) and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    let mut f = File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| BundleError::io(path, e))?;
    f.write_all(bytes).map_err(|e| BundleError::io(path, e))?;
    f.sync_all().map_err(|e| BundleError::io(path, e))
}

/// A new folder beside `--out` under a random name, created by this process (so nothing in it
/// was planted), left in place when the value is dropped.
fn fresh_folder(parent: &Path, prefix: &str) -> Result<PathBuf, BundleError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    // As `create_dir` would: the umask decides, not a fixed owner-only mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o777));
    }
    builder
        .tempdir_in(parent)
        .map(tempfile::TempDir::keep)
        .map_err(|e| BundleError::io(parent, e))
}

/// Write `files` as the folder `out`, replacing a previous bundle there.
pub fn write(out: &Path, files: &[BundleFile]) -> Result<(), BundleError> {
    write_as(out, files, super::DRIVER, driver::MARKER)
}

/// Write `files` as the folder `out`, replacing a previous folder of the same kind: one whose
/// file `main` holds a line starting with `marker` and nothing `SHA256SUMS` does not list.
pub fn write_as(out: &Path, files: &[BundleFile], main: &str, marker: &str) -> Result<(), BundleError> {
    let (parent, name) = split(out)?;
    fs::create_dir_all(&parent).map_err(|e| BundleError::io(&parent, e))?;
    atomic::check_folder(&parent).map_err(|e| BundleError::io(&parent, e))?;
    let found = existing(out, main, marker)?;
    let tmp = fresh_folder(&parent, &format!(".{name}.lyncdr-tmp-"))?;
    // Set once the previous bundle is moved aside by this process: only then is it moved back.
    let mut old: Option<PathBuf> = None;
    let result = (|| {
        for f in files {
            write_synced(&tmp.join(&f.name), &f.bytes)?;
        }
        atomic::sync_folder(&tmp);
        match found {
            Existing::Nothing => {}
            Existing::EmptyFolder => fs::remove_dir(out).map_err(|e| BundleError::io(out, e))?,
            Existing::Bundle => {
                // Renamed over an empty folder of our own, so the name cannot be one planted.
                let aside = fresh_folder(&parent, &format!(".{name}.lyncdr-old-"))?;
                // Windows renames a folder only onto a name that is free (MoveFileEx refuses
                // an existing folder with "Access denied"): free ours first. A folder or link
                // planted there meanwhile makes the rename fail; nothing is moved into it.
                if cfg!(windows) {
                    fs::remove_dir(&aside).map_err(|e| BundleError::io(&aside, e))?;
                }
                match fs::rename(out, &aside) {
                    Ok(()) => old = Some(aside),
                    Err(e) => {
                        let _ = fs::remove_dir(&aside);
                        return Err(BundleError::io(out, e));
                    }
                }
            }
        }
        fs::rename(&tmp, out).map_err(|e| BundleError::io(out, e))?;
        atomic::sync_folder(&parent);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
        // Put the previous bundle back if this process moved it aside and the new one is not in
        // place.
        if let Some(old) = &old
            && fs::symlink_metadata(out).is_err()
            && fs::rename(old, out).is_ok()
        {
            return result;
        }
    }
    if let Some(old) = &old {
        let _ = fs::remove_dir_all(old);
    }
    result
}

/// Where `--zip` puts the zip: `<out>.zip` beside the folder. An existing file of that name is
/// replaced only when it is a bundle zip.
pub fn zip_target(out: &Path) -> Result<PathBuf, BundleError> {
    let (parent, name) = split(out)?;
    let path = parent.join(format!("{name}.zip"));
    // Never through a link, never a device or a FIFO (a link to `/dev/zero` would be read
    // without end), and only the zip's end and bounded directory.
    let file = match crate::audit::open::listed(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path),
        Err(_) => return Err(BundleError::ZipOccupied { path }),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if !archive::is_bundle_zip(std::io::BufReader::new(file), len) {
        return Err(BundleError::ZipOccupied { path });
    }
    Ok(path)
}

/// Write the zip of `files` at `path` (from [`zip_target`]), atomically and never through a
/// link ([`atomic::write_atomic`]).
pub fn write_zip(path: &Path, files: &[BundleFile]) -> Result<(), BundleError> {
    let bytes = archive::zip_bytes(files, path)?;
    atomic::write_atomic(path, &bytes).map_err(|e| BundleError::io(path, e))
}

#[cfg(all(test, unix))] // links and permissions: Unix files
mod tests {
    use super::*;

    fn files() -> Vec<BundleFile> {
        vec![BundleFile {
            name: "a.ps1".into(),
            bytes: b"Write-Host a".to_vec(),
        }]
    }

    /// Issue 10: the zip's temporary file was `.NAME.zip.lyncdr-tmp-PID`, opened through whatever
    /// link stood there.
    #[cfg(unix)]
    #[test]
    fn the_zip_is_not_written_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("bundle.zip");
        let planted = dir
            .path()
            .join(format!(".bundle.zip.lyncdr-tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_zip(&path, &files()).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::read(&path).unwrap().starts_with(b"PK\x03\x04"));
        assert!(fs::symlink_metadata(&path).unwrap().is_file());
    }

    /// Issue 11: a failed write renamed `.NAME.lyncdr-old-PID`, which anyone could have put there,
    /// into `--out`.
    #[cfg(unix)]
    #[test]
    fn a_failed_write_never_moves_a_folder_it_did_not_move() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("bundle");
        let planted = dir
            .path()
            .join(format!(".bundle.lyncdr-old-{}", std::process::id()));
        fs::create_dir(&planted).unwrap();
        fs::write(planted.join("evil.ps1"), b"x").unwrap();
        // A file name that cannot be created makes the write fail.
        let bad = vec![BundleFile {
            name: "no/such/folder.ps1".into(),
            bytes: vec![],
        }];
        assert!(write(&out, &bad).is_err());
        assert!(!out.exists(), "the planted folder stayed where it was");
        assert!(planted.join("evil.ps1").exists());
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary folder left: {left:?}");
    }
}
