//! `lyncdr bundle`: a plan as a folder of reviewed PowerShell 2.0 scripts that recover the
//! deployment on servers without lyncdr.
//!
//! Plan + runbook + environment -> [`outline`] (which steps, under which file names, which
//! conditions the driver decides) -> [`script`] (a script per step, `.sql`/`.cmd` beside it),
//! [`driver`] (`Invoke-Recovery.ps1`), [`readme`] -> every script checked against [`ps2`] ->
//! [`sums`] (`SHA256SUMS`) -> [`folder`] (written atomically) and [`archive`] (the zip). The
//! same inputs give the same bytes: nothing depends on the time, the machine or `--out`.

mod archive;
mod audited;
mod driver;
mod error;
pub(crate) mod folder;
mod header;
mod outline;
pub mod ps2;
mod readme;
mod script;
pub mod sums;
pub(crate) mod text;

pub use audited::{Audited, Pinned};
pub use driver::FILE_SHA256;
pub use error::BundleError;
pub use outline::Omitted;
pub use sums::verify_sums;

use crate::env::Environment;
use crate::render::plan::Plan;
use crate::runbook::Runbook;
use outline::Outline;
use std::fmt;
use std::path::{Path, PathBuf};

/// Written into the driver (`$LyncdrBundleFormat`), README.txt and every script's header.
pub const FORMAT_VERSION: u32 = 1;
pub const DRIVER: &str = "Invoke-Recovery.ps1";
pub const README: &str = "README.txt";
/// Where the driver records progress (in the bundle's folder unless `-StateFolder`).
pub const CHECKPOINT: &str = "Invoke-Recovery.checkpoint.txt";
const GITATTRIBUTES: &str = ".gitattributes";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A bundle in memory: every file with its final bytes, sorted by name, `SHA256SUMS` included.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub files: Vec<BundleFile>,
    /// Step scripts (one per action step in the bundle).
    pub scripts: usize,
    pub omitted: Vec<Omitted>,
    /// With `--backups DIR`: the backups checked there; `None` without it.
    pub audited: Option<Vec<Audited>>,
}

/// What `write` did, for the command to print.
#[derive(Debug, Clone)]
pub struct BundleSummary {
    pub out: PathBuf,
    pub zip: Option<PathBuf>,
    pub files: usize,
    pub scripts: usize,
    pub omitted: Vec<Omitted>,
    pub audited: Option<Vec<Audited>>,
    /// SHA-256 of `SHA256SUMS`: one value that identifies the whole bundle.
    pub sums_sha256: String,
}

impl Bundle {
    /// Build the bundle of `plan` (made from `runbook` and `env`); its driver says the backups
    /// were not checked when it was made.
    pub fn build(plan: &Plan, runbook: &Runbook, env: &Environment) -> Result<Bundle, BundleError> {
        Self::build_checked(plan, runbook, env, None)
    }

    /// Build the bundle; with `backups` (`--backups DIR`), first check there, by the audit's
    /// verdict, every backup the bundle's steps need, and pin each one the driver reads by its
    /// size and SHA-256 ([`audited`]).
    pub fn build_checked(
        plan: &Plan,
        runbook: &Runbook,
        env: &Environment,
        backups: Option<&Path>,
    ) -> Result<Bundle, BundleError> {
        let outline = Outline::new(plan, runbook, env, backups)?;
        let mut texts: Vec<(String, String)> = Vec::new();
        for entry in &outline.steps {
            texts.extend(script::files(&outline, entry));
        }
        texts.push((DRIVER.to_owned(), driver::render(&outline)));
        texts.push((README.to_owned(), readme::render(&outline)));
        check_powershell_2(&texts)?;
        let files = folder_files(texts);
        Ok(Bundle {
            files,
            scripts: outline.steps.iter().filter(|e| e.stem.is_some()).count(),
            omitted: outline.omitted,
            audited: outline.audited,
        })
    }

    pub fn file(&self, name: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// A file's text (lossy), for tests and previews.
    pub fn text(&self, name: &str) -> Option<String> {
        self.file(name)
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
    }

    pub fn sums_sha256(&self) -> String {
        crate::digest::sha256_hex(self.file(sums::FILE).map_or(&[][..], |f| &f.bytes))
    }

    /// The zip of the bundle (what `--zip` writes), deterministic.
    pub fn zip(&self) -> Result<Vec<u8>, BundleError> {
        archive::zip_bytes(&self.files, Path::new("bundle.zip"))
    }

    /// Write the bundle as the folder `out` (and `<out>.zip` beside it with `zip`).
    pub fn write(&self, out: &Path, zip: bool) -> Result<BundleSummary, BundleError> {
        // Refuse before writing anything when the zip could not be written.
        let zip = if zip { Some(folder::zip_target(out)?) } else { None };
        folder::write(out, &self.files)?;
        if let Some(path) = &zip {
            folder::write_zip(path, &self.files)?;
        }
        Ok(BundleSummary {
            out: out.to_owned(),
            zip,
            files: self.files.len(),
            scripts: self.scripts,
            omitted: self.omitted.clone(),
            audited: self.audited.clone(),
            sums_sha256: self.sums_sha256(),
        })
    }
}

/// Refuse a folder whose `.ps1` files use a PowerShell 3+ construct ([`ps2`]): the bundle's rule,
/// shared by every folder of scripts lyncdr writes (`lyncdr backup --script` too).
pub(crate) fn check_powershell_2(texts: &[(String, String)]) -> Result<(), BundleError> {
    for (name, text) in texts {
        if name.ends_with(".ps1")
            && let Some(f) = ps2::find(text).first()
        {
            return Err(BundleError::NotPowerShell2 {
                file: name.clone(),
                line: f.line,
                construct: f.construct.name,
                since: f.construct.since,
                instead: f.construct.instead,
            });
        }
    }
    Ok(())
}

/// A folder's files from their texts, by the bundle's rules: CRLF, ASCII or UTF-8 with a BOM
/// ([`text`]), a `.gitattributes` that keeps the bytes, and `SHA256SUMS` over all of them;
/// sorted by name.
pub(crate) fn folder_files(texts: Vec<(String, String)>) -> Vec<BundleFile> {
    let mut files: Vec<BundleFile> = texts
        .into_iter()
        .map(|(name, text)| {
            let bytes = if name.ends_with(".sql") || name.ends_with(".cmd") {
                text::sql_text(&text)
            } else {
                text::windows_text(&text)
            };
            BundleFile { name, bytes }
        })
        .collect();
    // Tools read these two; both take LF, and git may not take CR in its attributes.
    files.push(BundleFile {
        name: GITATTRIBUTES.to_owned(),
        bytes: b"# Keep the bytes as lyncdr wrote them (CRLF), so SHA256SUMS stays valid.\n* -text\n"
            .to_vec(),
    });
    let listing = sums::listing(files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())));
    files.push(BundleFile {
        name: sums::FILE.to_owned(),
        bytes: listing.into_bytes(),
    });
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// Build the bundle of `plan` and write it to `out`: [`Bundle::build`] then [`Bundle::write`].
pub fn write_bundle(
    plan: &Plan,
    runbook: &Runbook,
    env: &Environment,
    backups: Option<&Path>,
    out: &Path,
    zip: bool,
) -> Result<BundleSummary, BundleError> {
    Bundle::build_checked(plan, runbook, env, backups)?.write(out, zip)
}

impl BundleSummary {
    /// `lyncdr bundle --format json`'s result: what the text says, as fields.
    pub fn to_json(&self) -> serde_json::Value {
        let omitted: Vec<_> = self
            .omitted
            .iter()
            .map(
                |o| serde_json::json!({"number": o.number, "id": o.id, "title": o.title, "reason": o.reason}),
            )
            .collect();
        let audited = self.audited.as_ref().map(|all| {
            all.iter()
                .map(|a| {
                    serde_json::json!({
                        "kind": a.kind, "path": a.path, "compressed": a.compressed,
                        "pinned": a.pinned.as_ref().map(|p| serde_json::json!({"size": p.size, "sha256": p.sha256})),
                    })
                })
                .collect::<Vec<_>>()
        });
        serde_json::json!({
            "out": self.out.display().to_string(),
            "zip": self.zip.as_ref().map(|z| z.display().to_string()),
            "files": self.files,
            "scripts": self.scripts,
            "omitted": omitted,
            "backups_checked": audited,
            "sums_sha256": self.sums_sha256,
        })
    }
}

impl fmt::Display for BundleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Wrote {} files to {}: {} step scripts, {DRIVER}, {README}, {}.",
            self.files,
            self.out.display(),
            self.scripts,
            sums::FILE
        )?;
        if !self.omitted.is_empty() {
            writeln!(
                f,
                "{} steps are not applicable and left out (listed in {README}).",
                self.omitted.len()
            )?;
        }
        match &self.audited {
            None => writeln!(
                f,
                "The backups were not checked (no --backups DIR); the driver says so when it runs."
            )?,
            Some(audited) => {
                let pinned = audited.iter().filter(|a| a.pinned.is_some()).count();
                writeln!(
                    f,
                    "Checked {} backups as lyncdr audit does; the driver checks that {pinned} of them are still the same files (size and SHA-256).",
                    audited.len()
                )?;
                for a in audited.iter().filter(|a| a.compressed) {
                    writeln!(
                        f,
                        "warning: `{}` is a compressed SQL Server backup, so unverified here: SQL Server verifies it (RESTORE VERIFYONLY) before the restore.",
                        crate::decode::one_line(&a.path)
                    )?;
                }
            }
        }
        if let Some(zip) = &self.zip {
            writeln!(f, "Zip: {}", zip.display())?;
        }
        writeln!(f, "SHA-256 of {}: {}", sums::FILE, self.sums_sha256)?;
        writeln!(
            f,
            "Check it on the server before running; start with .\\{DRIVER} -WhatIf."
        )
    }
}
