//! Writing the bundle to disk so that a crash never leaves a half bundle that looks complete:
//! every file goes into a hidden folder beside `--out`, each synced, then the folder takes the
//! place of `--out` by rename. A folder that already holds files is replaced only when it is a
//! bundle lyncdr wrote (its files are exactly those its `SHA256SUMS` lists); anything else,
//! such as a used bundle holding a checkpoint and transcripts, is refused, never clobbered.

use super::{BundleError, BundleFile, archive, driver, sums};
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

fn existing(out: &Path) -> Result<Existing, BundleError> {
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
    let listed: Vec<String> = fs::read_to_string(out.join(sums::FILE))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once("  ")
                .map(|(_, n)| n.trim_end_matches('\r').to_owned())
        })
        .collect();
    let ours = fs::read_to_string(out.join(super::DRIVER))
        .is_ok_and(|d| d.lines().any(|l| l.starts_with(driver::MARKER)));
    let foreign: Vec<&String> = names
        .iter()
        .filter(|n| n.as_str() != sums::FILE && !listed.contains(n))
        .collect();
    if ours && foreign.is_empty() {
        return Ok(Existing::Bundle);
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

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    let mut f = File::create(path).map_err(|e| BundleError::io(path, e))?;
    f.write_all(bytes).map_err(|e| BundleError::io(path, e))?;
    f.sync_all().map_err(|e| BundleError::io(path, e))
}

/// Make a rename inside `dir` durable (a no-op where folders cannot be opened, as on Windows).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Write `files` as the folder `out`, replacing a previous bundle there.
pub fn write(out: &Path, files: &[BundleFile]) -> Result<(), BundleError> {
    let (parent, name) = split(out)?;
    fs::create_dir_all(&parent).map_err(|e| BundleError::io(&parent, e))?;
    let found = existing(out)?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.lyncdr-tmp-{pid}"));
    let old = parent.join(format!(".{name}.lyncdr-old-{pid}"));
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        fs::create_dir(&tmp).map_err(|e| BundleError::io(&tmp, e))?;
        for f in files {
            write_synced(&tmp.join(&f.name), &f.bytes)?;
        }
        sync_dir(&tmp);
        match found {
            Existing::Nothing => {}
            Existing::EmptyFolder => fs::remove_dir(out).map_err(|e| BundleError::io(out, e))?,
            Existing::Bundle => fs::rename(out, &old).map_err(|e| BundleError::io(out, e))?,
        }
        fs::rename(&tmp, out).map_err(|e| BundleError::io(out, e))?;
        sync_dir(&parent);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
        // Put the previous bundle back if it was moved aside and the new one is not in place.
        if old.exists() && !out.exists() {
            let _ = fs::rename(&old, out);
        }
    }
    let _ = fs::remove_dir_all(&old);
    result
}

/// Where `--zip` puts the zip: `<out>.zip` beside the folder. An existing file of that name is
/// replaced only when it is a bundle zip.
pub fn zip_target(out: &Path) -> Result<PathBuf, BundleError> {
    let (parent, name) = split(out)?;
    let path = parent.join(format!("{name}.zip"));
    if let Ok(bytes) = fs::read(&path)
        && !archive::is_bundle_zip(&bytes)
    {
        return Err(BundleError::ZipOccupied { path });
    }
    Ok(path)
}

/// Write the zip of `files` at `path` (from [`zip_target`]), by rename.
pub fn write_zip(path: &Path, files: &[BundleFile]) -> Result<(), BundleError> {
    let bytes = archive::zip_bytes(files, path)?;
    let (parent, name) = split(path)?;
    let tmp = parent.join(format!(".{name}.lyncdr-tmp-{}", std::process::id()));
    let result = write_synced(&tmp, &bytes)
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| BundleError::io(path, e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&parent);
    Ok(())
}
