use super::{Error, print};
use crate::env::Environment;
use crate::front::cli::{EnvArgs, Format};
use crate::front::exit;
use crate::render::plan::Plan;
use crate::render::text;
use crate::runbook::Library;

pub fn plan(library: &Library, id: &str, env: &EnvArgs, format: Format) -> Result<u8, Error> {
    let runbook = library.get(id)?;
    let env = Environment::read(&env.env, &env.set)?;
    let plan = Plan::build(runbook, &env, &library.templates)?;
    match format {
        Format::Text => print(&text::plan(&plan)),
        Format::Json => print(&(json(&plan) + "\n")),
    }
    Ok(exit::SUCCESS)
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
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
    let env = Environment::read(&env.env, &env.set)?;
    let plan = Plan::build(runbook, &env, &library.templates)?;
    let summary = crate::bundle::write_bundle(&plan, runbook, &env, backups, out, zip)?;
    print(&format!("{summary}\n"));
    Ok(exit::SUCCESS)
}
