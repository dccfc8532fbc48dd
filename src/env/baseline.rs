//! `backups.baseline`: the folder `finish` writes a recovery's new baseline into, decided once
//! per run and handed to every step of `finish` as a value (issue 17 item 10), never found again
//! by name. It lies in the `baseline` subfolder of `backups.folder`, where the nightly job's
//! retention never looks, and is named as a set is, after the run's start in UTC
//! (`lyncdr-YYYYMMDD-HHMMSSZ`): `finish` takes it with the backup runbook's own steps, and lyncdr
//! seals it as a set. The path of each backup in it is derived here too
//! ([`ArtifactKind::baseline_key`]), from the one table of the set's file names.
//! `lyncdr run` names it from the state file's `started_at`, so a resume gets the same folder;
//! before a run starts (`plan`, `validate`), the start is shown as [`AT_RUN_START`]; a bundle's
//! is named when the bundle is written.

use super::{Entry, Environment, Origin, Value};
use crate::artifact::ArtifactKind;
use crate::diagnostic::Diagnostic;
use std::collections::BTreeMap;

pub const KEY: &str = "backups.baseline";
/// The baseline's Response Group export named for `pools.target`: after a CMS move that pool
/// serves the users, and cms-move's `finish` takes its baseline of it (the export is named for
/// its pool; every other file of a set is named the same for every pool).
pub const TARGET_RGS_EXPORT: &str = "baseline.target_rgs_export";
/// The run's start where no run has started yet.
pub const AT_RUN_START: &str = "<at run start>";

/// The keys a key derived here is made from, which a plan that lacks it needs set; `None` for
/// a key not derived here.
pub fn made_from(key: &str) -> Option<&'static [&'static str]> {
    if key == TARGET_RGS_EXPORT {
        Some(&["backups.folder", "pools.target"])
    } else if key == KEY || ArtifactKind::NAMED.iter().any(|k| k.baseline_key() == key) {
        Some(&["backups.folder"])
    } else {
        None
    }
}

/// The baseline folder of a run that started at `stamp` (see [`stamp`]), under `backups_folder`.
pub fn folder(backups_folder: &str, stamp: &str) -> String {
    format!("{}{stamp}", prefix(backups_folder))
}

/// What every baseline folder under `backups_folder` starts with: the run's stamp follows.
pub fn prefix(backups_folder: &str) -> String {
    let root = backups_folder.trim_end_matches('\\');
    let (folder, set) = (crate::artifact::BASELINE_FOLDER, crate::artifact::SET_PREFIX);
    format!("{root}\\{folder}\\{set}")
}

/// For a bundle, whose run starts when its driver does: the value the plan rendered for a run
/// not yet started, and the prefix the driver completes with the run's stamp.
pub fn unstarted(env: &Environment) -> Option<(String, String)> {
    let root = env.get("backups.folder")?.value.display();
    Some((folder(&root, AT_RUN_START), prefix(&root)))
}

/// A run's start as the folder names it: `20261207-233000Z` (UTC, to the second).
pub fn stamp(started: jiff::Timestamp) -> String {
    started
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
        .replacen('T', "-", 1)
}

/// Derived when the environment is read, with the run's start not yet known; refused when the
/// file or `--set` gives it.
pub(super) fn derive(
    values: &mut BTreeMap<String, Entry>,
    source: &crate::source::SourceFile,
) -> Option<Diagnostic> {
    let keys = [KEY, TARGET_RGS_EXPORT]
        .into_iter()
        .chain(ArtifactKind::NAMED.map(ArtifactKind::baseline_key));
    // Every one removed, the first given one reported.
    let given: Vec<_> = keys
        .filter_map(|k| {
            values
                .remove(k)
                .filter(|e| e.origin != Origin::Derived)
                .map(|e| (k, e))
        })
        .collect();
    let given = given.into_iter().next();
    insert(values, AT_RUN_START);
    given.map(|(key, e)| {
        Diagnostic::new(format!(
            "`{key}` is not set but decided by lyncdr at the start of each run (`backups.folder`\\baseline\\lyncdr-YYYYMMDD-HHMMSSZ)"
        ))
        .at(source, e.at)
        .hint("remove it; set `backups.folder` to choose where baselines go")
    })
}

/// `backups.baseline` for a run that started at `stamp`, and the path of each backup in it.
fn insert(values: &mut BTreeMap<String, Entry>, stamp: &str) {
    let Some(root) = values.get("backups.folder").map(|e| e.value.display()) else {
        return;
    };
    let pool = |key: &str| values.get(key).map(|e| e.value.display());
    let (failed, target) = (pool("pools.failed").unwrap_or_default(), pool("pools.target"));
    let set = folder(&root, stamp);
    for kind in ArtifactKind::NAMED {
        values.insert(kind.baseline_key().into(), entry(kind.in_set(&set, &failed)));
    }
    if let Some(target) = target {
        let rgs = ArtifactKind::RgsExport.in_set(&set, &target);
        values.insert(TARGET_RGS_EXPORT.into(), entry(rgs));
    }
    values.insert(KEY.into(), entry(set));
}

fn entry(folder: String) -> Entry {
    Entry {
        value: Value::Text(folder),
        at: None,
        origin: Origin::Derived,
    }
}

impl Environment {
    /// Names the baseline folder after the run's start (RFC 3339, as the state file records it).
    /// A start that does not parse leaves [`AT_RUN_START`]: never a folder of another time.
    pub fn start_run(&mut self, started_at: &str) {
        let Ok(t) = started_at.parse::<jiff::Timestamp>() else {
            return;
        };
        insert(&mut self.values, &stamp(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_named_after_the_run_start_in_utc() {
        let t: jiff::Timestamp = "2026-12-07T23:30:05+01:00".parse().expect("time");
        assert_eq!(
            folder(r"\\fs01\LyncBackup\", &stamp(t)),
            r"\\fs01\LyncBackup\baseline\lyncdr-20261207-223005Z"
        );
    }

    fn example(sets: &[&str]) -> Result<Environment, String> {
        let text = include_str!("../../runbooks/examples/contoso.yaml");
        let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
        let source = crate::source::SourceFile::new("contoso.yaml", None, text);
        Environment::parse(source, &sets).map_err(|d| d.to_string())
    }

    #[test]
    fn it_is_decided_not_set_and_named_from_the_run_start() {
        let mut env = example(&[]).expect("example");
        let value = |env: &Environment| env.get(KEY).map(|e| e.value.display());
        assert_eq!(
            value(&env).as_deref(),
            Some(r"\\fs01.contoso.com\LyncBackup\baseline\lyncdr-<at run start>")
        );
        env.start_run("2026-12-07T23:30:05Z");
        assert_eq!(
            value(&env).as_deref(),
            Some(r"\\fs01.contoso.com\LyncBackup\baseline\lyncdr-20261207-233005Z")
        );
        assert_eq!(
            env.get("baseline.rtc_database")
                .map(|e| e.value.display())
                .as_deref(),
            Some(r"\\fs01.contoso.com\LyncBackup\baseline\lyncdr-20261207-233005Z\rtc.bak")
        );
        let e = example(&[r"backups.baseline=C:\x"]).expect_err("refused");
        assert!(
            e.contains("`backups.baseline` is not set but decided by lyncdr"),
            "{e}"
        );
    }
}
