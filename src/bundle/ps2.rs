//! The PowerShell constructs a bundle must not contain: the Lync Server 2010 Management Shell is
//! Windows PowerShell 2.0 on .NET 2.0/3.5 (Windows Server 2008 R2). This is the one list: a
//! bundle is refused when any of its scripts uses one (a custom template written for a newer
//! PowerShell fails here rather than on the server), and the tests check every bundle with it.
//!
//! Matching is on code only: comments and single-quoted strings (which PowerShell never
//! evaluates) are blanked first, so prose that mentions `-in` or `[ordered]` is not a finding.

/// A construct Windows PowerShell 2.0 does not have.
#[derive(Debug)]
pub struct Banned {
    /// As written in a script, for messages.
    pub name: &'static str,
    /// The PowerShell (or .NET) version that introduced it.
    pub since: &'static str,
    /// What to write instead on PowerShell 2.0.
    pub instead: &'static str,
    pattern: Pattern,
}

#[derive(Debug)]
enum Pattern {
    /// A name (cmdlet, variable) not part of a longer name.
    Word(&'static str),
    /// An operator or parameter `-x`: after a space or `(`, not followed by a name character.
    Dash(&'static str),
    /// Text anywhere in code.
    Text(&'static str),
    /// A cmdlet with a parameter later on the same line.
    CmdletWith(&'static str, &'static str),
    /// A cmdlet whose next argument is neither a script block nor a parameter.
    ShortForm(&'static str),
    /// A keyword that starts a statement, followed by a space.
    Statement(&'static str),
}

use Pattern::*;

const fn b(name: &'static str, since: &'static str, instead: &'static str, pattern: Pattern) -> Banned {
    Banned {
        name,
        since,
        instead,
        pattern,
    }
}

pub const BANNED: &[Banned] = &[
    b(
        "[ordered]",
        "3.0",
        "a plain hashtable, or an array for order",
        Text("[ordered]"),
    ),
    b(
        "[pscustomobject]",
        "3.0",
        "New-Object PSObject -Property @{...}",
        Text("[pscustomobject]"),
    ),
    b("-in", "3.0", "-contains with the operands swapped", Dash("-in")),
    b("-iin", "3.0", "-contains with the operands swapped", Dash("-iin")),
    b(
        "-cin",
        "3.0",
        "-ccontains with the operands swapped",
        Dash("-cin"),
    ),
    b(
        "-notin",
        "3.0",
        "-notcontains with the operands swapped",
        Dash("-notin"),
    ),
    b(
        "-inotin",
        "3.0",
        "-notcontains with the operands swapped",
        Dash("-inotin"),
    ),
    b(
        "-cnotin",
        "3.0",
        "-cnotcontains with the operands swapped",
        Dash("-cnotin"),
    ),
    b("-shl", "3.0", "multiplication by a power of two", Dash("-shl")),
    b("-shr", "3.0", "division by a power of two", Dash("-shr")),
    b("$PSItem", "3.0", "$_", Word("$psitem")),
    b(
        "$PSScriptRoot",
        "3.0 (in scripts)",
        "Split-Path -Parent $MyInvocation.MyCommand.Definition",
        Word("$psscriptroot"),
    ),
    b(
        "$PSCommandPath",
        "3.0",
        "$MyInvocation.MyCommand.Definition",
        Word("$pscommandpath"),
    ),
    b(
        "$PSDefaultParameterValues",
        "3.0",
        "explicit parameters",
        Word("$psdefaultparametervalues"),
    ),
    b("$using:", "3.0", "-ArgumentList and param()", Text("$using:")),
    b("Get-CimInstance", "3.0", "Get-WmiObject", Word("get-ciminstance")),
    b("Get-CimClass", "3.0", "Get-WmiObject -List", Word("get-cimclass")),
    b(
        "Invoke-CimMethod",
        "3.0",
        "Invoke-WmiMethod",
        Word("invoke-cimmethod"),
    ),
    b(
        "New-CimSession",
        "3.0",
        "Get-WmiObject -ComputerName",
        Word("new-cimsession"),
    ),
    b(
        "ConvertTo-Json",
        "3.0",
        "text or XML (Export-Clixml)",
        Word("convertto-json"),
    ),
    b(
        "ConvertFrom-Json",
        "3.0",
        "text or XML (Import-Clixml)",
        Word("convertfrom-json"),
    ),
    b(
        "Invoke-RestMethod",
        "3.0",
        "New-Object System.Net.WebClient",
        Word("invoke-restmethod"),
    ),
    b(
        "Invoke-WebRequest",
        "3.0",
        "New-Object System.Net.WebClient",
        Word("invoke-webrequest"),
    ),
    b(
        "Unblock-File",
        "3.0",
        "the file's Properties dialog (Unblock)",
        Word("unblock-file"),
    ),
    b(
        "Get-FileHash",
        "4.0",
        "System.Security.Cryptography.SHA256Managed on a file stream",
        Word("get-filehash"),
    ),
    b(
        "Expand-Archive",
        "5.0",
        "Shell.Application CopyHere, or extract before copying",
        Word("expand-archive"),
    ),
    b(
        "Compress-Archive",
        "5.0",
        "a zip made elsewhere",
        Word("compress-archive"),
    ),
    b(
        "New-TemporaryFile",
        "5.0",
        "[System.IO.Path]::GetTempFileName()",
        Word("new-temporaryfile"),
    ),
    b(
        "Get-Content -Raw",
        "3.0",
        "[System.IO.File]::ReadAllText()",
        CmdletWith("get-content", "-raw"),
    ),
    b(
        "Get-Content -Tail",
        "3.0",
        "Get-Content | Select-Object -Last",
        CmdletWith("get-content", "-tail"),
    ),
    b(
        "Export-Csv -Append",
        "3.0",
        "Add-Content with ConvertTo-Csv",
        CmdletWith("export-csv", "-append"),
    ),
    b(
        "Get-ChildItem -File",
        "3.0",
        "Where-Object { -not $_.PSIsContainer }",
        CmdletWith("get-childitem", "-file"),
    ),
    b(
        "Get-ChildItem -Directory",
        "3.0",
        "Where-Object { $_.PSIsContainer }",
        CmdletWith("get-childitem", "-directory"),
    ),
    b(
        "Out-File -NoNewline",
        "5.0",
        "[System.IO.File]::WriteAllText()",
        CmdletWith("out-file", "-nonewline"),
    ),
    b(
        "Set-Content -NoNewline",
        "5.0",
        "[System.IO.File]::WriteAllText()",
        CmdletWith("set-content", "-nonewline"),
    ),
    b(
        "ForEach-Object -MemberName",
        "3.0",
        "ForEach-Object { $_.Name }",
        CmdletWith("foreach-object", "-membername"),
    ),
    b(
        "Where-Object -Property",
        "3.0",
        "Where-Object { $_.Name -eq ... }",
        CmdletWith("where-object", "-property"),
    ),
    b(
        "Where-Object Name -eq x",
        "3.0",
        "Where-Object { $_.Name -eq 'x' }",
        ShortForm("where-object"),
    ),
    b(
        "ForEach-Object Name",
        "3.0",
        "ForEach-Object { $_.Name }",
        ShortForm("foreach-object"),
    ),
    b(
        "-ErrorAction Ignore",
        "3.0",
        "-ErrorAction SilentlyContinue",
        Text("-erroraction ignore"),
    ),
    b(
        "-WarningAction Ignore",
        "3.0",
        "-WarningAction SilentlyContinue",
        Text("-warningaction ignore"),
    ),
    b(".Where()", "4.0", "Where-Object { ... }", Text(".where(")),
    b(".Where{}", "4.0", "Where-Object { ... }", Text(".where{")),
    b(".ForEach()", "4.0", "ForEach-Object { ... }", Text(".foreach(")),
    b(".ForEach{}", "4.0", "ForEach-Object { ... }", Text(".foreach{")),
    b("::new()", "5.0", "New-Object", Text("]::new(")),
    b(
        "class",
        "5.0",
        "New-Object PSObject -Property @{...}",
        Statement("class"),
    ),
    b("enum", "5.0", "string constants", Statement("enum")),
    b(
        "using",
        "5.0",
        "full type names, Import-Module",
        Statement("using"),
    ),
    b(
        "[System.IO.Compression.ZipFile]",
        ".NET 4.5",
        "a zip extracted before copying",
        Text("compression.zipfile]"),
    ),
    b(
        "SupportsShouldProcess without =$true",
        "3.0",
        "[CmdletBinding(SupportsShouldProcess=$true)]",
        Text("supportsshouldprocess)"),
    ),
];

/// Where a script uses a banned construct.
#[derive(Debug)]
pub struct Finding {
    /// 1-based.
    pub line: usize,
    pub construct: &'static Banned,
}

/// Every use of a banned construct in `script`, in line order.
pub fn find(script: &str) -> Vec<Finding> {
    let code = code_only(script).to_ascii_lowercase();
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        for banned in BANNED {
            if banned.pattern.matches(line) {
                out.push(Finding {
                    line: i + 1,
                    construct: banned,
                });
            }
        }
    }
    out
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Byte offsets of `needle` in `hay`.
fn positions<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    hay.match_indices(needle).map(|(i, _)| i)
}

impl Pattern {
    /// Whether a line of lower-cased code holds the construct.
    fn matches(&self, line: &str) -> bool {
        let before = |i: usize| line[..i].chars().next_back();
        let after = |i: usize| line[i..].chars().next();
        match *self {
            Word(w) => positions(line, w)
                .any(|i| !before(i).is_some_and(is_name) && !after(i + w.len()).is_some_and(is_name)),
            Dash(d) => positions(line, d).any(|i| {
                before(i).is_none_or(|c| c.is_whitespace() || c == '(')
                    && !after(i + d.len()).is_some_and(|c| is_name(c) || c == ':')
            }),
            Text(t) => line.contains(t),
            CmdletWith(cmdlet, param) => positions(line, cmdlet).any(|i| {
                let rest = &line[i + cmdlet.len()..];
                Dash(param).matches(rest)
            }),
            ShortForm(cmdlet) => positions(line, cmdlet).any(|i| {
                let end = i + cmdlet.len();
                if before(i).is_some_and(is_name) || after(end).is_some_and(is_name) {
                    return false;
                }
                let rest = line[end..].trim_start();
                !(rest.is_empty() || rest.starts_with('{') || rest.starts_with('-') || rest.starts_with('|'))
            }),
            Statement(k) => {
                let t = line.trim_start();
                t.strip_prefix(k)
                    .and_then(|r| r.chars().next())
                    .is_some_and(|c| c == ' ' || c == '\t')
            }
        }
    }
}

const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// The script with comments and the contents of single-quoted strings (here-strings included)
/// replaced by spaces; line breaks are kept, so line numbers still hold. Double-quoted strings
/// stay: PowerShell expands `$(...)` inside them.
pub fn code_only(script: &str) -> String {
    #[derive(PartialEq)]
    enum State {
        Code,
        LineComment,
        BlockComment,
        Single,
        SingleHere,
        Double,
    }
    let chars: Vec<char> = script.chars().collect();
    let mut out = String::with_capacity(script.len());
    let mut state = State::Code;
    let mut i = 0;
    let blank = |c: char| if c == '\n' || c == '\r' { c } else { ' ' };
    let at_line_start = |i: usize| i == 0 || chars[i - 1] == '\n';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match state {
            State::Code => {
                let token_start = i == 0 || chars[i - 1].is_whitespace() || ";(){}|&".contains(chars[i - 1]);
                if c == '<' && next == Some('#') {
                    state = State::BlockComment;
                    out.push_str("  ");
                    i += 2;
                    continue;
                } else if c == '#' && token_start {
                    state = State::LineComment;
                    out.push(' ');
                } else if c == '@' && next.is_some_and(|n| SINGLE_QUOTES.contains(&n)) {
                    state = State::SingleHere;
                    out.push_str("@'");
                    i += 2;
                    continue;
                } else if SINGLE_QUOTES.contains(&c) {
                    state = State::Single;
                    out.push('\'');
                } else if c == '"' {
                    state = State::Double;
                    out.push(c);
                } else {
                    out.push(c);
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                }
                out.push(blank(c));
            }
            State::BlockComment => {
                if c == '#' && next == Some('>') {
                    state = State::Code;
                    out.push_str("  ");
                    i += 2;
                    continue;
                }
                out.push(blank(c));
            }
            State::Single => {
                if SINGLE_QUOTES.contains(&c) {
                    if next.is_some_and(|n| SINGLE_QUOTES.contains(&n)) {
                        out.push_str("  ");
                        i += 2;
                        continue;
                    }
                    state = State::Code;
                    out.push('\'');
                } else {
                    out.push(blank(c));
                }
            }
            State::SingleHere => {
                if SINGLE_QUOTES.contains(&c) && next == Some('@') && at_line_start(i) {
                    state = State::Code;
                    out.push_str("'@");
                    i += 2;
                    continue;
                }
                out.push(blank(c));
            }
            State::Double => {
                if c == '`' {
                    out.push(c);
                    if let Some(n) = next {
                        out.push(n);
                    }
                    i += 2;
                    continue;
                }
                if c == '"' {
                    if next == Some('"') {
                        out.push_str("\"\"");
                        i += 2;
                        continue;
                    }
                    state = State::Code;
                }
                out.push(c);
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<&'static str> {
        find(script).iter().map(|f| f.construct.name).collect()
    }

    /// One line per construct that must be found, and lines PowerShell 2.0 runs that must not be.
    #[test]
    fn finds_each_construct_and_nothing_in_plain_powershell_2() {
        let table: &[(&str, &str)] = &[
            ("$h = [ordered]@{ a = 1 }", "[ordered]"),
            ("[PSCustomObject]@{ a = 1 }", "[pscustomobject]"),
            ("if ($a -in $list) { }", "-in"),
            ("if ($a -notin $list) { }", "-notin"),
            ("$x = 1 -shl 2", "-shl"),
            ("$list | Where-Object { $PSItem.Name }", "$PSItem"),
            ("$here = $PSScriptRoot", "$PSScriptRoot"),
            ("Get-CimInstance Win32_OperatingSystem", "Get-CimInstance"),
            ("$o | ConvertTo-Json", "ConvertTo-Json"),
            ("Get-Content -Raw $p", "Get-Content -Raw"),
            ("$o | Export-Csv x.csv -Append", "Export-Csv -Append"),
            ("Get-ChildItem C:\\ -File", "Get-ChildItem -File"),
            (
                "Get-Service | Where-Object Status -eq Running",
                "Where-Object Name -eq x",
            ),
            ("(Get-Service).Where({ $_.Status })", ".Where()"),
            ("Get-FileHash $p", "Get-FileHash"),
            ("Expand-Archive x.zip", "Expand-Archive"),
            ("class Foo { }", "class"),
            ("using namespace System.IO", "using"),
            (
                "[System.IO.Compression.ZipFile]::OpenRead($p)",
                "[System.IO.Compression.ZipFile]",
            ),
            ("Get-Item x -ErrorAction Ignore", "-ErrorAction Ignore"),
            ("$s = [Text.StringBuilder]::new()", "::new()"),
            (
                "[CmdletBinding(SupportsShouldProcess)]",
                "SupportsShouldProcess without =$true",
            ),
            ("Invoke-Command { $using:x }", "$using:"),
        ];
        for (line, name) in table {
            assert_eq!(names(line), [*name], "{line}");
        }
        for fine in [
            "Get-ChildItem -Include *.ps1 -InputObject $x | Where-Object { -not $_.PSIsContainer }",
            "$missing = @('a', 'b' | Where-Object { $on -notcontains $_ })",
            "Get-WinEvent -FilterHashtable @{LogName='Lync Server'; Id=30024} -MaxEvents 1",
            "[CmdletBinding(SupportsShouldProcess=$true)]",
            "$sha = New-Object System.Security.Cryptography.SHA256Managed",
            "Get-Content $p | Select-Object -First 1",
            "$list | ForEach-Object { $_.Name } | Where-Object {",
            "Write-Host 'Use -in, [ordered] and $PSItem only in PowerShell 3.0'",
            "# Where-Object Status -eq Running needs PowerShell 3.0",
            "$a = 'it''s -in here'",
            "Write-Host \"$($x.Count) items\" -NoNewline",
            "$classes = 1; $enumerated = 2",
            "Get-Content -ReadCount 0 $p",
        ] {
            assert!(names(fine).is_empty(), "{fine}: {:?}", names(fine));
        }
    }

    #[test]
    fn double_quoted_strings_are_code_and_here_strings_are_not() {
        assert_eq!(names("Write-Host \"$($PSItem)\""), ["$PSItem"]);
        assert!(names("$t = @'\n$PSItem -in [ordered]\n'@\n").is_empty());
        assert!(names("<# [ordered]\n -in #> $a").is_empty());
        assert_eq!(find("# x\n\n$a -in $b").first().map(|f| f.line), Some(3));
    }
}
