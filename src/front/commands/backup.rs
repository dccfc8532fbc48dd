//! `lyncdr backup`: wires the command line to [`crate::backup::job`] and prints the outcome.

use super::{CommandError, Error, print};
use crate::backup::job::{self, Config};
use crate::backup::signing::SecretKey;
use crate::front::cli::BackupArgs;
use crate::front::exit;
use crate::front::json::Output;
use crate::run::runner::Programs;
use crate::runbook::Library;

pub fn run(library: &Library, a: BackupArgs, output: &Output) -> Result<u8, Error> {
    let (timeout, codepage) = super::runner_options(&a.step_timeout, a.codepage.as_deref())?;
    let Some(to) = a.to else {
        return Err(CommandError::BadValue {
            option: "--to",
            problem: "`lyncdr backup` needs `--to DIR`, the folder of backup sets (a share the SQL Server service can write)".into(),
        }
        .into());
    };
    let cfg = Config {
        env: a.env,
        sets: a.set,
        to,
        programs: Programs {
            powershell: a.powershell,
            sqlcmd: a.sqlcmd,
            codepage,
        },
        timeout,
        log: a.log,
        key: a.key,
        event_log: a.event_log || cfg!(windows),
        baseline: a.baseline,
        now: jiff::Timestamp::now(),
    };
    let json = output.is_json();
    let outcome = job::run(library, &cfg, &mut |line| {
        // Step output comes from other programs: no control character may act on the terminal.
        // With --format json stdout holds the envelope only.
        let line = format!("{}\n", crate::decode::printable(line));
        if json {
            eprint!("{line}");
        } else {
            print(&line);
        }
    })?;
    let code = if outcome.interrupted {
        exit::INTERRUPTED
    } else {
        crate::audit::exit_code_for(outcome.status)
    };
    if json {
        output.result(outcome_json(&outcome));
        return Ok(code);
    }
    let mut out = String::new();
    if let Some(r) = &outcome.report {
        out.push('\n');
        out.push_str(&r.to_text());
    }
    for name in &outcome.deleted {
        out.push_str(&format!("Retention: deleted {name}\n"));
    }
    for w in &outcome.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    // `complete` is re-read after retention: never said of a set that is gone.
    if outcome.complete {
        out.push_str(&format!("Set complete: {}\n", outcome.path.display()));
    } else {
        out.push_str(&format!(
            "Set INCOMPLETE (no COMPLETE marker; the recovery will not use it): {}\n",
            outcome.path.display()
        ));
        for s in &outcome.failed {
            out.push_str(&format!("  failed step: {s}\n"));
        }
    }
    out.push_str(&outcome.line);
    out.push('\n');
    print(&crate::decode::printable(&out));
    Ok(code)
}

/// `backup --format json`'s result: the set, its verdict, and the audit's report of it.
fn outcome_json(o: &job::Outcome) -> serde_json::Value {
    serde_json::json!({
        "set": o.name, "path": o.path.display().to_string(), "complete": o.complete,
        "status": o.status, "interrupted": o.interrupted, "failed_steps": o.failed,
        "line": o.line, "audit": o.report.as_ref().map(|r| r.to_json()),
        "retention_deleted": o.deleted, "warnings": o.warnings,
    })
}

/// `--new-key FILE`: a new signing key, and the line that puts its public half in the environment.
pub fn new_key(a: BackupArgs, output: &Output) -> Result<u8, Error> {
    let Some(path) = a.new_key else {
        return Ok(exit::USAGE);
    };
    // Never over an existing file: a key replaced by mistake would orphan every signed set.
    let key = SecretKey::create(&path).map_err(|e| CommandError::CannotWrite {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    if output.is_json() {
        output.result(serde_json::json!({
            "key_file": path.display().to_string(), "signing_key": key.public().to_string(),
        }));
        return Ok(exit::SUCCESS);
    }
    print(&format!(
        "Wrote the backup set signing key to {} (readable only by this account; keep it on the Front End that runs the job, and run the job with --key {}).\nPut this line under `backups:` in {}:\n\n  signing_key: \"{}\"\n",
        path.display(),
        path.display(),
        a.env.display(),
        key.public()
    ));
    Ok(exit::SUCCESS)
}

/// `--seal DIR`: a recovery's baseline folder (`finish`'s, of a bundle's run) sealed as a set.
pub fn seal(library: &Library, a: BackupArgs, output: &Output) -> Result<u8, Error> {
    let Some(dir) = a.seal.clone() else {
        return Ok(exit::USAGE);
    };
    let env = crate::env::Environment::read(&a.env, &a.set)?;
    let failed = |cause: String| job::BackupError::Write {
        path: dir.display().to_string(),
        cause,
    };
    let secret = match &a.key {
        Some(path) => Some(SecretKey::load(path).map_err(|e| {
            job::BackupError::Key(format!("cannot use the signing key `{}`: {e}", path.display()))
        })?),
        None => None,
    };
    let whose = whose(&env, &a)?;
    let sealed =
        crate::backup::seal::seal(&dir, &whose, &env, &a.env, library, secret.as_ref()).map_err(failed)?;
    let code = sealed.status.map_or(exit::SUCCESS, crate::audit::exit_code_for);
    if output.is_json() {
        output.result(serde_json::json!({
            "set": dir.display().to_string(),
            "sealed_already": sealed.already,
            "signed": sealed.signed,
            "status": sealed.status.map(|s| s.name()),
            "lines": sealed.lines,
        }));
        return Ok(code);
    }
    for line in &sealed.lines {
        print(&format!("{}\n", crate::decode::printable(line)));
    }
    Ok(code)
}

/// Whose set `--seal` seals: `--pool` and `--sql-server`, checked as the environment's values
/// are, or else the environment's `pools.failed` and `sql.backend.server`.
fn whose(
    env: &crate::env::Environment,
    a: &BackupArgs,
) -> Result<crate::backup::set::Whose, job::BackupError> {
    use crate::diagnostic::Diagnostic;
    use crate::env::value::{check_fqdn, check_sql_instance};
    let bad = |option: &str, e: String, example: &str| {
        job::BackupError::from(
            Diagnostic::new(format!("{option}: {e}")).hint(format!("e.g. {option} {example}")),
        )
    };
    if let Some(pool) = &a.pool {
        check_fqdn(pool).map_err(|e| bad("--pool", e, "pool02.contoso.com"))?;
    }
    if let Some(server) = &a.sql_server {
        let example = r"be02.contoso.com\rtc";
        let (fqdn, instance) = server.split_once('\\').unwrap_or((server, ""));
        check_fqdn(fqdn).map_err(|e| bad("--sql-server", e, example))?;
        if !instance.is_empty() {
            check_sql_instance(instance).map_err(|e| bad("--sql-server", e, example))?;
        }
    }
    let get = |k: &str| env.get(k).map(|e| e.value.display());
    let pool = a.pool.clone().or_else(|| get("pools.failed"));
    let sql_server = a.sql_server.clone().or_else(|| get("sql.backend.server"));
    match (pool, sql_server) {
        (Some(pool), Some(sql_server)) => Ok(crate::backup::set::Whose {
            pool,
            sql_server,
            before: None,
        }),
        _ => Err(Diagnostic::new("a set records whose it is: name the pool and its Back End")
            .hint("give --pool FQDN and --sql-server FQDN\\INSTANCE, or set pools.failed and sql.backend in the environment file")
            .into()),
    }
}
