//! The one way lyncdr replaces a file on disk (checkpoints, `SHA256SUMS`, the bundle zip): a
//! temporary file created new in the target's folder under a random name (never opened through
//! a link, so a link planted under a guessed name cannot redirect the write), synced, renamed
//! over the target (which replaces a link named like the target rather than writing through
//! it), then the folder synced so the rename survives a power cut. On Windows an antivirus or the
//! indexer may hold the new file for a moment: the rename is tried again a few times
//! ([`crate::fsx::retrying`]).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Temporary files are `.NAME.<random>.tmp`; [`is_temporary_of`] recognises them.
const SUFFIX: &str = ".tmp";

/// The folder `path` is in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Refuses a folder that is a symbolic link or not a folder: whoever planted the link would
/// choose where lyncdr writes.
pub fn check_folder(dir: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(dir)?;
    if crate::fsx::is_link(&meta) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is a symbolic link; lyncdr writes only into real folders",
                dir.display()
            ),
        ));
    }
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` is not a folder", dir.display()),
        ));
    }
    Ok(())
}

/// Writes `bytes` as `path` so that a crash at any moment leaves either the old or the new file,
/// complete. The folder must exist and be a real folder ([`check_folder`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = folder_of(path);
    check_folder(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let prefix = temporary_prefix(&name);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(SUFFIX);
    // As `File::create` would: the umask decides, not a fixed owner-only mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // On failure the temporary file is removed when `tmp` is dropped.
    let mut pending = Some(tmp);
    crate::fsx::retrying(
        crate::fsx::REPLACE_RETRY,
        crate::fsx::is_transient,
        || match pending.take() {
            Some(t) => t.persist(path).map(drop).map_err(|e| {
                pending = Some(e.file);
                e.error
            }),
            None => Err(io::Error::other("the temporary file is gone")),
        },
        std::thread::sleep,
    )?;
    sync_folder(&dir);
    Ok(())
}

/// Makes a rename inside `dir` durable (a no-op where folders cannot be opened, as on Windows).
pub fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn temporary_prefix(name: &str) -> String {
    format!(".{name}.")
}

/// Is `file_name` a temporary file [`write_atomic`] makes for a target named `target`?
pub fn is_temporary_of(file_name: &str, target: &str) -> bool {
    file_name.starts_with(&temporary_prefix(target)) && file_name.ends_with(SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_named_like_the_target_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("SHA256SUMS");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_atomic(&path, b"sums").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&path).unwrap().is_file());
        assert_eq!(fs::read(&path).unwrap(), b"sums");
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_that_is_a_link_is_refused() {
        let real = tempfile::tempdir().unwrap();
        let links = tempfile::tempdir().unwrap();
        let link = links.path().join("d");
        std::os::unix::fs::symlink(real.path(), &link).unwrap();
        let err = write_atomic(&link.join("f"), b"x").unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        assert_eq!(fs::read_dir(real.path()).unwrap().count(), 0);
    }

    #[test]
    fn temporaries_are_recognised() {
        assert!(is_temporary_of(".s.json.a8Xk2p.tmp", "s.json"));
        assert!(!is_temporary_of(".s.json.lock", "s.json") && !is_temporary_of("s.json", "s.json"));
    }
}
