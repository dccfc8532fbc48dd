//! `lyncdr backup`: wires the command line to [`crate::backup::job`] and prints the outcome.

use super::{CommandError, Error, print};
use crate::backup::job::{self, Config};
use crate::backup::signing::SecretKey;
use crate::front::cli::BackupArgs;
use crate::front::exit;
use crate::run::runner::Programs;
use crate::runbook::Library;

pub fn run(library: &Library, a: BackupArgs) -> Result<u8, Error> {
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
    let outcome = job::run(library, &cfg, &mut |line| {
        // Step output comes from other programs: no control character may act on the terminal.
        print(&format!("{}\n", crate::decode::printable(line)));
    })?;
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
    Ok(if outcome.interrupted {
        exit::INTERRUPTED
    } else {
        crate::audit::exit_code_for(outcome.status)
    })
}

/// `--new-key FILE`: a new signing key, and the line that puts its public half in the environment.
pub fn new_key(a: BackupArgs) -> Result<u8, Error> {
    let Some(path) = a.new_key else {
        return Ok(exit::USAGE);
    };
    // Never over an existing file: a key replaced by mistake would orphan every signed set.
    let key = SecretKey::create(&path).map_err(|e| CommandError::CannotWrite {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    print(&format!(
        "Wrote the backup set signing key to {} (readable only by this account; keep it on the Front End that runs the job, and run the job with --key {}).\nPut this line under `backups:` in {}:\n\n  signing_key: \"{}\"\n",
        path.display(),
        path.display(),
        a.env.display(),
        key.public()
    ));
    Ok(exit::SUCCESS)
}
