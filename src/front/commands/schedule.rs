//! `lyncdr backup --task` and `--script`: the job's schedule and its PowerShell form. Values are
//! checked here, then [`crate::backup::task`] and [`crate::backup::script`] build the bytes.

use super::{CommandError, Error, print};
use crate::backup::script::{self, ScriptConfig, ScriptFolder};
use crate::backup::task::{self, Action, TASK_NAME_KEY, TaskConfig};
use crate::env::Environment;
use crate::env::value::check_windows_path;
use crate::front::cli::BackupArgs;
use crate::front::exit;
use crate::front::json::Output;
use crate::render::plan::Plan;
use crate::runbook::Library;
use std::path::Path;

/// A value of `option` the schedule cannot use: a usage error.
fn invalid(option: &'static str, problem: impl Into<String>) -> Error {
    CommandError::BadValue {
        option,
        problem: problem.into(),
    }
    .into()
}

/// `lyncdr backup --task` or `--script` (the dispatcher sends only those here).
pub fn write(library: &Library, args: BackupArgs, output: &Output) -> Result<u8, Error> {
    // What was written: the text, or the fields of `--format json`'s result.
    let mut text = String::new();
    let mut result = serde_json::Map::new();
    let mut env = Environment::read(&args.env, &args.set)?;
    let to = args
        .to
        .as_ref()
        .and_then(|p| p.to_str())
        .ok_or_else(|| {
            invalid(
                "--to",
                "--task and --script need --to DIR: the folder of backup sets, as the servers see it",
            )
        })?
        .to_owned();
    check_windows_path(&to)
        .map_err(|e| invalid("--to", format!("{e} (the folder as the servers see it)")))?;
    if let Some(dir) = &args.script {
        let env_bytes = std::fs::read(&args.env).map_err(|e| CommandError::Unreadable {
            path: args.env.clone(),
            problem: e.to_string(),
        })?;
        let runbook = library.get(crate::backup::job::RUNBOOK)?;
        script::for_script(&mut env);
        let plan = Plan::build(runbook, &env, &library.templates)?;
        let config = ScriptConfig {
            to: to.clone(),
            env_file: args
                .env
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            env_sha256: crate::digest::sha256_hex(&env_bytes),
            whose: crate::backup::set::Whose::of(&env),
        };
        let folder = ScriptFolder::build(&plan, &config)?;
        folder.write(dir)?;
        result.insert(
            "script".into(),
            serde_json::json!({
                "folder": dir.display().to_string(), "files": folder.files.len(),
                "steps": folder.steps.len(), "not_applicable": folder.omitted.len(),
                "sums_sha256": folder.sums_sha256(),
            }),
        );
        text.push_str(&format!(
            "Wrote {} files to {}: {}, {}, {} ({} steps{}).\nSHA-256 of {}: {}\nCheck it on the server before running the job.\n",
            folder.files.len(),
            dir.display(),
            crate::backup::script::SCRIPT,
            crate::backup::script::README,
            crate::bundle::sums::FILE,
            folder.steps.len(),
            if folder.omitted.is_empty() {
                String::new()
            } else {
                format!("; {} not applicable, listed in README.txt", folder.omitted.len())
            },
            crate::bundle::sums::FILE,
            folder.sums_sha256()
        ));
    }
    if let Some(file) = &args.task {
        let user = args.user.as_deref().ok_or_else(|| {
            invalid(
                "--user",
                "--task needs --user DOMAIN\\account: the account the job runs as",
            )
        })?;
        let at = task::parse_at(&args.at).map_err(|e| invalid(e.option, e.message))?;
        let action = if args.script.is_some() {
            let dir = args.script_on_server.as_deref().ok_or_else(|| {
                invalid(
                    "--script-on-server",
                    "--task with --script needs --script-on-server DIR: where the script folder will be on the server",
                )
            })?;
            Action::Script {
                script: format!(
                    "{}\\{}",
                    dir.trim_end_matches('\\'),
                    crate::backup::script::SCRIPT
                ),
            }
        } else {
            Action::Lyncdr {
                exe: match &args.exe {
                    Some(exe) => exe.clone(),
                    None => on_windows(std::env::current_exe().ok().as_deref()).ok_or_else(|| {
                        invalid(
                            "--exe",
                            "--task needs --exe PATH: where lyncdr.exe is on the server",
                        )
                    })?,
                },
                env: match &args.env_on_server {
                    Some(env) => env.clone(),
                    None => on_windows(std::path::absolute(&args.env).ok().as_deref()).ok_or_else(|| {
                        invalid(
                            "--env-on-server",
                            "--task needs --env-on-server PATH: where the environment file is on the server",
                        )
                    })?,
                },
                to: to.clone(),
                // The key's path on the server, as given: the task runs there.
                key: args.key.as_ref().map(|k| k.display().to_string()),
            }
        };
        let name = task_name(&env, args.task_name.as_deref())?;
        let config = TaskConfig::new(&name, at, user, action, args.exe_on_share)
            .map_err(|e| invalid(e.option, e.message))?;
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = config
            .schtasks_line(&file_name)
            .map_err(|e| invalid(e.option, e.message))?;
        let xml = config.xml().map_err(|e| invalid(e.option, e.message))?;
        crate::atomic::write_atomic(file, &task::task_bytes(&xml)).map_err(|e| {
            CommandError::CannotWrite {
                path: file.clone(),
                problem: e.to_string(),
            }
        })?;
        result.insert(
            "task".into(),
            serde_json::json!({
                "file": file.display().to_string(), "at": format!("{:02}:{:02}", at.0, at.1),
                "user": user, "action": config.action.to_string(), "schtasks": line,
            }),
        );
        text.push_str(&format!(
            "Wrote the task definition {}: every day at {:02}:{:02} as {}, {}.\nNothing is registered yet. On the server, as an administrator (schtasks asks for the account's password):\n  {}\n",
            file.display(),
            at.0,
            at.1,
            user,
            config.action,
            line
        ));
    }
    if output.is_json() {
        output.result(result);
    } else {
        print(&text);
    }
    Ok(exit::SUCCESS)
}

/// The task's name: `--task-name`, else the environment's `backups.task_name` (the name the
/// recovery runbooks disable and `finish` enables), else the default. `--task-name` naming
/// another task than the environment is refused: the recoveries would pause a task that does
/// not exist and leave the nightly job running.
fn task_name(env: &Environment, option: Option<&str>) -> Result<String, Error> {
    let named = env.get(TASK_NAME_KEY).map(|e| e.value.display());
    match (option, named) {
        (Some(o), Some(n)) if !same_task(o, &n) => Err(invalid(
            "--task-name",
            format!(
                "`{}` is not the task the environment names (`{TASK_NAME_KEY}`: `{n}`), the one every recovery disables: leave --task-name out, or change `{TASK_NAME_KEY}`",
                crate::env::value::shown(o)
            ),
        )),
        (Some(o), _) => Ok(o.to_owned()),
        (None, Some(n)) => Ok(n),
        (None, None) => Ok(task::DEFAULT_NAME.to_owned()),
    }
}

/// Task Scheduler names are case-insensitive, and `\name` is `name` in the root folder.
fn same_task(a: &str, b: &str) -> bool {
    a.trim_start_matches('\\')
        .eq_ignore_ascii_case(b.trim_start_matches('\\'))
}

/// A path of this machine, when it is a Windows path (lyncdr runs on the server itself).
fn on_windows(path: Option<&Path>) -> Option<String> {
    let text = crate::fsx::plain(path?).to_str()?.to_owned();
    check_windows_path(&text).is_ok().then_some(text)
}
