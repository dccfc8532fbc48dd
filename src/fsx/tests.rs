use super::*;
use std::cell::Cell;

fn sharing_violation() -> io::Error {
    io::Error::from_raw_os_error(32)
}

fn is_32(e: &io::Error) -> bool {
    e.raw_os_error() == Some(32)
}

#[test]
fn a_rename_held_for_a_moment_is_tried_again() {
    let tries = Cell::new(0);
    let mut pauses = Vec::new();
    let r = retrying(
        REPLACE_RETRY,
        is_32,
        || {
            tries.set(tries.get() + 1);
            if tries.get() < 4 {
                Err(sharing_violation())
            } else {
                Ok("renamed")
            }
        },
        |d| pauses.push(d),
    );
    assert_eq!(r.unwrap(), "renamed");
    assert_eq!(tries.get(), 4);
    assert_eq!(pauses, vec![Duration::from_millis(100); 3]);
}

#[test]
fn retries_are_bounded_and_only_for_a_passing_failure() {
    let tries = Cell::new(0);
    let mut slept = Duration::ZERO;
    let r: io::Result<()> = retrying(
        REPLACE_RETRY,
        is_32,
        || {
            tries.set(tries.get() + 1);
            Err(sharing_violation())
        },
        |d| slept += d,
    );
    assert!(is_32(&r.unwrap_err()));
    assert_eq!((tries.get(), slept), (10, Duration::from_millis(900)));

    tries.set(0);
    let r: io::Result<()> = retrying(
        REPLACE_RETRY,
        is_32,
        || {
            tries.set(tries.get() + 1);
            Err(io::Error::from(io::ErrorKind::NotFound))
        },
        |_| panic!("a lasting failure is not waited for"),
    );
    assert!(r.is_err());
    assert_eq!(tries.get(), 1);
}

#[test]
fn the_transient_errors_are_windows_ones() {
    let codes = [32, 5, 33];
    for code in codes {
        assert_eq!(
            is_transient(&io::Error::from_raw_os_error(code)),
            cfg!(windows),
            "{code}"
        );
    }
    assert!(!is_transient(&io::Error::from(io::ErrorKind::NotFound)));
}

#[test]
fn names_differing_in_case_are_one_file_on_windows_only() {
    // NTFS upper-cases each character alone; `ß` has no one-character capital and stays.
    assert_eq!(upcase_like_ntfs("rtc.Bak"), "RTC.BAK");
    assert_eq!(upcase_like_ntfs("Zürich-ß.zip"), "ZÜRICH-ß.ZIP");
    assert_eq!(same_name("RTC.bak", "rtc.BAK"), cfg!(windows));
    assert!(same_name("rtc.bak", "rtc.bak"));
    assert!(!same_name("rtc.bak", "rtc.bak2"));
    assert!(!same_name("STRASSE.bak", "straße.bak"));
}

#[test]
fn a_verbatim_share_path_becomes_plain_only_where_that_is_the_same_file() {
    assert_eq!(
        plain_unc(r"\\?\UNC\fs01\LyncBackup\rtc.bak").as_deref(),
        Some(r"\\fs01\LyncBackup\rtc.bak")
    );
    assert_eq!(
        plain_unc(r"\\?\UNC\fs01\LyncBackup\").as_deref(),
        Some(r"\\fs01\LyncBackup\")
    );
    for kept in [
        r"\\?\UNC\fs01\LyncBackup\trailing.",
        r"\\?\UNC\fs01\LyncBackup\space ",
        r"\\?\UNC\fs01\LyncBackup\NUL.txt",
        r"\\?\UNC\fs01\LyncBackup\com1",
        r"\\?\UNC\fs01\LyncBackup\..\x",
        r"\\?\UNC\fs01\LyncBackup\a:b",
        r"\\?\C:\x",
    ] {
        assert_eq!(plain_unc(kept), None, "{kept}");
    }
    let long = format!(r"\\?\UNC\fs01\share\{}", "a".repeat(260));
    assert_eq!(plain_unc(&long), None);
}

#[cfg(windows)] // Only Windows has verbatim paths.
#[test]
fn a_verbatim_path_is_never_shown() {
    assert_eq!(shown(Path::new(r"\\?\C:\LyncBackup\x")), r"C:\LyncBackup\x");
    assert_eq!(shown(Path::new(r"\\?\UNC\fs01\LyncBackup")), r"\\fs01\LyncBackup");
    let dir = tempfile::tempdir().unwrap();
    let real = canonicalize(dir.path()).unwrap();
    assert!(!real.to_string_lossy().starts_with(r"\\?\"), "{}", real.display());
}

/// Source files under `src/` outside `src/fsx/` with a line that `calls` says is forbidden.
fn outside_fsx(calls: fn(&str) -> bool) -> Vec<String> {
    fn walk(dir: &Path, calls: fn(&str) -> bool, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, calls, found);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.starts_with(fsx_dir()) {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.lines().any(calls) {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    fn fsx_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("fsx")
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        calls,
        &mut found,
    );
    found
}

/// `std::fs::canonicalize` gives `\\?\` paths on Windows: every caller goes through
/// [`canonicalize`] (dunce) instead.
#[test]
fn no_canonicalize_of_std_outside_fsx() {
    let found = outside_fsx(|l| l.contains("canonicalize(") && !l.contains("fsx::canonicalize("));
    assert!(found.is_empty(), "std's canonicalize in {found:?}");
}

/// std's `is_symlink` misses a Windows reparse point whose tag it does not call a link (and
/// then says a linked folder is a folder): every caller asks [`is_link`] instead.
#[test]
fn no_is_symlink_of_std_outside_fsx() {
    let found = outside_fsx(|l| l.contains("is_symlink()"));
    assert!(found.is_empty(), "std's is_symlink in {found:?}");
}

/// A symbolic link is a link, a file and a folder are not.
#[cfg(unix)] // Windows: wine keeps no links; any reparse point is one there (fsx/windows.rs)
#[test]
fn a_symbolic_link_is_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let link = dir.path().join("l");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let meta = |p: &Path| std::fs::symlink_metadata(p).unwrap();
    assert!(is_link(&meta(&link)));
    assert!(!is_link(&meta(&file)) && !is_link(&meta(dir.path())));
}

#[test]
fn a_private_folder_is_created_and_taken_again() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join(".lyncdr");
    private_dir(&dir).unwrap();
    private_dir(&dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[cfg(unix)] // Modes, uids and symlinks as any user may make them; Windows checks DACLs.
mod unix_only {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    #[test]
    fn a_folder_others_can_write_is_refused_and_the_hint_runs() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("backup.scripts");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = private_dir(&dir).unwrap_err().to_string();
        assert!(err.contains(&format!("`{}`", dir.display())), "{err}");
        assert!(err.contains("group or others (mode 777)"), "{err}");
        let hint = err.rsplit_once(": ").unwrap().1;
        assert!(hint.starts_with("chmod go-w -- '"), "{hint}");
        let ran = std::process::Command::new("sh")
            .args(["-c", hint])
            .status()
            .unwrap();
        assert!(ran.success());
        private_dir(&dir).unwrap();
    }

    #[test]
    fn a_link_where_a_private_folder_belongs_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let dir = base.path().join(".lyncdr");
        std::os::unix::fs::symlink(elsewhere.path(), &dir).unwrap();
        let err = private_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("it is a link"), "{err}");
    }

    #[test]
    fn a_folder_of_another_account_is_refused() {
        if !is_root() {
            eprintln!("skipped: giving a folder to another account needs root");
            return;
        }
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join(".lyncdr");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        let err = private_dir(&dir).unwrap_err().to_string();
        assert!(
            err.contains("it is owned by") && err.contains("uid 65534"),
            "{err}"
        );
        assert!(err.contains("(uid 0)"), "{err}");
        let hint = err.rsplit_once(": ").unwrap().1;
        assert!(hint.starts_with("mv -- '"), "{hint}");
        let ran = std::process::Command::new("sh")
            .args(["-c", hint])
            .status()
            .unwrap();
        assert!(ran.success());
        private_dir(&dir).unwrap();
        assert!(base.path().join(".lyncdr.suspect").is_dir());
    }

    #[test]
    fn nothing_is_written_through_a_link_a_hard_link_or_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("run.log");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for how in [Write::Append, Write::Update] {
            let err = open_write(&link, how).unwrap_err().to_string();
            assert!(err.contains("is a link") && err.contains("mv -- "), "{err}");
        }
        let hard = dir.path().join("s.json.lock");
        std::fs::hard_link(&victim, &hard).unwrap();
        let err = open_write(&hard, Write::Update).unwrap_err().to_string();
        assert!(err.contains("2 names (hard links)"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let fifo = dir.path().join("fifo.log");
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            // Would block until a reader came without O_NONBLOCK.
            assert!(open_write(&fifo, Write::Append).is_err());
        }
        let fresh = dir.path().join("new.log");
        open_write(&fresh, Write::Append).unwrap();
        assert!(fresh.is_file());
    }

    #[test]
    fn a_file_of_another_account_is_not_written() {
        if !is_root() {
            eprintln!("skipped: giving a file to another account needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.log");
        std::fs::write(&path, b"theirs").unwrap();
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        let err = open_write(&path, Write::Append).unwrap_err().to_string();
        assert!(
            err.contains("it belongs to") && err.contains("uid 65534"),
            "{err}"
        );
    }

    #[test]
    fn a_link_or_a_fifo_swapped_in_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("rtc.bak");
        std::fs::write(&real, b"TAPE").unwrap();
        assert!(open_read(&real).is_ok());
        let link = dir.path().join("link.bak");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(open_read(&link).is_err(), "opened through a link");
        let fifo = dir.path().join("fifo.bak");
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            // Would block forever without O_NONBLOCK; refused as not a regular file.
            assert!(open_read(&fifo).is_err(), "a FIFO was read");
        }
    }
}

#[cfg(windows)] // A DACL is Windows's own.
#[test]
fn a_windows_private_folder_refuses_a_reparse_point_file() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("private");
    private_dir(&dir).unwrap();
    let f = dir.join("run.log");
    let file = open_write(&f, Write::Append).unwrap();
    assert_eq!(link_count(&file).unwrap(), 1);
}
