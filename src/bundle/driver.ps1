# ---------------------------------------------------------------------------------------------
# Functions (the same in every bundle)

function ConvertTo-Hex([byte[]]$Hash) {
    $hex = New-Object System.Text.StringBuilder
    foreach ($byte in $Hash) { [void]$hex.Append($byte.ToString('x2')) }
    $hex.ToString()
}

function Get-BytesSha256Hex([byte[]]$Bytes) {
    $sha = New-Object System.Security.Cryptography.SHA256Managed
    ConvertTo-Hex ($sha.ComputeHash($Bytes))
}

# The rule lyncdr applies too (verify_sums): every listed file has its listed SHA-256; this
# script, README.txt and every step file are listed; nothing else lies in the folder, whatever
# its kind (a sqlcmd.bat, version.dll or Lync.psm1 beside the scripts could be what loads).
# The listing is $SumsBytes, the bytes whose SHA-256 the operator confirmed; it fills $Listed
# (name -> SHA-256), against which each step is checked again right before it runs.
function Test-BundleSums {
    $problems = New-Object System.Collections.ArrayList
    $number = 0
    foreach ($line in ([System.Text.Encoding]::ASCII.GetString($SumsBytes) -split "`n")) {
        $number++
        $line = $line.TrimEnd("`r")
        if ($line -eq '') { continue }
        if ($line -notmatch '^([0-9a-fA-F]{64})  ([^\\/:*?"<>|]+)$') {
            [void]$problems.Add('SHA256SUMS line ' + $number + ': not <sha256>  <file name>')
            continue
        }
        $expected = $Matches[1].ToLowerInvariant()
        $name = $Matches[2]
        if ($Listed.ContainsKey($name)) {
            [void]$problems.Add($name + ' is listed twice in SHA256SUMS')
            continue
        }
        $Listed[$name] = $expected
        $path = Join-Path $BundleFolder $name
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
            [void]$problems.Add($name + ' is missing')
        } elseif ((Get-LyncdrSha256 $path) -ne $expected) {
            [void]$problems.Add($name + ' has changed: its SHA-256 differs from SHA256SUMS')
        }
    }
    $required = @('Invoke-Recovery.ps1', 'README.txt')
    foreach ($step in $Steps) { $required += $step.Files }
    foreach ($name in $required) {
        if (-not $Listed.ContainsKey($name)) { [void]$problems.Add($name + ' is not listed in SHA256SUMS') }
    }
    # Every entry of the folder, hidden ones too; a bundle has no folders, so none is entered.
    foreach ($item in @(Get-ChildItem -LiteralPath $BundleFolder -Force)) {
        if ($item.PSIsContainer) {
            [void]$problems.Add($item.Name + ' is a folder, and a bundle has none')
        } elseif (($item.Name -ne 'SHA256SUMS') -and -not $Listed.ContainsKey($item.Name)) {
            [void]$problems.Add($item.Name + ' is not listed in SHA256SUMS')
        }
    }
    $problems
}

# Check, then use those bytes: a step's files are read once, compared with $Listed, and the
# bytes compared are written to a new folder of this run, outside the bundle; the step runs
# from there, so a file changed in the bundle after the start (even during the check) is never
# what runs. A script file, not a script block: $MyInvocation (the side files beside it),
# [CmdletBinding()], $PSCmdlet and -WhatIf work as when the script runs alone, and PowerShell
# reads the same bytes the same way (BOM or ANSI).
function Copy-VerifiedStep($Step) {
    $folder = Join-Path $RunFolder ($Step.Number + '-' + [Guid]::NewGuid().ToString('N'))
    [void][System.IO.Directory]::CreateDirectory($folder)
    foreach ($name in $Step.Files) {
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $BundleFolder $name))
        if ((Get-BytesSha256Hex $bytes) -ne $Listed[$name]) {
            throw ('Refused: ' + $name + ' has changed since the bundle was checked at the start: its SHA-256 differs from SHA256SUMS. Step ' + $Step.Id + ' was not run. Use a fresh copy of the bundle.')
        }
        $stream = New-Object System.IO.FileStream((Join-Path $folder $name), ([System.IO.FileMode]::CreateNew), ([System.IO.FileAccess]::Write), ([System.IO.FileShare]::None))
        try {
            $stream.Write($bytes, 0, $bytes.Length)
        } finally {
            $stream.Close()
        }
    }
    Join-Path $folder $Step.File
}

function Get-Stamp {
    [DateTime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)
}

function ConvertFrom-Stamp([string]$Text) {
    [DateTime]::Parse($Text, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()
}

function Format-Local($Utc) {
    $Utc.ToLocalTime().ToString('yyyy-MM-dd HH:mm:ss')
}

function Read-Checkpoint {
    $state = @{ Done = @{}; LastStart = @{}; Open = @{}; Options = @{}; FirstRun = $null }
    if (-not (Test-Path -LiteralPath $CheckpointPath -PathType Leaf)) { return $state }
    $text = [System.IO.File]::ReadAllText($CheckpointPath)
    $lines = $text -split "`r`n"
    # Only lines that end with a line break count: a crash can cut the last one short.
    $complete = $lines.Count - 1
    if ($complete -lt 1) {
        # Cut short before its first line was complete: it records nothing.
        if (-not $DryRun) { Remove-Item -LiteralPath $CheckpointPath }
        return $state
    }
    if ($lines[0] -ne $CheckpointHeader) {
        throw ('The checkpoint ' + $CheckpointPath + ' belongs to another bundle (or format). Rename it to start over and keep it as a record, or pass another -StateFolder.')
    }
    if ($lines[$complete] -ne '' -and -not $DryRun) {
        # End the cut line, so the next record starts on a line of its own.
        [System.IO.File]::AppendAllText($CheckpointPath, "`r`n", [System.Text.Encoding]::ASCII)
    }
    $stamp = '([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}Z)'
    for ($i = 1; $i -lt $complete; $i++) {
        # A line that does not match (one cut short by an earlier crash) is ignored.
        $line = $lines[$i]
        if ($line -match ('^run\t' + $stamp + '$')) {
            if (-not $state.FirstRun) { $state.FirstRun = ConvertFrom-Stamp $Matches[1] }
        } elseif ($line -match '^option\t([^\t]+)\t([^\t]+)$') {
            $state.Options[$Matches[1]] = $Matches[2]
        } elseif ($line -match ('^(start|done|fail)\t([^\t]+)\t' + $stamp + '$')) {
            $id = $Matches[2]
            $at = ConvertFrom-Stamp $Matches[3]
            if ($Matches[1] -eq 'start') {
                $state.LastStart[$id] = $at
                $state.Open[$id] = $true
            } elseif ($Matches[1] -eq 'done') {
                $state.Done[$id] = $at
                $state.Open.Remove($id)
            }
        }
    }
    $state
}

function Add-CheckpointLine([string]$Line) {
    if ($DryRun) { return }
    $text = $Line + "`r`n"
    if (-not (Test-Path -LiteralPath $CheckpointPath -PathType Leaf)) {
        $text = $CheckpointHeader + "`r`n" + $text
    }
    [System.IO.File]::AppendAllText($CheckpointPath, $text, [System.Text.Encoding]::ASCII)
}

function Confirm-Operator([string]$Question) {
    Write-Host ('    ' + $Question) -ForegroundColor Yellow
    if ($DryRun) {
        Write-Host '    What if: you would be asked to type yes here.'
        return
    }
    $answer = "$(Read-Host '    Type yes to go on, anything else to stop')".Trim()
    if ($answer -ne 'yes') { throw ('Stopped: not confirmed: ' + $Question) }
}

function Stop-Prerequisite([string]$Message) {
    if ($DryRun) {
        Write-Warning ('A real run would stop here: ' + $Message)
    } else {
        throw $Message
    }
}

function Test-When($When) {
    foreach ($test in $When) {
        $chosen = $Chosen[$test.Parameter]
        if ($test.Test -eq 'eq' -and $chosen -ne $test.Value) { return $false }
        if ($test.Test -eq 'ne' -and $chosen -eq $test.Value) { return $false }
    }
    $true
}

function Format-When($When) {
    $parts = @()
    foreach ($test in $When) {
        $verb = 'is'
        if ($test.Test -eq 'ne') { $verb = 'is not' }
        $parts += ('-' + $test.Parameter + ' ' + $verb + ' ' + $test.Value + ' (it is ' + $Chosen[$test.Parameter] + ')')
    }
    $parts -join ' and '
}

function Read-Choice($Choice) {
    $ids = @($Choice.Options | ForEach-Object { $_.Id })
    Write-Host ''
    Write-Host ('Choose: ' + $Choice.Title + ' (' + $Choice.Key + ', -' + $Choice.Parameter + ')') -ForegroundColor Cyan
    foreach ($option in $Choice.Options) {
        $mark = ''
        if ($option.Id -eq $Choice.Default) { $mark = '   <- the environment file''s choice' }
        Write-Host ('  ' + $option.Id + ': ' + $option.Title + $mark)
        foreach ($line in $option.Tradeoffs) { Write-Host ('      ' + $line) }
    }
    while ($true) {
        $prompt = 'Option (' + ($ids -join '/') + ')'
        if ($Choice.Default) { $prompt += ', Enter for ' + $Choice.Default }
        $answer = "$(Read-Host $prompt)".Trim()
        if ($answer -eq '' -and $Choice.Default) { return $Choice.Default }
        foreach ($id in $ids) {
            if ($id -eq $answer) { return $id }
        }
        Write-Host ('Type one of: ' + ($ids -join ', '))
    }
}

function Find-StepIndex([string]$Name) {
    for ($i = 0; $i -lt $Steps.Count; $i++) {
        $step = $Steps[$i]
        if ($step.Id -eq $Name -or $step.File -eq $Name) { return $i }
        if ($Name -match '^[0-9]+$' -and [int]$step.Number -eq [int]$Name) { return $i }
    }
    throw ('There is no step ' + $Name + ' in this bundle. Steps: ' + (($Steps | ForEach-Object { $_.Id }) -join ', '))
}

# A backup lyncdr bundle --backups checked carries the Size and Sha256 of the file it checked:
# the file at the path must be that same file. Without --backups (Sha256 $null), and for a file
# SQL Server reads or the File Store folder, the checks are presence, not empty, and age.
# A pinned file is hashed through a handle that shares reading only, and that handle is held
# until the driver ends: nobody can write, replace, rename or delete the file between the check
# and the steps that read it (they open it for reading, which the handle allows).
$UnauditedSaid = $false
$HeldBackups = New-Object System.Collections.ArrayList

function Get-HeldSha256([string]$Path) {
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
    [void]$script:HeldBackups.Add($stream)
    $sha = New-Object System.Security.Cryptography.SHA256Managed
    try {
        $hash = $sha.ComputeHash($stream)
    } finally {
        $sha.Clear()
    }
    New-Object PSObject -Property @{ Length = $stream.Length; Sha256 = (ConvertTo-Hex $hash) }
}

function Assert-Backup($P) {
    if (-not $BackupsAudited -and -not $script:UnauditedSaid) {
        $script:UnauditedSaid = $true
        Write-Warning 'The backups were not checked when this bundle was made (lyncdr bundle without --backups): only that they are present, not empty and not too old is checked here, not that they are sound (lyncdr audit, or lyncdr bundle --backups, checks that).'
    }
    if ($P.ReadBySqlServer) {
        # SQL Server reads it on the Back End, at the path that server sees: checked there, by the
        # step that reads its backup sets, not here where the path may mean another disk.
        Write-Host ('    ' + $P.Artifact + ' is read by SQL Server on the Back End: the step that reads its backup sets checks it there.')
        if ($BackupsAudited) { Write-Host '    (Its copy was audited when the bundle was made; the file SQL Server reads is not compared with it here.)' }
        return
    }
    if (-not $P.Path) {
        Stop-Prerequisite ($P.Key + ' is not set in the environment file, so this bundle cannot check backup ' + $P.Artifact + '. Build the bundle again with it set.')
        return
    }
    if (-not (Test-Path -LiteralPath $P.Path)) {
        Stop-Prerequisite ('Backup ' + $P.Artifact + ' not found: ' + $P.Path)
        return
    }
    $item = Get-Item -LiteralPath $P.Path -Force
    if ($P.Sha256 -and $item.PSIsContainer) {
        Stop-Prerequisite ('Backup ' + $P.Artifact + ' at ' + $P.Path + ': a file was audited when the bundle was made, and this is a folder.')
        return
    }
    if ($item.PSIsContainer) {
        $count = 0
        $newest = [DateTime]::MinValue
        foreach ($file in (Get-ChildItem -LiteralPath $P.Path -Recurse -Force -ErrorAction SilentlyContinue)) {
            if ($file.PSIsContainer) { continue }
            $count++
            if ($file.LastWriteTime -gt $newest) { $newest = $file.LastWriteTime }
        }
        if ($count -eq 0) {
            Stop-Prerequisite ('Backup ' + $P.Artifact + ' is an empty folder: ' + $P.Path)
            return
        }
        # A folder is not pinned by a SHA-256 (its files change as Lync works): its files and age only.
        $size = '' + $count + ' files'
    } else {
        if ($item.Length -eq 0) {
            Stop-Prerequisite ('Backup ' + $P.Artifact + ' is an empty file: ' + $P.Path)
            return
        }
        $newest = $item.LastWriteTime
        $size = '' + $item.Length + ' bytes'
        if ($P.Sha256) {
            $audited = 'it is not the file that was audited when the bundle was made'
            if ($item.Length -ne $P.Size) {
                Stop-Prerequisite ('Backup ' + $P.Artifact + ' at ' + $P.Path + ': ' + $audited + ' (' + $item.Length + ' bytes, not ' + $P.Size + ').')
                return
            }
            Write-Host ('    Computing the SHA-256 of ' + $P.Path + '...')
            $held = Get-HeldSha256 $P.Path
            $hash = $held.Sha256
            if ($held.Length -ne $P.Size) { $hash = '(' + $held.Length + ' bytes)' }
            if ($hash -ne $P.Sha256) {
                Stop-Prerequisite ('Backup ' + $P.Artifact + ' at ' + $P.Path + ': ' + $audited + ' (SHA-256 ' + $hash + ', not ' + $P.Sha256 + ').')
                return
            }
            $size += ', the file audited when the bundle was made: same SHA-256'
        }
    }
    $age = (Get-Date) - $newest
    Write-Host ('    OK: ' + $P.Path + ' (' + $size + ', last written ' + $newest.ToString('yyyy-MM-dd HH:mm') + ')')
    if ($age -gt $MaxBackupAge) {
        Write-Warning ('Backup ' + $P.Artifact + ' is ' + ('{0:N1}' -f $age.TotalDays) + ' days old: older than backups.max_age (' + $MaxBackupAgeText + '). Restoring it loses every change made since.')
        Confirm-Operator ('Use ' + $P.Path + ' anyway?')
    }
}

function Get-LyncEvents([string]$Log, [string]$Provider, [int]$Id, $Since, [string[]]$Computers) {
    # Each event as its time and its text (message and data), where the domain it finished is
    # named. With Computers (the Front End servers of the pool the import goes to), each one's
    # log is read (Get-WinEvent -ComputerName and Get-EventLog -ComputerName exist in PowerShell
    # 2.0) and only their events count; without, this server's log.
    $targets = @($Computers | Where-Object { $_ })
    if ($targets.Count -eq 0) { $targets = @($null) }
    $all = @()
    foreach ($computer in $targets) {
        $all += @(Get-LyncEventsOf $Log $Provider $Id $Since $computer)
    }
    $all
}

function Get-LyncEventsOf([string]$Log, [string]$Provider, [int]$Id, $Since, $Computer) {
    $local = $Since.ToLocalTime()
    $where = @{}
    if ($Computer) { $where = @{ ComputerName = $Computer } }
    try {
        $found = @(Get-WinEvent @where -FilterHashtable @{ LogName = $Log; ProviderName = $Provider; Id = $Id; StartTime = $local } -ErrorAction Stop)
        return @($found | ForEach-Object { New-Object PSObject -Property @{ Time = $_.TimeCreated; Text = ("$($_.Message) " + (@($_.Properties | ForEach-Object { "$($_.Value)" }) -join ' ')) } })
    } catch {
        if ("$($_.FullyQualifiedErrorId)" -like 'NoMatchingEventsFound*') { return @() }
    }
    # Get-WinEvent failed for another reason: ask the classic event log API instead.
    $found = @(Get-EventLog @where -LogName $Log -Source $Provider -After $local -ErrorAction SilentlyContinue | Where-Object { $_.EventID -eq $Id })
    if ($Computer -and $found.Count -eq 0) { Write-Warning ('Could not read the ' + $Log + ' log of ' + $Computer + ' (is it up, and may this account read its event log?).') }
    @($found | ForEach-Object { New-Object PSObject -Property @{ Time = $_.TimeGenerated; Text = ("$($_.Message) " + (@($_.ReplacementStrings) -join ' ')) } })
}

function Test-DomainNamed([string]$Text, [string]$Domain) {
    # As lyncdr run: the domain's FQDN standing alone in the event's text (not inside a longer
    # name: contoso.com is not emea.contoso.com), or its exact distinguished name (DC=contoso,DC=com,
    # not a part of DC=emea,DC=contoso,DC=com). Which words of a 30024 name the domain is unconfirmed.
    if ($Text -match ('(?i)(^|[^A-Za-z0-9.-])' + [regex]::Escape($Domain) + '(\.?)($|[^A-Za-z0-9-])')) { return $true }
    $dn = 'DC=' + (($Domain.Split('.') | Where-Object { $_ }) -join ',DC=')
    $Text -match ('(?i)(^|[^A-Za-z0-9=,-])' + [regex]::Escape($dn) + '($|[^A-Za-z0-9,-])')
}

function Wait-LyncEvent($P) {
    $since = $RecoveryStart
    $after = 'since the recovery started (' + (Format-Local $since) + ')'
    if ($P.AfterStep) {
        $recorded = $State.LastStart[$P.AfterStep]
        if ($recorded -and ($recorded -gt $RecoveryStart)) {
            # As lyncdr run: newer than the start of that step (a fast sync ends within it).
            $since = $recorded
            $after = 'since step ' + $P.AfterStep + ' started (' + (Format-Local $since) + ')'
        } elseif ($recorded) {
            # A recorded time never lowers the threshold: an event from before the recovery is
            # no evidence, whatever a checkpoint says.
            Write-Warning ('The checkpoint records step ' + $P.AfterStep + ' as started at ' + (Format-Local $recorded) + ', before the recovery started; looking for the event ' + $after + '.')
        } else {
            Write-Warning ('Step ' + $P.AfterStep + ' is not recorded as started in the checkpoint; looking for the event ' + $after + '.')
        }
    }
    $what = 'event ' + $P.Event + ' from ' + $P.Provider + ' in the ' + $P.Log + ' log of this server'
    if (@($P.Computers).Count -gt 0) { $what = 'event ' + $P.Event + ' from ' + $P.Provider + ' in the ' + $P.Log + ' log of ' + (@($P.Computers) -join ', ') }
    $deadline = [DateTime]::UtcNow.AddMinutes($EventWaitMinutes)
    while ($true) {
        $events = @(Get-LyncEvents $P.Log $P.Provider $P.Event $since $P.Computers)
        $missing = @()
        foreach ($domain in @($P.Domains)) {
            $named = @($events | Where-Object { Test-DomainNamed $_.Text $domain })
            if ($named.Count -eq 0) { $missing += $domain }
        }
        if ($events.Count -gt 0 -and $missing.Count -eq 0) {
            $newest = ($events | Sort-Object Time -Descending | Select-Object -First 1).Time
            Write-Host ('    OK: ' + $what + ', logged ' + $newest.ToString('yyyy-MM-dd HH:mm:ss') + ' (' + $events.Count + ' event(s), every domain listed).')
            return
        }
        $lacking = 'No ' + $what + ' ' + $after
        if ($events.Count -gt 0) { $lacking = 'No ' + $what + ' for domain(s) ' + ($missing -join ', ') + ' ' + $after }
        if ($DryRun) {
            Stop-Prerequisite ($lacking + '.')
            return
        }
        if ([DateTime]::UtcNow -ge $deadline) {
            throw ($lacking + ', after waiting ' + $EventWaitMinutes + ' minutes. Check the User Replicator in that log, then run Invoke-Recovery.ps1 again.')
        }
        Write-Host ('    Waiting: ' + $lacking + '; checking every 30 seconds until ' + (Format-Local $deadline) + ' (-EventWaitMinutes).')
        Start-Sleep -Seconds 30
    }
}

function Assert-Prerequisite($P) {
    Write-Host ('    Prerequisite: ' + $P.Description)
    if ($P.Kind -eq 'backup') {
        Assert-Backup $P
    } elseif ($P.Kind -eq 'event') {
        Wait-LyncEvent $P
    } elseif ($P.Kind -eq 'not-after') {
        if ($State.Done[$P.Step] -or $State.LastStart[$P.Step]) {
            throw ('Refused: step ' + $P.Step + ' has already run in this recovery, and this step must never run after it (it would undo it).')
        }
    } else {
        Confirm-Operator $P.Statement
    }
}

function Invoke-RecoveryStep($Step) {
    Write-Host ''
    Write-Host ('=== Step ' + $Step.Number + ' -- ' + $Step.Heading) -ForegroundColor Cyan
    Write-Host ('    Runs on: ' + $Step.Place)
    foreach ($p in $Step.Prerequisites) {
        if (Test-When $p.When) { Assert-Prerequisite $p }
    }
    if ($Step.Kind -eq 'section') { return }
    if ($Step.Kind -eq 'choice') {
        foreach ($choice in $Choices) {
            if ($choice.Step -eq $Step.Id) {
                Write-Host ('    Option ' + $Chosen[$choice.Parameter] + ' is chosen (-' + $choice.Parameter + '); the steps of the other options are not run.')
            }
        }
        return
    }
    if ($State.Open[$Step.Id]) {
        if ($Step.SafeToRepeat) {
            Write-Host '    This step was interrupted before; it is safe to run again.'
        } else {
            Write-Warning ('Step ' + $Step.Id + ' was started at ' + (Format-Local ($State.LastStart[$Step.Id])) + ' and did not finish. It is not safe to run twice: check what it did first.')
            if (-not $DryRun) {
                $answer = "$(Read-Host '    Type again to run it again, done if it is complete, anything else to stop')".Trim()
                if ($answer -eq 'done') {
                    $finished = [DateTime]::UtcNow
                    Add-CheckpointLine ("done`t" + $Step.Id + "`t" + $finished.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
                    $State.Done[$Step.Id] = $finished
                    $State.Open.Remove($Step.Id)
                    return
                }
                if ($answer -ne 'again') { throw ('Stopped before step ' + $Step.Id + '.') }
            }
        }
    }
    $script = $null
    if ($Step.RunsOn -ne 'rebuilt-server') { $script = Copy-VerifiedStep $Step }
    $started = [DateTime]::UtcNow
    Add-CheckpointLine ("start`t" + $Step.Id + "`t" + $started.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
    $State.LastStart[$Step.Id] = $started
    $State.Open[$Step.Id] = $true
    try {
        if ($Step.RunsOn -eq 'rebuilt-server') {
            Write-Host '    This step runs on the server being rebuilt, not here. Copy this bundle there and run'
            Write-Host ('    .\' + $Step.File + ' in PowerShell: it shows what to do, then checks the result.')
            Confirm-Operator ('Has ' + $Step.File + ' finished without errors on the server being rebuilt?')
        } else {
            if ($Step.TakesBaseline) {
                & $script -WhatIf:$DryRun -BaselineFolder $BaselineFolder | Out-Host
            } else {
                & $script -WhatIf:$DryRun | Out-Host
            }
        }
    } catch {
        Add-CheckpointLine ("fail`t" + $Step.Id + "`t" + (Get-Stamp))
        Write-Host ('Step ' + $Step.Id + ' failed: ' + $_.Exception.Message) -ForegroundColor Red
        Write-Host 'Fix the cause, then run Invoke-Recovery.ps1 again: it resumes at this step.'
        throw
    }
    $finished = [DateTime]::UtcNow
    Add-CheckpointLine ("done`t" + $Step.Id + "`t" + $finished.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
    $State.Done[$Step.Id] = $finished
    $State.Open.Remove($Step.Id)
}

# ---------------------------------------------------------------------------------------------
# Main

if ($From -and $Only) { throw 'Use -From or -Only, not both.' }

# Nothing runs before the bundle is known to be the one lyncdr wrote. SHA256SUMS is read once:
# the SHA-256 shown is of the bytes the files are checked against. Anyone who can write to this
# folder can write a SHA256SUMS that matches their files; only its SHA-256, compared with the one
# lyncdr bundle printed, ties it to the bundle that was reviewed.
$SumsPath = Join-Path $BundleFolder 'SHA256SUMS'
if (-not (Test-Path -LiteralPath $SumsPath -PathType Leaf)) {
    throw 'SHA256SUMS is missing from this bundle. Nothing was run. Use a fresh copy of the bundle.'
}
$SumsBytes = [System.IO.File]::ReadAllBytes($SumsPath)
$SumsHash = Get-BytesSha256Hex $SumsBytes
Write-Host ('SHA-256 of SHA256SUMS: ' + $SumsHash) -ForegroundColor Cyan
if ($ExpectedSums) {
    if (($ExpectedSums.Trim().ToLowerInvariant()) -ne $SumsHash) {
        throw ('Refused: SHA256SUMS is not the one given with -ExpectedSums (' + $ExpectedSums.Trim() + '): this is not that bundle, or it was changed after lyncdr wrote it. Nothing was run.')
    }
    Write-Host 'OK: it is the one given with -ExpectedSums.'
} else {
    Confirm-Operator 'Is it the SHA-256 of SHA256SUMS that lyncdr bundle printed when it wrote this bundle (compare every digit, from a record kept outside this folder)?'
}

Write-Host ('Checking ' + $BundleFolder + ' against SHA256SUMS...')
$Listed = @{}
$problems = @(Test-BundleSums)
if ($problems.Count -gt 0) {
    foreach ($problem in $problems) { Write-Host ('  ' + $problem) -ForegroundColor Red }
    throw 'This bundle does not match its SHA256SUMS: a file was changed, removed or added after lyncdr wrote it. Nothing was run. Use a fresh copy of the bundle, and keep nothing else in its folder.'
}
Write-Host 'OK: every file matches SHA256SUMS, and nothing else is in the folder.'

# Progress lives outside the bundle folder: whoever can write there must not be able to write
# what the driver skips, nor add a file the check above would refuse.
if (-not $StateFolder) {
    $StateFolder = Join-Path (Join-Path ([System.Environment]::GetFolderPath('LocalApplicationData')) 'lyncdr') $SumsHash
}
$StateFolder = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($StateFolder)
if (($StateFolder.TrimEnd('\') + '\').StartsWith(($BundleFolder.TrimEnd('\') + '\'), [System.StringComparison]::OrdinalIgnoreCase)) {
    throw ('-StateFolder ' + $StateFolder + ' is inside the bundle folder: choose a folder outside it (the default is in your local application data folder).')
}
if (-not $DryRun) { [void][System.IO.Directory]::CreateDirectory($StateFolder) }
$CheckpointPath = Join-Path $StateFolder 'Invoke-Recovery.checkpoint.txt'
$CheckpointHeader = "lyncdr-checkpoint`t1`t" + $SumsHash

# Each step runs from a checked copy in a new folder of this run (Copy-VerifiedStep).
$RunFolder = Join-Path ([System.IO.Path]::GetTempPath()) ('lyncdr-' + [Guid]::NewGuid().ToString('N'))
[void][System.IO.Directory]::CreateDirectory($RunFolder)

$Transcript = $false
if (-not $DryRun) {
    $log = Join-Path $StateFolder ('Invoke-Recovery-' + (Get-Date).ToString('yyyyMMdd-HHmmss') + '.log')
    try {
        Start-Transcript -Path $log | Out-Null
        $Transcript = $true
    } catch {
        Write-Warning ('No transcript (' + $_.Exception.Message + '): keep a copy of this window''s output.')
    }
}

# Native tools (sqlcmd.exe, DBImpExp.exe, cmd.exe) never start in the bundle folder, where a
# planted sqlcmd.bat or DLL could be what runs: work from the Windows system folder.
$OperatorLocation = Get-Location
$OperatorDirectory = [System.Environment]::CurrentDirectory
Set-Location -LiteralPath ([System.Environment]::SystemDirectory)
[System.Environment]::CurrentDirectory = [System.Environment]::SystemDirectory

try {
    Write-Host ''
    Write-Host ('Runbook ' + $Runbook + ': ' + $RunbookTitle) -ForegroundColor Cyan
    if ($DryRun) { Write-Host 'What if: nothing is run and nothing is recorded.' }

    $State = Read-Checkpoint
    # A checkpoint is a file anyone with write access to it could have written: before it skips
    # a step or picks an option, the operator sees what it records and confirms it once.
    $recordedDone = @($Steps | Where-Object { $State.Done[$_.Id] })
    if ($recordedDone.Count -gt 0 -or $State.Options.Count -gt 0) {
        Write-Host ''
        Write-Host ('The checkpoint ' + $CheckpointPath + ' records:') -ForegroundColor Yellow
        if ($State.FirstRun) { Write-Host ('    recovery started: ' + (Format-Local $State.FirstRun)) }
        foreach ($step in $recordedDone) {
            Write-Host ('    done: step ' + $step.Number + ' (' + $step.Id + ') at ' + (Format-Local ($State.Done[$step.Id])))
        }
        foreach ($name in @($State.Options.Keys | Sort-Object)) {
            Write-Host ('    option: -' + $name + ' ' + $State.Options[$name])
        }
        Confirm-Operator 'Is this what was done in this recovery? The steps recorded as done are skipped and the options recorded are used without asking again.'
    }
    $now = [DateTime]::UtcNow
    if (-not $State.FirstRun) { $State.FirstRun = $now }
    Add-CheckpointLine ("run`t" + $now.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
    # Decided once, from the checkpoint's first run: a resumed recovery keeps its folder.
    $BaselineFolder = $null
    if ($BaselinePrefix) {
        $BaselineFolder = $BaselinePrefix + $State.FirstRun.ToString('yyyyMMdd-HHmmss', [System.Globalization.CultureInfo]::InvariantCulture) + 'Z'
        Write-Host ('Baseline folder of this recovery: ' + $BaselineFolder)
    }
    if ($RecoveryStartedAt) {
        $RecoveryStart = ConvertFrom-Stamp $RecoveryStartedAt
    } else {
        $RecoveryStart = $State.FirstRun
    }

    if ($NeedsLync -and -not (Get-Command Get-CsPool -ErrorAction SilentlyContinue)) {
        try {
            Import-Module Lync
        } catch {
            if (-not $DryRun) {
                throw 'The Lync Server cmdlets are not available: run Invoke-Recovery.ps1 in the Lync Server Management Shell on a Front End server.'
            }
            Write-Warning 'The Lync Server cmdlets are not available here; showing the steps only.'
        }
    }

    # Each option once: the parameter, else the checkpoint, else ask (the environment's choice as default).
    $Chosen = @{}
    foreach ($choice in $Choices) {
        $ids = @($choice.Options | ForEach-Object { $_.Id })
        if ($PSBoundParameters.ContainsKey($choice.Parameter)) {
            $value = [string]$PSBoundParameters[$choice.Parameter]
            $how = 'given with -' + $choice.Parameter
        } elseif ($State.Options[$choice.Parameter] -and ($ids -contains $State.Options[$choice.Parameter])) {
            $value = $State.Options[$choice.Parameter]
            $how = 'recorded in the checkpoint'
        } elseif ($DryRun) {
            $value = $choice.Default
            if (-not $value) { $value = $ids[0] }
            $how = 'the environment file''s choice; -WhatIf does not ask'
        } else {
            $value = Read-Choice $choice
            $how = 'chosen now'
        }
        $Chosen[$choice.Parameter] = $value
        if ($State.Options[$choice.Parameter] -ne $value) {
            Add-CheckpointLine ("option`t" + $choice.Parameter + "`t" + $value)
            $State.Options[$choice.Parameter] = $value
        }
        Write-Host ('Option ' + $value + ' for ' + $choice.Title + ' (' + $how + ').')
    }

    if ($Prerequisites.Count -gt 0) {
        Write-Host ''
        Write-Host '=== Before the first step' -ForegroundColor Cyan
        foreach ($p in $Prerequisites) {
            if (Test-When $p.When) { Assert-Prerequisite $p }
        }
    }

    $startAt = 0
    $onlyAt = -1
    if ($From) { $startAt = Find-StepIndex $From }
    if ($Only) { $onlyAt = Find-StepIndex $Only }
    for ($i = 0; $i -lt $Steps.Count; $i++) {
        $step = $Steps[$i]
        if ($onlyAt -ge 0 -and $i -ne $onlyAt) { continue }
        if ($i -lt $startAt) { continue }
        if (-not (Test-When $step.When)) {
            Write-Host ('Step ' + $step.Number + ' (' + $step.Id + '): not run: it applies only when ' + (Format-When $step.When) + '.')
            continue
        }
        if (-not $From -and -not $Only -and $State.Done[$step.Id]) {
            Write-Host ('Step ' + $step.Number + ' (' + $step.Id + '): done at ' + (Format-Local ($State.Done[$step.Id])) + '; skipped.')
            continue
        }
        Invoke-RecoveryStep $step
    }
    Write-Host ''
    if ($DryRun) {
        Write-Host 'What if: end of the steps. Nothing was run.' -ForegroundColor Green
    } else {
        Write-Host ('Finished. Progress is recorded in ' + $CheckpointPath + '.') -ForegroundColor Green
    }
} finally {
    foreach ($stream in @($HeldBackups)) { if ($stream) { $stream.Close() } }
    Set-Location -LiteralPath $OperatorLocation.Path
    [System.Environment]::CurrentDirectory = $OperatorDirectory
    try {
        [System.IO.Directory]::Delete($RunFolder, $true)
    } catch {
        Write-Warning ('Could not remove ' + $RunFolder + ': ' + $_.Exception.Message)
    }
    if ($Transcript) { Stop-Transcript | Out-Null }
}
