//! `lyncdr backup --script DIR`: the backup job as a reviewed Windows PowerShell 2.0 script
//! folder, for sites where lyncdr cannot run on the servers.
//!
//! The plan of the `backup` runbook (its steps rendered for the environment, as `run` renders
//! them) -> `Backup-Lync.ps1`: the set folder (docs/backup-set.md) created new, each step's
//! commands in one step runner (the step wrapper's rules: `$ErrorActionPreference = 'Stop'`,
//! the Lync module loaded, an error recorded rather than ending the job), then `manifest.json`,
//! `SHA256SUMS` and `COMPLETE` written by PowerShell 2.0 itself -> the bundle's folder rules
//! ([`crate::bundle::folder_files`]: CRLF, ASCII or UTF-8 with a BOM, `SHA256SUMS`, PowerShell 2.0
//! checked) -> written atomically. Nothing depends on the time or the machine: the same inputs
//! give the same bytes.

use crate::bundle::text::{Ps, comment_line, lines};
use crate::bundle::{self, BundleError, BundleFile};
use crate::escape;
use crate::render::plan::{Kind, Plan, PlannedStep};
use crate::runbook::Language;
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
/// Exit codes of `Backup-Lync.ps1`.
pub const EXIT_COMPLETE: u8 = 0;
pub const EXIT_INCOMPLETE: u8 = 1;
pub const EXIT_NOT_STARTED: u8 = 3;

/// What the script is made for, besides the plan.
#[derive(Debug, Clone)]
pub struct ScriptConfig {
    /// Where the sets go, as the Front End and the SQL Server service see it (`--to`).
    pub to: String,
    /// The environment file's name, and the SHA-256 of its bytes, for the manifest.
    pub env_file: String,
    pub env_sha256: String,
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
        let mut steps = Vec::new();
        let mut omitted = Vec::new();
        for step in plan.steps.iter().filter(|s| matches!(s.kind, Kind::Action)) {
            if step.skipped {
                omitted.push((
                    step.id.clone(),
                    step.reason.clone().unwrap_or_else(|| "not applicable".into()),
                ));
                continue;
            }
            if let Some(c) = step
                .commands
                .iter()
                .find(|c| !c.alternative && c.language != Language::Powershell)
            {
                return Err(BundleError::Unrendered {
                    step: step.id.clone(),
                    reason: format!(
                        "a backup step runs PowerShell only (it found {:?}); run T-SQL through sqlcmd from PowerShell",
                        c.language
                    ),
                });
            }
            if step
                .commands
                .iter()
                .any(|c| c.text.contains(crate::escape::UNSAFE))
            {
                return Err(BundleError::Unrendered {
                    step: step.id.clone(),
                    reason: "a value cannot be written safely".into(),
                });
            }
            steps.push(step);
        }
        let texts = vec![
            (SCRIPT.to_owned(), script(plan, config, &steps, &omitted)),
            (README.to_owned(), readme(plan, config, &steps, &omitted)),
        ];
        bundle::check_powershell_2(&texts)?;
        Ok(ScriptFolder {
            files: bundle::folder_files(texts),
            steps: steps.iter().map(|s| s.id.clone()).collect(),
            omitted,
        })
    }

    pub fn file(&self, name: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.name == name)
    }

    pub fn sums_sha256(&self) -> String {
        bundle::sums::sha256_hex(self.file(bundle::sums::FILE).map_or(&[][..], |f| &f.bytes))
    }

    /// Write the folder `out` atomically; an earlier script folder there is replaced, anything
    /// else is refused.
    pub fn write(&self, out: &Path) -> Result<(), BundleError> {
        bundle::folder::write_as(out, &self.files, SCRIPT, MARKER)
    }
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

# SHA-256 of a file, read as a stream in 128 KiB blocks (a .bak of many GiB never sits in memory).
function Get-LyncdrSha256([string]$Path) {
    $sha = New-Object System.Security.Cryptography.SHA256Managed
    $stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read, 131072)
    try {
        $hash = $sha.ComputeHash($stream)
    } finally {
        $stream.Close()
        $sha.Clear()
    }
    $hex = New-Object System.Text.StringBuilder
    foreach ($b in $hash) { [void]$hex.Append($b.ToString('x2')) }
    $hex.ToString()
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

# The entries of the set, relative, with / between names: the files at the top and in its
# folders (one level down), and each folder as NAME/. A step's files are the entries that
# appeared while it ran; a folder that appeared counts as NAME/ alone (FileStore/).
function Get-LyncdrEntries {
    $names = @()
    foreach ($item in @(Get-ChildItem -LiteralPath $LyncdrSet -Force)) {
        if ($item.PSIsContainer) {
            $names += ($item.Name + '/')
            foreach ($child in @(Get-ChildItem -LiteralPath $item.FullName -Force)) {
                $names += ($item.Name + '/' + $child.Name)
            }
        } else {
            $names += $item.Name
        }
    }
    $names
}

function Get-LyncdrTime([DateTime]$Time) {
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $Time.ToString('yyyy-MM-dd', $invariant) + 'T' + $Time.ToString('HH:mm:ss', $invariant) + 'Z'
}

# One step: its commands under $ErrorActionPreference = 'Stop'; any error is recorded with its
# text, and the job goes on with the next step.
function Invoke-LyncdrStep([string]$Id, [scriptblock]$Body) {
    Write-Host ''
    Write-Host ('== ' + $Id) -ForegroundColor Cyan
    $before = @(Get-LyncdrEntries)
    $status = 'ok'
    $detail = ''
    try {
        $global:LASTEXITCODE = 0
        & $Body
    } catch {
        $status = 'failed'
        $detail = ($_ | Out-String).Trim()
        Write-Host ('FAILED: ' + $detail) -ForegroundColor Red
    }
    $new = @(Get-LyncdrEntries | Where-Object { $before -notcontains $_ })
    $folders = @($new | Where-Object { $_.EndsWith('/') })
    $files = @($new | Where-Object { $entry = $_; -not $entry.EndsWith('/') -and -not @($folders | Where-Object { $entry.StartsWith($_) }).Count })
    $files = [string[]]($folders + $files)
    if ($files.Count -gt 0) { [Array]::Sort($files, [System.StringComparer]::Ordinal) }
    $script:LyncdrSteps += ,(New-Object PSObject -Property @{ Id = $Id; Status = $status; Files = $files; Detail = $detail })
    if ($status -eq 'ok') { Write-Host ('OK: ' + $Id) -ForegroundColor Green }
}

# The Application event log where this account may write to it (the source is registered once,
# which needs an administrator), else a line in lyncdr-backup.log beside the sets.
function Write-LyncdrOutcome([string]$Message, [int]$EventId, [string]$EntryType) {
    Write-Host $Message
    try {
        if (-not [System.Diagnostics.EventLog]::SourceExists('lyncdr')) {
            New-EventLog -LogName Application -Source 'lyncdr'
        }
        Write-EventLog -LogName Application -Source 'lyncdr' -EventId $EventId -EntryType $EntryType -Message $Message
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

fn header(
    ps: &mut Ps,
    plan: &Plan,
    config: &ScriptConfig,
    steps: &[&PlannedStep],
    omitted: &[(String, String)],
) {
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
        "Each run writes one backup set (docs/backup-set.md of lyncdr) into a new folder lyncdr-YYYYMMDD-HHMMSSZ (UTC) under -To: the steps below, each recorded ok or failed (a failed step does not stop the others), then manifest.json, SHA256SUMS over every file, and COMPLETE last (temporary file, then rename) when every step is ok. A set without COMPLETE is never taken for a good one.",
    );
    ps.code("#");
    ps.comment("", "Steps:");
    for s in steps {
        ps.item("  - ", "    ", &format!("{}: {}", s.id, s.title));
    }
    if !omitted.is_empty() {
        ps.comment("", "Left out (not applicable to this environment):");
        for (id, reason) in omitted {
            ps.item("  - ", "    ", &format!("{id}: {reason}"));
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

fn script(
    plan: &Plan,
    config: &ScriptConfig,
    steps: &[&PlannedStep],
    omitted: &[(String, String)],
) -> String {
    let mut ps = Ps::new();
    header(&mut ps, plan, config, steps, omitted);
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
    ps.block(FUNCTIONS);
    ps.blank();
    ps.code("# ---- the set folder: new, or nothing is written ----");
    ps.code("$started = [DateTime]::UtcNow");
    ps.code("$invariant = [System.Globalization.CultureInfo]::InvariantCulture");
    ps.code("$name = 'lyncdr-' + $started.ToString('yyyyMMdd-HHmmss', $invariant) + 'Z'");
    ps.code("try {");
    ps.code("    if (-not (Test-Path -LiteralPath $To -PathType Container)) { throw ('The folder for the sets does not exist: ' + $To) }");
    ps.code("    $LyncdrSet = Join-Path $To $name");
    ps.code("    if (Test-Path -LiteralPath $LyncdrSet) { throw ('The set folder exists already: ' + $LyncdrSet) }");
    ps.code("    [void][System.IO.Directory]::CreateDirectory($LyncdrSet)");
    ps.code("    [void][System.IO.Directory]::CreateDirectory((Join-Path $LyncdrSet 'sql'))");
    ps.code("} catch {");
    ps.code(format!(
        "    Write-LyncdrOutcome ('lyncdr backup: no set was started: ' + $_) 102 'Error'\n    exit {EXIT_NOT_STARTED}"
    ));
    ps.code("}");
    ps.code("Write-Host ('Backup set: ' + $LyncdrSet)");
    ps.code("$script:LyncdrSteps = @()");
    ps.blank();
    ps.code("# The Lync cmdlets: PowerShell 2.0 has no module auto-loading, and -NoProfile skips what the");
    ps.code("# Management Shell loads. Without them the Lync steps fail and are recorded; the others run.");
    ps.code("try {");
    for line in crate::wrapper::load_lync(crate::wrapper::Missing::Fail).lines() {
        ps.code(format!("    {line}"));
    }
    ps.code("} catch {");
    ps.code("    Write-Warning ('The Lync Server module could not be loaded: ' + $_)");
    ps.code("}");
    for step in steps {
        ps.blank();
        ps.code(comment_line("---- ", &format!("{} ----", step.title)));
        ps.code(format!("Invoke-LyncdrStep {} {{", lit(&step.id)));
        for c in step.commands.iter().filter(|c| !c.alternative) {
            for line in c.text.replace("\r\n", "\n").trim_end_matches('\n').split('\n') {
                if line.trim().is_empty() {
                    ps.blank();
                } else {
                    ps.code(format!("    {line}"));
                }
            }
        }
        ps.code("}");
    }
    ps.blank();
    ps.code("# ---- manifest.json, SHA256SUMS, then COMPLETE last ----");
    ps.code("$finished = [DateTime]::UtcNow");
    ps.code("$complete = @($script:LyncdrSteps | Where-Object { $_.Status -ne 'ok' }).Count -eq 0");
    ps.code("$stepsJson = @()");
    ps.code("foreach ($s in $script:LyncdrSteps) {");
    ps.code("    $files = @($s.Files | ForEach-Object { ConvertTo-LyncdrJsonString $_ }) -join ', '");
    ps.code("    $json = '    { \"id\": ' + (ConvertTo-LyncdrJsonString $s.Id) + ', \"status\": ' + (ConvertTo-LyncdrJsonString $s.Status) + ', \"files\": [' + $files + ']'");
    ps.code(
        "    if ($s.Status -ne 'ok') { $json += ', \"detail\": ' + (ConvertTo-LyncdrJsonString $s.Detail) }",
    );
    ps.code("    $stepsJson += ($json + ' }')");
    ps.code("}");
    ps.code("$manifest = \"{`n\" +");
    ps.code(format!("    '  \"lyncdr_backup_set\": {SET_FORMAT},' + \"`n\" +"));
    ps.code(format!(
        "    '  \"lyncdr_version\": ' + (ConvertTo-LyncdrJsonString {}) + \",`n\" +",
        lit(env!("CARGO_PKG_VERSION"))
    ));
    ps.code("    '  \"host\": ' + (ConvertTo-LyncdrJsonString $env:COMPUTERNAME) + \",`n\" +");
    ps.code("    '  \"started\": ' + (ConvertTo-LyncdrJsonString (Get-LyncdrTime $started)) + \",`n\" +");
    ps.code("    '  \"finished\": ' + (ConvertTo-LyncdrJsonString (Get-LyncdrTime $finished)) + \",`n\" +");
    ps.code(format!(
        "    '  \"environment\": {{ \"file\": ' + (ConvertTo-LyncdrJsonString {}) + ', \"sha256\": ' + (ConvertTo-LyncdrJsonString {}) + ', \"deployment\": ' + (ConvertTo-LyncdrJsonString {}) + \" }},`n\" +",
        lit(&config.env_file),
        lit(&config.env_sha256),
        lit(plan.deployment.as_deref().unwrap_or_default())
    ));
    ps.code("    '  \"steps\": [' + \"`n\" + ($stepsJson -join \",`n\") + \"`n  ],`n\" +");
    ps.code("    '  \"complete\": ' + $complete.ToString().ToLowerInvariant() + \"`n}`n\"");
    ps.code("$outcome = 'complete'");
    ps.code("try {");
    ps.code("    Write-LyncdrNewFile (Join-Path $LyncdrSet 'manifest.json') $manifest");
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
    ps.code("    if ($complete) {");
    ps.code(format!(
        "        $marker = 'lyncdr backup set {SET_FORMAT}' + \"`n\" + 'manifest ' + (Get-LyncdrStringSha256 $manifest) + \"`n\" + 'sums ' + (Get-LyncdrStringSha256 $sums.ToString()) + \"`n\""
    ));
    ps.code(
        "        # A new temporary file, then a rename: COMPLETE is whole or absent, never half written.",
    );
    ps.code("        $temporary = Join-Path $LyncdrSet ('COMPLETE.tmp-' + [Guid]::NewGuid().ToString('N'))");
    ps.code("        Write-LyncdrNewFile $temporary $marker");
    ps.code("        [System.IO.File]::Move($temporary, (Join-Path $LyncdrSet 'COMPLETE'))");
    ps.code("    } else {");
    ps.code("        $outcome = 'incomplete'");
    ps.code("    }");
    ps.code("} catch {");
    ps.code("    $outcome = 'incomplete'");
    ps.code("    Write-Host ('FAILED: writing the manifest, sums or marker: ' + $_) -ForegroundColor Red");
    ps.code("}");
    ps.blank();
    ps.code("if ($outcome -eq 'complete') {");
    ps.code(format!(
        "    Write-LyncdrOutcome ('lyncdr backup: complete set ' + $LyncdrSet + '; check it with lyncdr audit') 100 'Information'\n    exit {EXIT_COMPLETE}"
    ));
    ps.code("}");
    ps.code("$failed = @($script:LyncdrSteps | Where-Object { $_.Status -ne 'ok' } | ForEach-Object { $_.Id }) -join ', '");
    ps.code(format!(
        "Write-LyncdrOutcome ('lyncdr backup: INCOMPLETE set ' + $LyncdrSet + '; failed: ' + $failed) 101 'Error'\nexit {EXIT_INCOMPLETE}"
    ));
    ps.into_string()
}

fn readme(
    plan: &Plan,
    config: &ScriptConfig,
    steps: &[&PlannedStep],
    omitted: &[(String, String)],
) -> String {
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
    for s in steps {
        out.push_str(&format!("  - {}: {}\n", s.id, lines(&s.title).join(" ")));
    }
    out.push('\n');
    if !omitted.is_empty() {
        para(&mut out, "Left out, not applicable to this environment:");
        for (id, reason) in omitted {
            out.push_str(&format!("  - {id}: {}\n", lines(reason).join(" ")));
        }
        out.push('\n');
    }
    para(
        &mut out,
        "Each set holds the backups under fixed names, manifest.json (what was taken, from which server, when, each step's status), SHA256SUMS over every file (computed by the script with SHA256Managed, a file at a time as a stream), and COMPLETE, written last through a temporary file and a rename, only when every step succeeded. A set without COMPLETE is incomplete: kept for inspection, never the one a recovery takes.",
    );
    para(
        &mut out,
        &format!(
            "Exit code: {EXIT_COMPLETE} complete set, {EXIT_INCOMPLETE} incomplete set, {EXIT_NOT_STARTED} no set could be started; the same outcome as one line in the Application event log (source lyncdr, event 100, 101 or 102), or in lyncdr-backup.log beside the sets where the source cannot be registered."
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
        "Then check the set from anywhere: lyncdr audit FOLDER-OF-SETS",
    );
    out.trim_end().to_owned() + "\n"
}
