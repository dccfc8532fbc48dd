use super::{CommandError, Error, print};
use crate::env::Environment;
use crate::front::cli::EnvArgs;
use crate::front::exit;
use crate::front::json::Output;
use crate::render::plan::Plan;
use crate::render::text;
use crate::runbook::Library;

/// The `--set` overrides of `plan`, `run` and `bundle`: with `--backup-set DIR`, every backup
/// key points into the newest complete set in DIR (its Windows path: `backups.folder`, then the
/// set's name and the fixed file name), before the operator's own `--set`s, which win. Also the
/// local path of that set.
pub fn overrides(env: &EnvArgs) -> Result<(Vec<String>, Option<std::path::PathBuf>), Error> {
    let Some(dir) = &env.backup_set else {
        return Ok((env.set.clone(), None));
    };
    let e = Environment::read(&env.env, &env.set)?;
    let Some(folder) = e.get("backups.folder").map(|v| v.value.display()) else {
        return Err(CommandError::BackupSetNeedsFolder { env: env.env.clone() }.into());
    };
    let pool = e
        .get("pools.failed")
        .map(|v| v.value.display())
        .unwrap_or_default();
    let key = crate::backup::signing::from_env(&e).map_err(|problem| CommandError::BadValue {
        option: "--env",
        problem,
    })?;
    // Only a set of this environment's pool and Back End: another pool's rtc is also `rtc`.
    let whose = crate::backup::set::Whose::of(&e);
    let chosen = crate::backup::set::overrides(dir, &folder, &pool, key.as_ref(), whose.as_ref())
        .map_err(|problem| CommandError::NoBackupSet { problem })?;
    let (name, path, mut sets) = (chosen.name, chosen.path, chosen.sets);
    eprintln!(
        "Backups from set {name} (the newest complete set in {})",
        dir.display()
    );
    for note in &chosen.notes {
        eprintln!("warning: {}", crate::decode::printable(note));
    }
    sets.extend(env.set.iter().cloned());
    Ok((sets, Some(path)))
}

pub fn plan(library: &Library, id: &str, env: &EnvArgs, out: &Output) -> Result<u8, Error> {
    let runbook = library.get(id)?;
    let mut env = Environment::read(&env.env, &overrides(env)?.0)?;
    // The backup runbook writes into `backups.set`: show where each backup goes there.
    if id == crate::backup::job::RUNBOOK
        && let Some(folder) = env.get(crate::backup::set::SET_KEY).map(|e| e.value.display())
    {
        crate::backup::job::point_at_set(&mut env, &folder);
    }
    let plan = Plan::build(runbook, &env, &library.templates)?;
    if out.is_json() {
        out.result(&plan);
    } else {
        print(&text::plan(&plan));
    }
    Ok(exit::SUCCESS)
}

/// Where `lyncdr bundle` writes, and the backups it checks first.
pub struct BundleTo<'a> {
    pub backups: Option<&'a std::path::Path>,
    pub out: &'a std::path::Path,
    pub zip: bool,
}

pub fn bundle(library: &Library, id: &str, env: &EnvArgs, to: BundleTo, out: &Output) -> Result<u8, Error> {
    let runbook = library.get(id)?;
    let (sets, set_folder) = overrides(env)?;
    let env = Environment::read(&env.env, &sets)?;
    let plan = Plan::build(runbook, &env, &library.templates)?;
    // `--backup-set DIR`: its newest complete set is checked as `--backups` would be, as `run`
    // does, unless `--backups` names another copy.
    let backups = to.backups.map(std::path::Path::to_path_buf).or(set_folder);
    let summary = crate::bundle::write_bundle(&plan, runbook, &env, backups.as_deref(), to.out, to.zip)?;
    if out.is_json() {
        out.result(summary.to_json());
    } else {
        print(&format!("{summary}\n"));
    }
    Ok(exit::SUCCESS)
}
