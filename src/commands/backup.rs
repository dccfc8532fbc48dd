//! `lyncdr backup`: wires the command line to [`crate::backup::job`] and prints the outcome.

use super::{Error, print};
use crate::backup::job::{self, Config};
use crate::cli::BackupArgs;
use crate::decode::CodePage;
use crate::exit;
use crate::run::runner::Programs;
use crate::runbook::Library;

fn usage(message: String) -> Error {
    Error::Other {
        message,
        code: exit::INVALID,
    }
}

pub fn run(library: &Library, a: BackupArgs) -> Result<u8, Error> {
    let timeout = crate::env::value::parse_duration(&a.step_timeout)
        .map_err(|e| usage(format!("--step-timeout: {e}")))?;
    let codepage = CodePage::parse(&a.codepage).map_err(|e| usage(format!("--codepage: {e}")))?;
    let Some(to) = a.to else {
        return Err(usage(
            "`lyncdr backup` needs `--to DIR`, the folder of backup sets (a share the SQL Server service can write)".into(),
        ));
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
        event_log: a.event_log || cfg!(windows),
        now: jiff::Timestamp::now(),
    };
    let outcome = job::run(library, &cfg, &mut |line| {
        // Step output comes from other programs: no control character may act on the terminal.
        print(&format!("{}\n", crate::decode::printable(line)));
    })
    .map_err(|e| match e {
        job::BackupError::Invalid(d) => Error::Invalid(d),
        other => Error::Other {
            message: other.to_string(),
            code: other.code(),
        },
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
    Ok(outcome.exit_code)
}
