use super::{CommandError, Error, print};
use crate::env::Environment;
use crate::front::cli::{EnvArgs, Format};
use crate::front::exit;
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

pub fn plan(library: &Library, id: &str, env: &EnvArgs, format: Format) -> Result<u8, Error> {
    let runbook = library.get(id)?;
    let mut env = Environment::read(&env.env, &overrides(env)?.0)?;
    // The backup runbook writes into `backups.set`: show where each backup goes there.
    if id == crate::backup::job::RUNBOOK
        && let Some(folder) = env.get(crate::backup::set::SET_KEY).map(|e| e.value.display())
    {
        crate::backup::job::point_at_set(&mut env, &folder);
    }
    let plan = Plan::build(runbook, &env, &library.templates)?;
    match format {
        Format::Text => print(&text::plan(&plan)),
        Format::Json => print(&(json(&plan) + "\n")),
    }
    Ok(exit::SUCCESS)
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    crate::decode::json_safe(&text)
}

pub fn bundle(
    library: &Library,
    id: &str,
    env: &EnvArgs,
    backups: Option<&std::path::Path>,
    out: &std::path::Path,
    zip: bool,
) -> Result<u8, Error> {
    let runbook = library.get(id)?;
    let env = Environment::read(&env.env, &overrides(env)?.0)?;
    let plan = Plan::build(runbook, &env, &library.templates)?;
    let summary = crate::bundle::write_bundle(&plan, runbook, &env, backups, out, zip)?;
    print(&format!("{summary}\n"));
    Ok(exit::SUCCESS)
}
