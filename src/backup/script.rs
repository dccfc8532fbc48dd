//! `lyncdr backup --script DIR`: the backup job as a reviewed Windows PowerShell 2.0 script
//! folder, for sites where lyncdr cannot run on the servers.
//!
//! The plan of the `backup` runbook, rendered as the job renders it but with the set folder
//! ([`super::set::SET_KEY`] and the artifact paths of [`super::set::artifact_paths`]) standing at
//! [`PLACEHOLDER`], because the script names its set only when it runs ([`for_script`]) ->
//! `Backup-Lync.ps1`: the set folder (docs/backup-set.md) created new, each step's commands in one
//! step runner (the step wrapper's rules: `$ErrorActionPreference = 'Stop'`, the Lync module
//! loaded, an error recorded rather than ending the job); a PowerShell literal holding the
//! placeholder becomes an expression on `$LyncdrSet`, a T-SQL command gets the folder at run time
//! inside its `N'...'` literal and runs through `sqlcmd -b -x -i` as `run` runs it; then
//! `manifest.json`, `SHA256SUMS` and `COMPLETE` written by PowerShell 2.0 itself -> the bundle's
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
pub const EXIT_NOT_STARTED: u8 = 73;
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

/// The functions of the job, fixed text (no value in them). PowerShell 2.0 throughout: no
/// ConvertTo-Json (3.0), no Get-FileHash (4.0); hashing streams a file, never reads it whole.
const FUNCTIONS: &str = r#"# A JSON string literal: quotes and backslashes escaped, anything outside printable ASCII as
# \uXXXX, so manifest.json is ASCII whatever a message or a file name holds.
function ConvertTo-LyncdrJsonString([string]$Text) {
    $out = New-Object System.Text.StringBuilder
    [void]$out.Append('"')
    foreach ($c in $Text.ToCharArray()) {
        $n = [int]$c
        if ($n -eq 34) { [void]$out.Append('\"') }
        elseif ($n -eq 92) { [void]$out.Append('\\') }
        elseif ($n -lt 32 -or $n -gt 126) { [void]$out.Append('\u' + $n.ToString('x4')) }
        else { [void]$out.Append($c) }
    }
    [void]$out.Append('"')
    $out.ToString()
}

function Get-LyncdrStringSha256([string]$Text) {
    $sha = New-Object System.Security.Cryptography.SHA256Managed
    $hash = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text))
    $sha.Clear()
    $hex = New-Object System.Text.StringBuilder
    foreach ($b in $hash) { [void]$hex.Append($b.ToString('x2')) }
    $hex.ToString()
}

# ASCII text to a file created new (never over a file or through a link someone put there).
function Write-LyncdrNewFile([string]$Path, [string]$Text) {
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
    $stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
    try {
        $stream.Write($bytes, 0, $bytes.Length)
        $stream.Flush()
    } finally {
        $stream.Close()
    }
}

# What a step added to the set: its files by name and its folders as NAME/ (FileStore/), every
# file sits at the top of a set; the job's own files are not a step's.
function Get-LyncdrEntries {
    $names = @()
    foreach ($item in @(Get-ChildItem -LiteralPath $LyncdrSet -Force)) {
        if (@('manifest.json', 'backup.log', 'SHA256SUMS', 'COMPLETE') -contains $item.Name) { continue }
        if ($item.Name.StartsWith('.lyncdr-tmp-')) { continue }
        if ($item.PSIsContainer) { $names += ($item.Name + '/') } else { $names += $item.Name }
    }
    $names
}

# A line of a step's output: on the console and in backup.log of the set (UTF-8).
function Write-LyncdrLog([string]$Line) {
    Write-Host $Line
    try {
        [System.IO.File]::AppendAllText((Join-Path $LyncdrSet 'backup.log'), $Line + "`r`n", (New-Object System.Text.UTF8Encoding $false))
    } catch {
        Write-Warning ('Could not write backup.log: ' + $_)
    }
}

# manifest.json replaced whole: a new temporary file, then File.Replace (ReplaceFile), so a
# reader finds the old manifest or the new one, never half of one.
function Write-LyncdrManifest([string]$Text) {
    $path = Join-Path $LyncdrSet 'manifest.json'
    $temporary = Join-Path $LyncdrSet ('.lyncdr-tmp-' + [Guid]::NewGuid().ToString('N'))
    Write-LyncdrNewFile $temporary $Text
    if (Test-Path -LiteralPath $path) {
        $old = Join-Path $LyncdrSet ('.lyncdr-tmp-' + [Guid]::NewGuid().ToString('N'))
        [System.IO.File]::Replace($temporary, $path, $old)
        [System.IO.File]::Delete($old)
    } else {
        [System.IO.File]::Move($temporary, $path)
    }
}

function Get-LyncdrTime([DateTime]$Time) {
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $Time.ToString('yyyy-MM-dd', $invariant) + 'T' + $Time.ToString('HH:mm:ss', $invariant) + 'Z'
}

# One step: its commands under $ErrorActionPreference = 'Stop'; any error is recorded with its
# text, and the job goes on with the next step.
function Invoke-LyncdrStep([string]$Id, [scriptblock]$Body) {
    Write-LyncdrLog ''
    Write-LyncdrLog ('== ' + $Id)
    $before = @(Get-LyncdrEntries)
    $status = 'ok'
    $detail = ''
    try {
        $global:LASTEXITCODE = 0
        & $Body | ForEach-Object { Write-LyncdrLog (($_ | Out-String).TrimEnd()) }
    } catch {
        $status = 'failed'
        $detail = ($_ | Out-String).Trim()
        Write-LyncdrLog ('FAILED: ' + $detail)
    }
    $files = [string[]]@(Get-LyncdrEntries | Where-Object { $before -notcontains $_ })
    if ($files.Count -gt 0) { [Array]::Sort($files, [System.StringComparer]::Ordinal) }
    $script:LyncdrSteps += ,(New-Object PSObject -Property @{ Id = $Id; Status = $status; Files = $files; Detail = $detail })
    if ($status -eq 'ok') { Write-LyncdrLog ('OK: ' + $Id) }
    Save-LyncdrProgress
}

# A step the plan skips (its condition does not hold here), recorded as lyncdr backup does.
function Add-LyncdrSkipped([string]$Id, [string]$Reason) {
    Write-LyncdrLog ('-- ' + $Id + ': skipped, ' + $Reason)
    $script:LyncdrSteps += ,(New-Object PSObject -Property @{ Id = $Id; Status = 'skipped'; Files = [string[]]@(); Detail = $Reason })
    Save-LyncdrProgress
}

# The manifest after a step (complete: false until the end), so a job killed at any point
# leaves a set that says it is incomplete.
function Save-LyncdrProgress {
    try {
        Write-LyncdrManifest (Get-LyncdrManifest $false)
    } catch {
        Write-Warning ('Could not update manifest.json: ' + $_)
    }
}

# A T-SQL command of the runbook with the set folder put where lyncdr rendered the placeholder
# (inside an N'...' literal, so its quotes are doubled), run as lyncdr run runs T-SQL: sqlcmd
# -E -b (an error gives exit code 1) -x (no sqlcmd variables) -i FILE, read as UTF-8.
function Invoke-LyncdrSql([string]$Server, [string]$Sql) {
    $text = $Sql.Replace($LyncdrPlaceholder, $LyncdrSet.Replace("'", "''"))
    $sqlcmd = @(Get-Command sqlcmd.exe -CommandType Application -ErrorAction SilentlyContinue)
    if ($sqlcmd.Count -eq 0) { throw 'sqlcmd.exe is not installed here: install the SQL Server command line utilities.' }
    $file = [System.IO.Path]::GetTempFileName()
    try {
        [System.IO.File]::WriteAllText($file, $text, (New-Object System.Text.UTF8Encoding $false))
        & $sqlcmd[0].Definition -S $Server -E -b -x -f 65001 -i $file
        if ($LASTEXITCODE -ne 0) { throw ('sqlcmd.exe failed with exit code ' + $LASTEXITCODE) }
    } finally {
        Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    }
}

# One line in the Application event log, source lyncdr, as lyncdr backup writes it (eventcreate
# creates the source on first use; Write-EventLog would need New-EventLog first), else in
# lyncdr-backup.log beside the sets.
function Write-LyncdrOutcome([string]$Message, [int]$EventId, [string]$Type) {
    Write-Host $Message
    try {
        $eventcreate = Join-Path ([System.Environment]::SystemDirectory) 'eventcreate.exe'
        & $eventcreate /T $Type /ID $EventId /L APPLICATION /SO lyncdr /D $Message | Out-Null
        if ($LASTEXITCODE -ne 0) { throw ('eventcreate failed with exit code ' + $LASTEXITCODE) }
    } catch {
        try {
            $line = (Get-LyncdrTime ([DateTime]::UtcNow)) + ' ' + $Message + [Environment]::NewLine
            [System.IO.File]::AppendAllText((Join-Path $To 'lyncdr-backup.log'), $line)
        } catch {
            Write-Warning ('Could not record the outcome in the event log or a log file: ' + $_)
        }
    }
}
"#;

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
            "Exit code: {EXIT_COMPLETE} complete set, {EXIT_INCOMPLETE} incomplete set (manifest.json names the failed steps), {EXIT_NOT_STARTED} no set could be started. One line in the Application event log (source lyncdr) says which."
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
    ps.code(format!("$LyncdrPlaceholder = {}", lit(PLACEHOLDER)));
    // As the bundle's step scripts: a native tool loads DLLs from its current folder first.
    ps.code(
        "# Native tools (robocopy, sqlcmd, DBImpExp, eventcreate) start in the Windows system folder, never",
    );
    ps.code("# in this script's folder, where a planted DLL could be what loads.");
    ps.code("# -To is made absolute first, so a relative -To still means the folder it was run from.");
    ps.code("if (Test-Path -LiteralPath $To) { $To = (Resolve-Path -LiteralPath $To).ProviderPath }");
    ps.code("Push-Location -LiteralPath ([System.Environment]::SystemDirectory)");
    ps.blank();
    ps.block(crate::bundle::FILE_SHA256);
    ps.blank();
    ps.block(FUNCTIONS);
    ps.blank();
    // The manifest's text from the steps recorded so far: a function, because the job writes
    // it at the start, after every step and at the end.
    ps.code("# manifest.json of docs/backup-set.md, built by hand: PowerShell 2.0 has no ConvertTo-Json.");
    ps.code("function Get-LyncdrManifest([bool]$Final) {");
    ps.code("    $stepsJson = @()");
    ps.code("    foreach ($s in $script:LyncdrSteps) {");
    ps.code("        $files = @($s.Files | ForEach-Object { ConvertTo-LyncdrJsonString $_ }) -join ', '");
    ps.code("        $json = '    { \"id\": ' + (ConvertTo-LyncdrJsonString $s.Id) + ', \"status\": ' + (ConvertTo-LyncdrJsonString $s.Status) + ', \"files\": [' + $files + ']'");
    ps.code("        if ($s.Status -ne 'ok') { $json += ', \"detail\": ' + (ConvertTo-LyncdrJsonString $s.Detail) }");
    ps.code("        $stepsJson += ($json + ' }')");
    ps.code("    }");
    ps.code("    $complete = $Final -and (@($script:LyncdrSteps | Where-Object { $_.Status -eq 'failed' }).Count -eq 0)");
    ps.code("    $list = ''");
    ps.code("    if ($stepsJson.Count -gt 0) { $list = \"`n\" + ($stepsJson -join \",`n\") + \"`n  \" }");
    ps.code("    \"{`n\" +");
    ps.code(format!("    '  \"lyncdr_backup_set\": {SET_FORMAT},' + \"`n\" +"));
    ps.code(format!(
        "    '  \"lyncdr_version\": ' + (ConvertTo-LyncdrJsonString {}) + \",`n\" +",
        lit(env!("CARGO_PKG_VERSION"))
    ));
    ps.code("    '  \"host\": ' + (ConvertTo-LyncdrJsonString $env:COMPUTERNAME) + \",`n\" +");
    ps.code("    '  \"started\": ' + (ConvertTo-LyncdrJsonString (Get-LyncdrTime $started)) + \",`n\" +");
    ps.code("    '  \"finished\": ' + (ConvertTo-LyncdrJsonString (Get-LyncdrTime ([DateTime]::UtcNow))) + \",`n\" +");
    ps.code(format!(
        "    '  \"environment\": {{ \"file\": ' + (ConvertTo-LyncdrJsonString {}) + ', \"sha256\": ' + (ConvertTo-LyncdrJsonString {}) + ', \"deployment\": ' + (ConvertTo-LyncdrJsonString {}) + \" }},`n\" +",
        lit(&config.env_file),
        lit(&config.env_sha256),
        lit(plan.deployment.as_deref().unwrap_or_default())
    ));
    if let Some(w) = &config.whose {
        ps.code(format!(
            "    '  \"pool\": ' + (ConvertTo-LyncdrJsonString {}) + ',' + \"`n\" +",
            lit(&w.pool)
        ));
        ps.code(format!(
            "    '  \"sql_server\": ' + (ConvertTo-LyncdrJsonString {}) + ',' + \"`n\" +",
            lit(&w.sql_server)
        ));
    }
    ps.code("    '  \"steps\": [' + $list + \"],`n\" +");
    ps.code("    '  \"complete\": ' + $complete.ToString().ToLowerInvariant() + \"`n}`n\"");
    ps.code("}");
    ps.blank();
    ps.code(
        "# ---- the set folder: new, or nothing is written; its manifest says incomplete from the start ----",
    );
    ps.code("$started = [DateTime]::UtcNow");
    ps.code("$invariant = [System.Globalization.CultureInfo]::InvariantCulture");
    ps.code("$name = 'lyncdr-' + $started.ToString('yyyyMMdd-HHmmss', $invariant) + 'Z'");
    ps.code("$script:LyncdrSteps = @()");
    ps.code("try {");
    ps.code("    if (-not (Test-Path -LiteralPath $To -PathType Container)) { throw ('The folder for the sets does not exist: ' + $To) }");
    ps.code("    $LyncdrSet = Join-Path $To $name");
    ps.code("    if (Test-Path -LiteralPath $LyncdrSet) { throw ('The set folder exists already: ' + $LyncdrSet) }");
    ps.code("    [void][System.IO.Directory]::CreateDirectory($LyncdrSet)");
    ps.code("    Write-LyncdrManifest (Get-LyncdrManifest $false)");
    ps.code("} catch {");
    ps.code(format!(
        "    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': not ready; no set could be started: ' + $_ + ' (' + $To + ')') 102 'ERROR'\n    exit {EXIT_NOT_STARTED}"
    ));
    ps.code("}");
    ps.code("Write-LyncdrLog ('Backup set: ' + $LyncdrSet)");
    ps.blank();
    ps.code("# The Lync cmdlets: PowerShell 2.0 has no module auto-loading, and -NoProfile skips what the");
    ps.code("# Management Shell loads. Without them the Lync steps fail and are recorded; the others run.");
    ps.code("try {");
    for line in crate::wrapper::load_lync(crate::wrapper::Missing::Fail).lines() {
        ps.code(format!("    {line}"));
    }
    ps.code("} catch {");
    ps.code("    Write-LyncdrLog ('The Lync Server module could not be loaded: ' + $_)");
    ps.code("}");
    for item in items {
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
    ps.blank();
    ps.code("# ---- the final manifest.json, SHA256SUMS, then COMPLETE last ----");
    ps.code("$failed = @($script:LyncdrSteps | Where-Object { $_.Status -eq 'failed' } | ForEach-Object { $_.Id }) -join ', '");
    ps.code("$outcome = 'complete'");
    ps.code("if ($failed) { $outcome = 'incomplete' }");
    ps.code("try {");
    ps.code("    $manifest = Get-LyncdrManifest $true");
    ps.code("    Write-LyncdrManifest $manifest");
    ps.code("    # Every file but SHA256SUMS and COMPLETE, in sha256sum's format, sorted by ordinal name.");
    ps.code("    $root = (Get-Item -LiteralPath $LyncdrSet).FullName.TrimEnd('\\')");
    ps.code("    $names = @(Get-ChildItem -LiteralPath $root -Recurse -Force | Where-Object { -not $_.PSIsContainer } | ForEach-Object { $_.FullName.Substring($root.Length + 1).Replace('\\', '/') } | Where-Object { $_ -ne 'SHA256SUMS' -and $_ -ne 'COMPLETE' })");
    ps.code("    $names = [string[]]$names");
    ps.code("    if ($names.Count -gt 0) { [Array]::Sort($names, [System.StringComparer]::Ordinal) }");
    ps.code("    $sums = New-Object System.Text.StringBuilder");
    ps.code("    foreach ($n in $names) {");
    ps.code("        [void]$sums.Append((Get-LyncdrSha256 (Join-Path $root $n.Replace('/', '\\'))) + '  ' + $n + \"`n\")");
    ps.code("    }");
    ps.code("    Write-LyncdrNewFile (Join-Path $LyncdrSet 'SHA256SUMS') $sums.ToString()");
    ps.code("    if ($outcome -eq 'complete') {");
    ps.code(format!(
        "        $marker = 'lyncdr backup set {SET_FORMAT}' + \"`n\" + 'manifest ' + (Get-LyncdrStringSha256 $manifest) + \"`n\" + 'sums ' + (Get-LyncdrStringSha256 $sums.ToString()) + \"`n\""
    ));
    ps.code(
        "        # A new temporary file, then a rename: COMPLETE is whole or absent, never half written.",
    );
    ps.code("        $temporary = Join-Path $LyncdrSet ('.lyncdr-tmp-' + [Guid]::NewGuid().ToString('N'))");
    ps.code("        Write-LyncdrNewFile $temporary $marker");
    ps.code("        [System.IO.File]::Move($temporary, (Join-Path $LyncdrSet 'COMPLETE'))");
    ps.code("    }");
    ps.code("} catch {");
    ps.code("    $outcome = 'incomplete'");
    ps.code("    $failed = 'writing the manifest, sums or marker: ' + $_");
    ps.code("}");
    ps.blank();
    ps.code("# One line, as lyncdr backup writes it; this script cannot audit the set: lyncdr audit does.");
    ps.code("if ($outcome -eq 'complete') {");
    ps.code(format!(
        "    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': complete, not audited (run lyncdr audit) (' + $LyncdrSet + ')') 100 'INFORMATION'\n    exit {EXIT_COMPLETE}"
    ));
    ps.code("}");
    ps.code(format!(
        "Write-LyncdrOutcome ('lyncdr backup ' + $name + ': not ready; set incomplete, failed step(s): ' + $failed + ' (' + $LyncdrSet + ')') 102 'ERROR'\nexit {EXIT_INCOMPLETE}"
    ));
    ps.into_string()
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
            "Exit code: {EXIT_COMPLETE} complete set, {EXIT_INCOMPLETE} incomplete set, {EXIT_NOT_STARTED} no set could be started; the same outcome as one line in the Application event log (source lyncdr, event 100 for a complete set, 102 otherwise, as lyncdr backup writes them), or in lyncdr-backup.log beside the sets where eventcreate fails."
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
