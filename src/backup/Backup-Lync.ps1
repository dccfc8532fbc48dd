# Backup-Lync.ps1's code, the same in every script lyncdr backup --script writes: a PowerShell
# file of its own (src/backup/Backup-Lync.ps1, built into lyncdr), so it is read, parsed and
# checked as PowerShell 2.0. The generated part above it sets $To, the job's values
# ($LyncdrPlaceholder, $LyncdrSetFormat, $LyncdrVersion, $LyncdrEnvironmentFile,
# $LyncdrEnvironmentSha256, $LyncdrDeployment, $LyncdrPool, $LyncdrSqlServer, $LyncdrLockFile,
# $LyncdrClockTolerance, the $LyncdrExit* codes), $LyncdrLoadLync (loads the Lync cmdlets) and
# $LyncdrJob (the steps), each value a PowerShell literal written by lyncdr's one escaping
# function.

# Native tools (robocopy, sqlcmd, DBImpExp, eventcreate) start in the Windows system folder, never
# in this script's folder, where a planted DLL could be what loads.
# -To is made absolute first, so a relative -To still means the folder it was run from.
if (Test-Path -LiteralPath $To) { $To = (Resolve-Path -LiteralPath $To).ProviderPath }
Push-Location -LiteralPath ([System.Environment]::SystemDirectory)

# A JSON string literal: quotes and backslashes escaped, anything outside printable ASCII as
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

# One job per folder of sets, as lyncdr backup: the lock on -To's lock file, taken before the
# set folder is made and held until the job ends (a job that dies releases it). The operating
# system's lock (FileStream.Lock: LockFile, which SMB shares honour), over the whole file as
# lyncdr locks it (LockFileEx), so a lyncdr job and this script also exclude each other; the
# file stays and names the last holder. $null when another job holds it.
function Lock-LyncdrFolder([string]$Path, [string]$Holder) {
    # Never through a link planted at its name (PowerShell 2.0 cannot open without following
    # one: checked just before the open).
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue
    if ($item -and (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0 -or $item.PSIsContainer)) {
        throw ('The lock file is a link or a folder: ' + $Path)
    }
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::OpenOrCreate, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::ReadWrite)
    try {
        $stream.Lock(0, [long]::MaxValue)
    } catch {
        $stream.Close()
        # Another holder is a lock violation (an IOException, wrapped by the method call).
        $e = $_.Exception
        if ($e -is [System.Management.Automation.MethodInvocationException] -and $e.InnerException) { $e = $e.InnerException }
        if ($e -is [System.IO.IOException]) { return $null }
        throw $_
    }
    $bytes = [System.Text.Encoding]::ASCII.GetBytes($Holder)
    $stream.SetLength(0)
    $stream.Write($bytes, 0, $bytes.Length)
    $stream.Flush()
    $stream
}

# The set folders under -To named more than $LyncdrClockTolerance after now (a clock that was
# ahead, or a folder someone else made): kept, and reported as lyncdr backup reports them.
function Get-LyncdrFutureSets([DateTime]$Now) {
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $styles = [System.Globalization.DateTimeStyles]::AssumeUniversal -bor [System.Globalization.DateTimeStyles]::AdjustToUniversal
    foreach ($item in @(Get-ChildItem -LiteralPath $To -Force -ErrorAction SilentlyContinue)) {
        if (-not $item.PSIsContainer -or $item.Name -notmatch '^lyncdr-[0-9]{8}-[0-9]{6}Z$') { continue }
        $time = [DateTime]::MinValue
        if (-not [DateTime]::TryParseExact($item.Name.Substring(7, 15), 'yyyyMMdd-HHmmss', $invariant, $styles, [ref]$time)) { continue }
        if ($time -gt $Now.Add($LyncdrClockTolerance)) { $item.Name }
    }
}

# manifest.json of docs/backup-set.md, built by hand: PowerShell 2.0 has no ConvertTo-Json.
function Get-LyncdrManifest([bool]$Final) {
    $stepsJson = @()
    foreach ($s in $script:LyncdrSteps) {
        $files = @($s.Files | ForEach-Object { ConvertTo-LyncdrJsonString $_ }) -join ', '
        $json = '    { "id": ' + (ConvertTo-LyncdrJsonString $s.Id) + ', "status": ' + (ConvertTo-LyncdrJsonString $s.Status) + ', "files": [' + $files + ']'
        if ($s.Status -ne 'ok') { $json += ', "detail": ' + (ConvertTo-LyncdrJsonString $s.Detail) }
        $stepsJson += ($json + ' }')
    }
    $complete = $Final -and (@($script:LyncdrSteps | Where-Object { $_.Status -eq 'failed' }).Count -eq 0)
    $list = ''
    if ($stepsJson.Count -gt 0) { $list = "`n" + ($stepsJson -join ",`n") + "`n  " }
    $whose = ''
    if ($null -ne $LyncdrPool) {
        $whose = '  "pool": ' + (ConvertTo-LyncdrJsonString $LyncdrPool) + ',' + "`n" +
            '  "sql_server": ' + (ConvertTo-LyncdrJsonString $LyncdrSqlServer) + ',' + "`n"
    }
    "{`n" +
    '  "lyncdr_backup_set": ' + $LyncdrSetFormat + ',' + "`n" +
    '  "lyncdr_version": ' + (ConvertTo-LyncdrJsonString $LyncdrVersion) + ",`n" +
    '  "host": ' + (ConvertTo-LyncdrJsonString $env:COMPUTERNAME) + ",`n" +
    '  "started": ' + (ConvertTo-LyncdrJsonString (Get-LyncdrTime $started)) + ",`n" +
    '  "finished": ' + (ConvertTo-LyncdrJsonString (Get-LyncdrTime ([DateTime]::UtcNow))) + ",`n" +
    '  "environment": { "file": ' + (ConvertTo-LyncdrJsonString $LyncdrEnvironmentFile) + ', "sha256": ' + (ConvertTo-LyncdrJsonString $LyncdrEnvironmentSha256) + ', "deployment": ' + (ConvertTo-LyncdrJsonString $LyncdrDeployment) + " },`n" +
    $whose +
    '  "steps": [' + $list + "],`n" +
    '  "complete": ' + $complete.ToString().ToLowerInvariant() + "`n}`n"
}

# ---- the set folder: new, or nothing is written; its manifest says incomplete from the start ----
$started = [DateTime]::UtcNow
$invariant = [System.Globalization.CultureInfo]::InvariantCulture
$name = 'lyncdr-' + $started.ToString('yyyyMMdd-HHmmss', $invariant) + 'Z'
$script:LyncdrSteps = @()
$LyncdrLock = $null
try {
    if (-not (Test-Path -LiteralPath $To -PathType Container)) { throw ('The folder for the sets does not exist: ' + $To) }
    $lockPath = Join-Path $To $LyncdrLockFile
    $LyncdrLock = Lock-LyncdrFolder $lockPath ($env:COMPUTERNAME + ' process ' + $PID + ' since ' + (Get-LyncdrTime $started))
} catch {
    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': not ready; no set could be started: ' + $_ + ' (' + $To + ')') 102 'ERROR'
    exit $LyncdrExitNotStarted
}
if ($null -eq $LyncdrLock) {
    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': not ready; no set was taken: another backup job is writing to ' + $To + ' (' + $lockPath + ' is locked); one job per folder of sets at a time') 102 'ERROR'
    exit $LyncdrExitBusy
}
try {
    $LyncdrSet = Join-Path $To $name
    if (Test-Path -LiteralPath $LyncdrSet) { throw ('The set folder exists already: ' + $LyncdrSet) }
    [void][System.IO.Directory]::CreateDirectory($LyncdrSet)
    # CreateDirectory also succeeds on a folder that is there: one planted since the test above
    # (a link elsewhere, or a folder with files in it) is refused, never filled and completed.
    $made = Get-Item -LiteralPath $LyncdrSet -Force
    if (($made.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0 -or @(Get-ChildItem -LiteralPath $LyncdrSet -Force).Count -ne 0) {
        throw ('The set folder was not made new (a link, or files in it): ' + $LyncdrSet)
    }
    Write-LyncdrManifest (Get-LyncdrManifest $false)
} catch {
    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': not ready; no set could be started: ' + $_ + ' (' + $To + ')') 102 'ERROR'
    exit $LyncdrExitNotStarted
}
Write-LyncdrLog ('Backup set: ' + $LyncdrSet)

# The Lync cmdlets: PowerShell 2.0 has no module auto-loading, and -NoProfile skips what the
# Management Shell loads. Without them the Lync steps fail and are recorded; the others run.
try {
    . $LyncdrLoadLync
} catch {
    Write-LyncdrLog ('The Lync Server module could not be loaded: ' + $_)
}

# The steps, in the script's own scope (dot-sourced), each through Invoke-LyncdrStep.
. $LyncdrJob

# ---- the final manifest.json, SHA256SUMS, then COMPLETE last ----
$failed = @($script:LyncdrSteps | Where-Object { $_.Status -eq 'failed' } | ForEach-Object { $_.Id }) -join ', '
$outcome = 'complete'
if ($failed) { $outcome = 'incomplete' }
try {
    $manifest = Get-LyncdrManifest $true
    Write-LyncdrManifest $manifest
    # Every file but SHA256SUMS and COMPLETE, in sha256sum's format, sorted by ordinal name.
    $root = (Get-Item -LiteralPath $LyncdrSet).FullName.TrimEnd('\')
    $names = @(Get-ChildItem -LiteralPath $root -Recurse -Force | Where-Object { -not $_.PSIsContainer } | ForEach-Object { $_.FullName.Substring($root.Length + 1).Replace('\', '/') } | Where-Object { $_ -ne 'SHA256SUMS' -and $_ -ne 'COMPLETE' })
    $names = [string[]]$names
    if ($names.Count -gt 0) { [Array]::Sort($names, [System.StringComparer]::Ordinal) }
    $sums = New-Object System.Text.StringBuilder
    foreach ($n in $names) {
        [void]$sums.Append((Get-LyncdrSha256 (Join-Path $root $n.Replace('/', '\'))) + '  ' + $n + "`n")
    }
    Write-LyncdrNewFile (Join-Path $LyncdrSet 'SHA256SUMS') $sums.ToString()
    if ($outcome -eq 'complete') {
        $marker = 'lyncdr backup set ' + $LyncdrSetFormat + "`n" + 'manifest ' + (Get-LyncdrStringSha256 $manifest) + "`n" + 'sums ' + (Get-LyncdrStringSha256 $sums.ToString()) + "`n"
        # A new temporary file, then a rename: COMPLETE is whole or absent, never half written.
        $temporary = Join-Path $LyncdrSet ('.lyncdr-tmp-' + [Guid]::NewGuid().ToString('N'))
        Write-LyncdrNewFile $temporary $marker
        [System.IO.File]::Move($temporary, (Join-Path $LyncdrSet 'COMPLETE'))
    }
} catch {
    $outcome = 'incomplete'
    $failed = 'writing the manifest, sums or marker: ' + $_
}

# "Complete" only of a set still complete on disk (lyncdr backup says the same).
if ($outcome -eq 'complete' -and -not (Test-Path -LiteralPath (Join-Path $LyncdrSet 'COMPLETE') -PathType Leaf)) {
    $outcome = 'incomplete'
    $failed = 'the set is no longer complete on disk'
}
# A set named in the future is reported on every run, as lyncdr backup reports it.
$future = @(Get-LyncdrFutureSets ([DateTime]::UtcNow))
$notes = ''
if ($future.Count -gt 0) { $notes = '; set(s) named in the future, kept, never the newest: ' + ($future -join ', ') }

# One line, as lyncdr backup writes it; this script cannot audit the set: lyncdr audit does.
# A set named in the future makes the night degraded, as it makes lyncdr backup's (101).
if ($outcome -eq 'complete' -and $future.Count -gt 0) {
    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': degraded; complete, not audited (run lyncdr audit)' + $notes + ' (' + $LyncdrSet + ')') 101 'WARNING'
    exit $LyncdrExitDegraded
}
if ($outcome -eq 'complete') {
    Write-LyncdrOutcome ('lyncdr backup ' + $name + ': complete, not audited (run lyncdr audit) (' + $LyncdrSet + ')') 100 'INFORMATION'
    exit $LyncdrExitComplete
}
Write-LyncdrOutcome ('lyncdr backup ' + $name + ': not ready; set incomplete, failed step(s): ' + $failed + $notes + ' (' + $LyncdrSet + ')') 102 'ERROR'
exit $LyncdrExitIncomplete
