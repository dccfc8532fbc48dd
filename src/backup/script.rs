//! `lyncdr backup --script DIR`: the backup job as a reviewed Windows PowerShell 2.0 script
//! folder, for sites where lyncdr cannot run on the servers.
//!
//! The plan of the `backup` runbook, rendered as the job renders it but with the set folder
//! ([`super::set::SET_KEY`] and the artifact paths of [`super::set::artifact_paths`]) standing at
//! [`PLACEHOLDER`], because the script names its set only when it runs ([`for_script`]) ->
//! `Backup-Lync.ps1`: a header, the job's values (`$LyncdrPool`, ..., each a PowerShell literal
//! through [`escape::powershell`]: [`values`]) and its steps (`$LyncdrJob`, each step's commands
//! in one `Invoke-LyncdrStep` block; a PowerShell literal holding the placeholder becomes an
//! expression on `$LyncdrSet`, a T-SQL command gets the folder at run time inside its `N'...'`
//! literal), then the fixed code, the same in every script ([`CODE`], the PowerShell file
//! `Backup-Lync.ps1` beside this one: the set folder created new, the step runner with the step
//! wrapper's rules, T-SQL through `sqlcmd -b -x -i` as `run` runs it, `manifest.json`,
//! `SHA256SUMS` and `COMPLETE` written by PowerShell 2.0 itself) -> the bundle's
//! folder rules ([`crate::bundle::folder_files`]: CRLF, ASCII or UTF-8 with a BOM, `SHA256SUMS`,
//! PowerShell 2.0 checked) -> written atomically. Nothing depends on the time or the machine: the
//! same inputs give the same bytes.

use crate::bundle::text::{Ps, comment_line, lines};
use crate::bundle::{self, BundleError, BundleFile};
use crate::env::Environment;
use crate::escape;
use crate::render::plan::{Kind, Plan, PlannedStep, RenderedCommand};
use crate::runbook::Language;
use std::ops::Range;
use std::path::Path;

/// The job's script.
pub const SCRIPT: &str = "Backup-Lync.ps1";
pub const README: &str = "README.txt";
/// The line that marks `Backup-Lync.ps1` as lyncdr's (a folder holding it may be replaced).
pub const MARKER: &str = "$LyncdrBackupScriptFormat = ";
/// Format of the script folder (the set it writes has its own, `SET_FORMAT`).
pub const FORMAT_VERSION: u32 = 1;
/// `lyncdr_backup_set` of docs/backup-set.md.
pub const SET_FORMAT: u32 = 1;
/// Exit codes of `Backup-Lync.ps1`, those of `lyncdr backup` where they mean the same (an
/// incomplete set is not ready: 2; no set could be started in --to: 73, an output that cannot
/// be written); the script cannot audit, so a complete set is 0. The core names no exit code
/// of the front end's table: `tests/backup_script.rs` holds these equal to it.
pub const EXIT_COMPLETE: u8 = 0;
pub const EXIT_INCOMPLETE: u8 = 2;
/// A complete set, but a set folder under `-To` is named in the future (issue 17 item 1).
pub const EXIT_DEGRADED: u8 = 1;
pub const EXIT_NOT_STARTED: u8 = 73;
/// Another job holds the folder of sets (lyncdr backup's lock file, `super::lock`): 75.
pub const EXIT_BUSY: u8 = 75;
/// Where the set folder stands in the rendered commands until the script knows it: a Windows
/// path no deployment has, replaced in every command before anything runs.
pub const PLACEHOLDER: &str = r"X:\lyncdr-backup-set-placeholder";

/// The environment for the script's plan: the set folder and every artifact path in it, as
/// `lyncdr backup` sets them for its own run, at [`PLACEHOLDER`].
pub fn for_script(env: &mut Environment) {
    super::job::point_at_set(env, PLACEHOLDER);
}

/// What the script is made for, besides the plan.
#[derive(Debug, Clone)]
pub struct ScriptConfig {
    /// Where the sets go, as the Front End and the SQL Server service see it (`--to`).
    pub to: String,
    /// The environment file's name, and the SHA-256 of its bytes, for the manifest.
    pub env_file: String,
    pub env_sha256: String,
    /// Whose sets the script writes (the manifest's `pool` and `sql_server`).
    pub whose: Option<super::set::Whose>,
}

/// The script folder in memory: every file with its final bytes, `SHA256SUMS` included.
#[derive(Debug, Clone)]
pub struct ScriptFolder {
    pub files: Vec<BundleFile>,
    /// Step ids the job runs, in order.
    pub steps: Vec<String>,
    /// Steps that do not apply to this environment, with the reason.
    pub omitted: Vec<(String, String)>,
}

impl ScriptFolder {
    /// Build the folder from the plan of the `backup` runbook.
    pub fn build(plan: &Plan, config: &ScriptConfig) -> Result<ScriptFolder, BundleError> {
        let mut items = Vec::new();
        for step in plan.steps.iter().filter(|s| matches!(s.kind, Kind::Action)) {
            if step.skipped {
                let reason = step.reason.clone().unwrap_or_else(|| "not applicable".into());
                items.push(Item::Skip(step, reason));
                continue;
            }
            let mut body = Vec::new();
            for c in step.commands.iter().filter(|c| !c.alternative) {
                body.extend(command_lines(step, c)?);
            }
            items.push(Item::Run(step, body));
        }
        let texts = vec![
            (SCRIPT.to_owned(), script(plan, config, &items)),
            (README.to_owned(), readme(plan, config, &items)),
        ];
        bundle::check_powershell_2(&texts)?;
        Ok(ScriptFolder {
            files: bundle::folder_files(texts),
            steps: items
                .iter()
                .filter_map(|i| match i {
                    Item::Run(s, _) => Some(s.id.clone()),
                    Item::Skip(..) => None,
                })
                .collect(),
            omitted: items
                .iter()
                .filter_map(|i| match i {
                    Item::Skip(s, reason) => Some((s.id.clone(), reason.clone())),
                    Item::Run(..) => None,
                })
                .collect(),
        })
    }

    pub fn file(&self, name: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.name == name)
    }

    pub fn sums_sha256(&self) -> String {
        crate::digest::sha256_hex(self.file(bundle::sums::FILE).map_or(&[][..], |f| &f.bytes))
    }

    /// Write the folder `out` atomically; an earlier script folder there is replaced, anything
    /// else is refused.
    pub fn write(&self, out: &Path) -> Result<(), BundleError> {
        bundle::folder::write_as(out, &self.files, SCRIPT, MARKER)
    }
}

/// A step of the plan as the script has it: run with these lines, or recorded as skipped.
enum Item<'a> {
    Run(&'a PlannedStep, Vec<String>),
    Skip(&'a PlannedStep, String),
}

fn unrendered(step: &PlannedStep, reason: impl Into<String>) -> BundleError {
    BundleError::Unrendered {
        step: step.id.clone(),
        reason: reason.into(),
    }
}

/// The script lines that run one rendered command of a step.
fn command_lines(step: &PlannedStep, c: &RenderedCommand) -> Result<Vec<String>, BundleError> {
    if c.text.contains(escape::UNSAFE) {
        return Err(unrendered(step, "a value cannot be written safely"));
    }
    match c.language {
        Language::Powershell => {
            let text = with_set_expression(&c.text)
                .ok_or_else(|| unrendered(step, "the set folder stands outside a single-quoted literal"))?;
            Ok(text
                .replace("\r\n", "\n")
                .trim_end_matches('\n')
                .split('\n')
                .map(str::to_owned)
                .collect())
        }
        Language::Sql => {
            let server = step
                .sql_server
                .as_deref()
                .ok_or_else(|| BundleError::NoSqlServer {
                    step: step.id.clone(),
                })?;
            let literals = literal_spans(Language::Sql, &c.text);
            let outside = c.text.match_indices(PLACEHOLDER).any(|(i, _)| {
                !literals
                    .iter()
                    .any(|r| r.start < i && i + PLACEHOLDER.len() < r.end)
            });
            if outside {
                return Err(unrendered(
                    step,
                    "the set folder stands outside an N'...' literal of its T-SQL",
                ));
            }
            Ok(vec![format!(
                "Invoke-LyncdrSql {} {}",
                lit(server),
                lit(c.text.trim_end_matches('\n'))
            )])
        }
        Language::Cmd => Err(unrendered(
            step,
            "a cmd.exe command cannot name the set folder, which is known only when the job runs",
        )),
    }
}

/// `text` with every single-quoted literal that holds [`PLACEHOLDER`] turned into an expression
/// on `$LyncdrSet`: `'/f:X:\p\u.xml'` becomes `('/f:' + $LyncdrSet + '\u.xml')`. Values reach
/// PowerShell only as such literals (`escape::powershell`), and the pieces keep their escaping
/// (the placeholder holds no quote). `None` when the placeholder stands anywhere else.
pub fn with_set_expression(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut last = 0;
    for span in literal_spans(Language::Powershell, text) {
        let literal = &text[span.clone()];
        if !literal.contains(PLACEHOLDER) {
            continue;
        }
        let inner = literal.strip_prefix('\'')?.strip_suffix('\'')?;
        let mut terms = Vec::new();
        for (i, piece) in inner.split(PLACEHOLDER).enumerate() {
            if i > 0 {
                terms.push("$LyncdrSet".to_owned());
            }
            if !piece.is_empty() {
                terms.push(format!("'{piece}'"));
            }
        }
        out.push_str(&text[last..span.start]);
        out.push_str(&format!("({})", terms.join(" + ")));
        last = span.end;
    }
    out.push_str(&text[last..]);
    (!out.contains(PLACEHOLDER)).then_some(out)
}

/// The byte ranges of the single-quoted literals of `text` (quotes included): PowerShell
/// (`'...'` with `''`, the curly single quotes too; double-quoted strings, here-strings and
/// comments skipped) or T-SQL (`'...'` with `''`; comments and `[...]` skipped).
fn literal_spans(language: Language, text: &str) -> Vec<Range<usize>> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Single(usize),
        Double,
        Here(char),
        Line,
        Block,
        Bracket,
    }
    let single =
        |c: char| c == '\'' || (language == Language::Powershell && ('\u{2018}'..='\u{201B}').contains(&c));
    let double = |c: char| c == '"' || ('\u{201C}'..='\u{201E}').contains(&c);
    let mut spans = Vec::new();
    let mut state = In::Code;
    let mut chars = text.char_indices().peekable();
    let mut line_start = true;
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        state = match (language, state, c) {
            (_, In::Line, '\n') => In::Code,
            (_, In::Line, _) => In::Line,
            (_, In::Single(start), c) if single(c) => {
                if next.is_some_and(single) {
                    chars.next();
                    In::Single(start)
                } else {
                    spans.push(start..i + c.len_utf8());
                    In::Code
                }
            }
            (_, s @ In::Single(_), _) => s,
            (_, In::Code, c) if single(c) => In::Single(i),
            (Language::Powershell, In::Code, '#') => In::Line,
            (Language::Powershell, In::Code, '<') if next == Some('#') => In::Block,
            (Language::Powershell, In::Block, '#') if next == Some('>') => {
                chars.next();
                In::Code
            }
            (Language::Powershell, In::Code, '@') if next.is_some_and(|n| single(n) || double(n)) => {
                let q = if next.is_some_and(single) { '\'' } else { '"' };
                chars.next();
                In::Here(q)
            }
            (Language::Powershell, In::Here(q), c)
                if line_start && (if q == '\'' { single(c) } else { double(c) }) && next == Some('@') =>
            {
                chars.next();
                In::Code
            }
            (Language::Powershell, s @ (In::Code | In::Double), '`') => {
                chars.next();
                s
            }
            (Language::Powershell, In::Code, c) if double(c) => In::Double,
            (Language::Powershell, In::Double, c) if double(c) => {
                if next.is_some_and(double) {
                    chars.next();
                    In::Double
                } else {
                    In::Code
                }
            }
            (Language::Sql, In::Code, '-') if next == Some('-') => In::Line,
            (Language::Sql, In::Code, '/') if next == Some('*') => In::Block,
            (Language::Sql, In::Block, '*') if next == Some('/') => {
                chars.next();
                In::Code
            }
            (Language::Sql, In::Code, '[') => In::Bracket,
            (Language::Sql, In::Bracket, ']') => {
                if next == Some(']') {
                    chars.next();
                    In::Bracket
                } else {
                    In::Code
                }
            }
            (_, s, _) => s,
        };
        line_start = c == '\n';
    }
    spans
}

fn lit(value: &str) -> String {
    escape::powershell(value)
}

/// The job's code, the same in every script: a PowerShell file of its own, read, parsed and
/// checked as PowerShell 2.0 (no ConvertTo-Json, 3.0; no Get-FileHash, 4.0; hashing streams a
/// file, never reads it whole). It reads the values [`values`] sets before it.
pub const CODE: &str = include_str!("Backup-Lync.ps1");

fn header(ps: &mut Ps, plan: &Plan, config: &ScriptConfig, items: &[Item]) {
    ps.comment("", SCRIPT);
    ps.comment(
        "",
        &format!(
            "The lyncdr backup job (runbook {}) for environment {}, as a Windows PowerShell 2.0 script.",
            plan.runbook, config.env_file
        ),
    );
    ps.comment(
        "",
        &format!(
            "Generated by lyncdr {} (script format {FORMAT_VERSION}). SHA256SUMS covers this file: review it, do not edit it.",
            env!("CARGO_PKG_VERSION")
        ),
    );
    ps.code("#");
    ps.comment(
        "",
        "Each run writes one backup set (docs/backup-set.md of lyncdr) into a new folder lyncdr-YYYYMMDD-HHMMSSZ (UTC) under -To: the steps below, each recorded ok, failed or skipped (a failed step does not stop the others), then manifest.json, SHA256SUMS over every file, and COMPLETE last (temporary file, then rename) when no step failed. A set without COMPLETE is never taken for a good one.",
    );
    ps.comment(
        "",
        &format!(
            "The commands are lyncdr backup's own; where they name the set folder, lyncdr rendered them at {PLACEHOLDER} and this script puts the new folder there: in PowerShell as $LyncdrSet, in T-SQL inside its N'...' literal with quotes doubled (Invoke-LyncdrSql)."
        ),
    );
    ps.comment(
        "",
        "One job per folder of sets: the script holds lyncdr backup's lock on .lyncdr-backup.lock in -To while it runs. It deletes no set (retention is lyncdr backup's). Its sets are unsigned: Windows PowerShell 2.0 and .NET 3.5 have no Ed25519, so lyncdr audit reports them as unauthenticated.",
    );
    ps.code("#");
    ps.comment("", "Steps (runbook backup, rendered for this environment):");
    for item in items {
        match item {
            Item::Run(s, _) => ps.item("  - ", "    ", &format!("{}: {}", s.id, s.title)),
            Item::Skip(s, reason) => ps.item(
                "  - ",
                "    ",
                &format!("{}: {} -- skipped, {reason}", s.id, s.title),
            ),
        }
    }
    ps.code("#");
    ps.comment(
        "",
        &format!(
            "Exit code: {EXIT_COMPLETE} complete set, {EXIT_DEGRADED} complete but a set folder is named in the future, {EXIT_INCOMPLETE} incomplete set (manifest.json names the failed steps), {EXIT_NOT_STARTED} no set could be started, {EXIT_BUSY} another job holds -To. One line in the Application event log (source lyncdr) says which."
        ),
    );
    ps.comment(
        "",
        "Run it on a Front End server of the pool, as an account that may export the configuration (RTCUniversalServerAdmins), read the File Store and run BACKUP DATABASE on the Back End; the SQL Server service writes the .bak files, so -To must be a share its account can write to:",
    );
    ps.comment(
        "  ",
        &format!("powershell.exe -NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File .\\{SCRIPT}"),
    );
    ps.comment(
        "",
        "Check the set afterwards, from anywhere: lyncdr audit <-To folder>",
    );
}

fn script(plan: &Plan, config: &ScriptConfig, items: &[Item]) -> String {
    let mut ps = Ps::new();
    header(&mut ps, plan, config, items);
    ps.blank();
    ps.code("param(");
    ps.code(format!(
        "    {}",
        comment_line(
            "",
            "Folder that receives the sets (a new set folder under it each run)."
        )
    ));
    ps.code(format!("    [string]$To = {}", lit(&config.to)));
    ps.code(")");
    ps.blank();
    ps.code(format!("{MARKER}{FORMAT_VERSION}"));
    ps.code("$ErrorActionPreference = 'Stop'");
    ps.blank();
    values(&mut ps, plan, config);
    ps.blank();
    ps.code("# The Lync cmdlets, loaded by the code below unless they are there already.");
    ps.code("$LyncdrLoadLync = {");
    for line in crate::wrapper::load_lync(crate::wrapper::Missing::Fail).lines() {
        ps.code(format!("    {line}"));
    }
    ps.code("}");
    ps.blank();
    ps.code("# The steps, run in order by the code below; a failed step is recorded, the others still run.");
    ps.code("$LyncdrJob = {");
    for item in items {
        step(&mut ps, item);
    }
    ps.code("}");
    ps.blank();
    ps.block(crate::bundle::FILE_SHA256);
    ps.blank();
    ps.block(CODE);
    ps.into_string()
}

/// This job's values for [`CODE`], each a PowerShell literal (`escape::powershell`) or a number.
fn values(ps: &mut Ps, plan: &Plan, config: &ScriptConfig) {
    ps.code("# ---- this job (generated) ----");
    ps.code(format!("$LyncdrPlaceholder = {}", lit(PLACEHOLDER)));
    ps.code(format!("$LyncdrSetFormat = {SET_FORMAT}"));
    ps.code(format!("$LyncdrVersion = {}", lit(env!("CARGO_PKG_VERSION"))));
    ps.code(format!("$LyncdrEnvironmentFile = {}", lit(&config.env_file)));
    ps.code(format!("$LyncdrEnvironmentSha256 = {}", lit(&config.env_sha256)));
    let deployment = plan.deployment.as_deref().unwrap_or_default();
    ps.code(format!("$LyncdrDeployment = {}", lit(deployment)));
    let (pool, server) = config
        .whose
        .as_ref()
        .map_or(("$null".to_owned(), "$null".to_owned()), |w| {
            (lit(&w.pool), lit(&w.sql_server))
        });
    ps.code(format!("$LyncdrPool = {pool}"));
    ps.code(format!("$LyncdrSqlServer = {server}"));
    ps.code(format!("$LyncdrExitComplete = {EXIT_COMPLETE}"));
    ps.code(format!("$LyncdrExitIncomplete = {EXIT_INCOMPLETE}"));
    ps.code(format!("$LyncdrExitNotStarted = {EXIT_NOT_STARTED}"));
    ps.code(format!("$LyncdrExitDegraded = {EXIT_DEGRADED}"));
    ps.code(format!("$LyncdrExitBusy = {EXIT_BUSY}"));
    ps.code(format!("$LyncdrLockFile = {}", lit(super::lock::LOCK_FILE)));
    let tolerance = super::set::CLOCK_TOLERANCE.as_secs();
    ps.code(format!(
        "$LyncdrClockTolerance = [TimeSpan]::FromSeconds({tolerance})"
    ));
}

/// One step of `$LyncdrJob`: its commands through `Invoke-LyncdrStep`, or recorded as skipped.
fn step(ps: &mut Ps, item: &Item) {
    ps.blank();
    match item {
        Item::Run(step, body) => {
            ps.code(comment_line("---- ", &format!("{} ----", step.title)));
            ps.code(format!("Invoke-LyncdrStep {} {{", lit(&step.id)));
            // Indented for the reader, unless a here-string's end must stay at a line start.
            let here = body.iter().any(|l| l.contains("@'") || l.contains("@\""));
            for line in body {
                if line.trim().is_empty() {
                    ps.blank();
                } else if here {
                    ps.code(line);
                } else {
                    ps.code(format!("    {line}"));
                }
            }
            ps.code("}");
        }
        Item::Skip(step, reason) => {
            ps.code(comment_line("---- ", &format!("{} (skipped) ----", step.title)));
            ps.code(format!(
                "Add-LyncdrSkipped {} {}",
                lit(&step.id),
                lit(&lines(reason).join(" "))
            ));
        }
    }
}

fn readme(plan: &Plan, config: &ScriptConfig, items: &[Item]) -> String {
    let mut out = String::new();
    fn para(out: &mut String, text: &str) {
        for line in bundle::text::wrap(text, 96) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    para(
        &mut out,
        &format!(
            "lyncdr backup job for {} (environment {}), generated by lyncdr {}.",
            plan.deployment.as_deref().unwrap_or("this deployment"),
            config.env_file,
            env!("CARGO_PKG_VERSION")
        ),
    );
    para(
        &mut out,
        &format!(
            "{SCRIPT} takes one backup set per run into a new folder lyncdr-YYYYMMDD-HHMMSSZ under {} (or -To). It runs in Windows PowerShell 2.0 (the Lync Server 2010 Management Shell on Windows Server 2008 R2) on a Front End server of the pool, and needs: membership of RTCUniversalServerAdmins (the exports), the Lync Server 2010 Resource Kit's RgsImportExport.ps1 where Response Groups are backed up, sqlcmd.exe and the right to run BACKUP DATABASE on the Back End, read access to the File Store share, and a folder the SQL Server service's account can write to (it writes the .bak files itself).",
            config.to
        ),
    );
    para(
        &mut out,
        "Steps (a failed step is recorded and the others still run):",
    );
    for item in items {
        let line = match item {
            Item::Run(s, _) => format!("  - {}: {}\n", s.id, lines(&s.title).join(" ")),
            Item::Skip(s, reason) => format!(
                "  - {}: {} (skipped: {})\n",
                s.id,
                lines(&s.title).join(" "),
                lines(reason).join(" ")
            ),
        };
        out.push_str(&line);
    }
    out.push('\n');
    para(
        &mut out,
        "Each set holds the backups under fixed names, manifest.json (what was taken, from which server, when, each step's status), SHA256SUMS over every file (computed by the script with SHA256Managed, a file at a time as a stream), and COMPLETE, written last through a temporary file and a rename, only when no step failed. A set without COMPLETE is incomplete: kept for inspection, never the one a recovery takes.",
    );
    para(
        &mut out,
        &format!(
            "Exit code: {EXIT_COMPLETE} complete set, {EXIT_DEGRADED} complete set but a set folder beside it is named in the future (kept; never taken as the newest), {EXIT_INCOMPLETE} incomplete set, {EXIT_NOT_STARTED} no set could be started, {EXIT_BUSY} another backup job holds the folder of sets (its lock file, .lyncdr-backup.lock); the same outcome as one line in the Application event log (source lyncdr, event 100 for a complete set, 101 degraded, 102 otherwise, as lyncdr backup writes them), or in lyncdr-backup.log beside the sets where eventcreate fails."
        ),
    );
    para(
        &mut out,
        &format!(
            "Before running it, compare the SHA-256 of SHA256SUMS with the one lyncdr printed when it wrote this folder (keep that value outside the folder: whoever can write here can rewrite SHA256SUMS), then check the files against SHA256SUMS (on any Linux machine: sha256sum -c SHA256SUMS). Schedule it with lyncdr backup --script ... --task FILE, or run it by hand: powershell.exe -NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File {SCRIPT}"
        ),
    );
    para(
        &mut out,
        "Copy the folder to a local disk of the Front End server and run it from there: under -ExecutionPolicy RemoteSigned PowerShell refuses an unsigned script it counts as downloaded or remote (on Windows Server 2008 R2, clear the mark with Unblock in the file's Properties: PowerShell 2.0 has no Unblock-File).",
    );
    para(
        &mut out,
        "Then check the set from anywhere: lyncdr audit FOLDER-OF-SETS",
    );
    out.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_holding_the_set_folder_becomes_an_expression() {
        let p = PLACEHOLDER;
        for (text, want) in [
            (
                format!("Export-CsConfiguration -FileName '{p}\\C.zip'"),
                "Export-CsConfiguration -FileName ($LyncdrSet + '\\C.zip')".to_owned(),
            ),
            (
                format!("& 'C:\\D.exe' '/hrxmlfile:{p}\\U.xml' '/x'"),
                "& 'C:\\D.exe' ('/hrxmlfile:' + $LyncdrSet + '\\U.xml') '/x'".to_owned(),
            ),
            (format!("$a = '{p}'"), "$a = ($LyncdrSet)".to_owned()),
            (
                format!("$a = 'O''Brien {p}\\it''s'"),
                "$a = ('O''Brien ' + $LyncdrSet + '\\it''s')".to_owned(),
            ),
            // A quote inside a double-quoted string or a comment starts no literal.
            (
                format!("# it's\n\"it's\" + '{p}'"),
                "# it's\n\"it's\" + ($LyncdrSet)".to_owned(),
            ),
        ] {
            assert_eq!(
                with_set_expression(&text).as_deref(),
                Some(want.as_str()),
                "{text}"
            );
        }
        // The placeholder anywhere but in a literal (here a comment): refused, never half replaced.
        assert_eq!(with_set_expression(&format!("# '{p}'\n'{p}'")), None);
        assert_eq!(
            with_set_expression(&format!("Get-Item {p}\\x")),
            None,
            "a bare word"
        );
        assert_eq!(
            with_set_expression(&format!("\"{p}\\x\"")),
            None,
            "an expandable string"
        );
        assert_eq!(
            with_set_expression("'no folder here'").as_deref(),
            Some("'no folder here'")
        );
    }

    #[test]
    fn t_sql_literals_are_found_past_comments_and_identifiers() {
        let sql = "-- it's\nBACKUP DATABASE [a'b] TO DISK = N'C:\\x''y.bak';";
        let spans = literal_spans(Language::Sql, sql);
        assert_eq!(spans.len(), 1);
        assert_eq!(&sql[spans[0].clone()], "'C:\\x''y.bak'");
    }
}
