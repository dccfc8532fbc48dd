//! `Test::new().file("x.yaml", "...").args(["validate", "x.yaml"]).run()`: runs lyncdr in a
//! fresh temporary folder and returns what it printed, for assertions.

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// The relative paths of the files this test wrote (`file`), for [`Test::run`].
    files: Vec<String>,
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The lyncdr binary under test, as an absolute path of this platform. Cargo gives tests its path
/// as `/work/.../lyncdr.exe` even for the Windows build run under wine; a child started in
/// another folder (on drive C:) would look for that rooted path on its own drive.
pub fn lyncdr_bin() -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin("lyncdr");
    std::path::absolute(&path).unwrap_or(path)
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            args: Vec::new(),
            env: Vec::new(),
            files: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file (folders created) under the test folder.
    pub fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push(name.to_owned());
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn run(&self) -> Run {
        let out: Output = assert_cmd::Command::new(crate::builder::lyncdr_bin())
            .args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("NO_COLOR")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output_retried()
            .expect("run lyncdr");
        let mut run = Run::from(out);
        // Windows prints `rb\mini.yaml` for the `rb/mini.yaml` the test wrote, as it should:
        // the expectations are written once, with `/`, for the files the test made.
        // The same for the system's own words for a missing file.
        if cfg!(windows) {
            let missing = (
                "File not found. (os error 2)",
                "No such file or directory (os error 2)",
            );
            run.stdout = run.stdout.replace(missing.0, missing.1);
            run.stderr = run.stderr.replace(missing.0, missing.1);
            for name in self.files.iter().filter(|n| n.contains('/')) {
                let native = name.replace('/', "\\");
                run.stdout = run.stdout.replace(&native, name);
                run.stderr = run.stderr.replace(&native, name);
            }
        }
        run
    }
}

impl From<std::process::Output> for Run {
    /// A finished lyncdr: its exit code (-1 when a signal ended it) and its output as text.
    fn from(out: std::process::Output) -> Self {
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn success(self) -> Self {
        assert_eq!(
            self.status, 0,
            "stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }
    pub fn status(self, code: i32) -> Self {
        assert_eq!(
            self.status, code,
            "stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }
}

/// The repository root (for the example environment and shipped runbooks).
pub fn repo() -> PathBuf {
    // Absolute on this platform (`Z:\work\...` under wine), as `lyncdr_bin`.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::path::absolute(&path).unwrap_or(path)
}

pub fn example_env() -> String {
    repo()
        .join("runbooks/examples/contoso.yaml")
        .display()
        .to_string()
}

pub const RUNBOOKS: [&str; 4] = ["cms-move", "cms-restore", "backend-restore", "rgs-restore"];

/// The `result` of a `--format json` envelope on `stdout`, which must say `ok` in format 1.
pub fn json_result(stdout: impl AsRef<[u8]>) -> serde_json::Value {
    let stdout = stdout.as_ref();
    let mut v: serde_json::Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)));
    assert_eq!(v["format_version"], 1, "{v}");
    assert_eq!(v["ok"], true, "{v}");
    v["result"].take()
}

/// A local folder as a Windows path in an environment file: itself on Windows; on Unix as wine
/// maps it (drive `Z:` is the root), which lyncdr and the stand-ins read back the same way.
pub fn windows_path(p: &std::path::Path) -> String {
    if cfg!(windows) {
        p.display().to_string()
    } else {
        format!("Z:{}", p.display()).replace('/', "\\")
    }
}

/// `backups.folder=DIR\sets` for `--set`, `sets` made: where a run's `finish` takes its baseline
/// and lyncdr seals it on this test host (an example's share is on no test host).
pub fn local_baselines(dir: &std::path::Path) -> String {
    let sets = dir.join("sets");
    std::fs::create_dir_all(&sets).expect("sets");
    format!("backups.folder={}", windows_path(&sets))
}

/// `Command::output`, tried again where wine fails a process creation now and then with
/// ERROR_INTERNAL_ERROR (1359) while other tests start processes (seen in CI under wine: a
/// test failed before lyncdr ran). Windows only, a few times; anything else is the answer.
pub trait OutputRetried {
    fn output_retried(&mut self) -> std::io::Result<Output>;
}

impl OutputRetried for std::process::Command {
    fn output_retried(&mut self) -> std::io::Result<Output> {
        retried(|| self.output())
    }
}

impl OutputRetried for assert_cmd::Command {
    fn output_retried(&mut self) -> std::io::Result<Output> {
        retried(|| self.output())
    }
}

fn retried(mut output: impl FnMut() -> std::io::Result<Output>) -> std::io::Result<Output> {
    let mut tries = 0;
    loop {
        match output() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 3 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            other => return other,
        }
    }
}
