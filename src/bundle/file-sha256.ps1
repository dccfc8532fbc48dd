# PowerShell 2.0 has no Get-FileHash (4.0): one function for the recovery bundle's driver and the
# backup job's script (src/bundle/file-sha256.ps1, included in both).
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
