//! Bad runbooks and environment files: each gives a diagnostic with file, line and column, a
//! hint, exit code 2, and never a panic.

use crate::builder::{Test, example_env};

pub const MINI: &str = "\
id: mini
title: Mini
summary: A small runbook for tests.
source: tests
inputs:
  - name: pool
    env: pools.failed
steps:
  - id: first
    letter: A
    title: First
    runs_on: front-end
    explanation: Do the first thing.
    commands:
      - powershell: Get-CsPool -Identity {{pool}}
  - id: second
    letter: B
    title: Second
    runs_on: front-end
    explanation: Then the second.
    commands:
      - template: hello.ps1
";

/// Validate `mini.yaml` after replacing `from` with `to`; expect exit 2 and `expected` in stderr.
fn bad_runbook(from: &str, to: &str, expected: &[&str]) {
    assert!(MINI.contains(from), "{from}");
    let run = Test::new()
        .file("rb/mini.yaml", &MINI.replacen(from, to, 1))
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .status(65);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for e in expected {
        assert!(run.stderr.contains(e), "expected {e:?} in:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("= hint:"), "no hint:\n{}", run.stderr);
    insta::assert_snapshot!(snapshot_name("runbook"), run.stderr);
}

/// A snapshot per case, named after the test (the test harness names each test's thread after
/// it): `runbook_unknown_field` for `diagnostics::unknown_field` with `kind` "runbook",
/// `env_bad_fqdn` for `diagnostics::env_bad_fqdn` with no kind; `_2` for a test's second case.
// Clippy 1.96 for the win7 target asks for the `const` initializer that is already there.
#[allow(clippy::missing_const_for_thread_local)]
fn snapshot_name(kind: &str) -> String {
    thread_local!(static CASES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) });
    let case = CASES.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let thread = std::thread::current();
    let test = thread
        .name()
        .and_then(|n| n.rsplit("::").next())
        .expect("a test thread's name");
    let name = if kind.is_empty() {
        test.to_owned()
    } else {
        format!("{kind}_{test}")
    };
    match case {
        1 => name,
        n => format!("{name}_{n}"),
    }
}

#[test]
fn the_mini_runbook_is_valid() {
    Test::new()
        .file("rb/mini.yaml", MINI)
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .success();
}

#[test]
fn yaml_syntax_error() {
    bad_runbook(
        "title: First",
        "title: \"First",
        &["YAML syntax error", "rb/mini.yaml:11:12"],
    );
}

#[test]
fn unknown_field() {
    bad_runbook(
        "    title: First",
        "    titel: First",
        &[
            "unknown field `titel`",
            "rb/mini.yaml:11:5",
            "did you mean `title`?",
        ],
    );
}

/// Issue 11 item 1: a `backup:` kind is parsed into the model's artifact type by the checker.
#[test]
fn unknown_backup_kind() {
    bad_runbook(
        "    explanation: Then the second.\n",
        "    explanation: Then the second.\n    prerequisites:\n      - backup: rtc-databse\n",
        &[
            "unknown backup kind `rtc-databse`",
            "rb/mini.yaml:22:17",
            "did you mean `rtc-database`?",
        ],
    );
}

/// Issue 11 item 5: the step an `after_step` names is resolved by the checker, or refused there.
#[test]
fn unknown_after_step() {
    bad_runbook(
        "    explanation: Then the second.\n",
        "    explanation: Then the second.\n    prerequisites:\n      - event: 30024\n        after_step: frist\n",
        &[
            "the prerequisite names step `frist`, which is no step of this runbook",
            "rb/mini.yaml:22:16",
            "did you mean `first`?",
        ],
    );
}

/// A runbook's own prerequisite naming no step is refused at its place, like a step's.
#[test]
fn unknown_not_after_of_the_runbook() {
    bad_runbook(
        "steps:\n",
        "prerequisites:\n  - not_after: secnod\nsteps:\n",
        &[
            "the prerequisite names step `secnod`, which is no step of this runbook",
            "rb/mini.yaml:9:16",
            "did you mean `second`?",
        ],
    );
}

/// An included runbook's own prerequisite names its own step: it is looked up in that runbook
/// (`part.second`), as a step's prerequisite is, not only at the top of the including one.
#[test]
fn an_included_runbooks_prerequisite_names_its_own_step() {
    let part = MINI
        .replace("id: mini\n", "id: part\n")
        .replace("steps:\n", "prerequisites:\n  - not_after: second\nsteps:\n");
    let outer = "\
id: outer
title: Outer
summary: Includes part.
source: tests
steps:
  - id: part
    include: part
";
    Test::new()
        .file("rb/part.yaml", &part)
        .file("rb/outer.yaml", outer)
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "show", "outer"])
        .run()
        .success()
        .stdout_has("step `part.second` has not started in this run");
}

#[test]
fn duplicate_step_id() {
    bad_runbook(
        "  - id: second",
        "  - id: first",
        &["duplicate step id `first`", "rb/mini.yaml:16:9", "rb/mini.yaml:9"],
    );
}

#[test]
fn duplicate_yaml_key() {
    bad_runbook(
        "    letter: B\n",
        "    letter: B\n    letter: C\n",
        &["duplicate key `letter`", "rb/mini.yaml:18:5"],
    );
}

#[test]
fn unknown_input_in_a_template() {
    bad_runbook(
        "{{pool}}\n  - id: second",
        "{{poool}}\n  - id: second",
        &["unknown name `poool`", "rb/mini.yaml:15:21", "pool"],
    );
}

#[test]
fn unknown_template() {
    bad_runbook(
        "template: hello.ps1",
        "template: helo.ps1",
        &["unknown template `helo.ps1`", "rb/mini.yaml:22:19"],
    );
}

#[test]
fn template_that_does_not_compile() {
    bad_runbook(
        "Get-CsPool -Identity {{pool}}",
        "Get-CsPool {{#if pool}}x",
        &["does not compile", "rb/mini.yaml:15:21"],
    );
}

#[test]
fn unknown_environment_key_in_an_input() {
    bad_runbook(
        "env: pools.failed",
        "env: pools.faild",
        &[
            "unknown environment key `pools.faild`",
            "rb/mini.yaml:7:10",
            "did you mean `pools.failed`?",
        ],
    );
}

#[test]
fn lync_2013_cmdlet_names_the_2010_way() {
    bad_runbook(
        "Get-CsPool -Identity {{pool}}",
        "Invoke-CsManagementServerFailover -Force",
        &[
            "`Invoke-CsManagementServerFailover` does not exist in Lync Server 2010",
            "rb/mini.yaml:15:21",
            "Move-CsManagementServer",
        ],
    );
}

/// The commands that ask the operator a question, each as a step might run it.
const PROMPTING: [(&str, &str); 4] = [
    ("Move-CsUser", "Move-CsUser -Identity {{pool}} -Target {{pool}}"),
    (
        "Get-CsApplicationContact -Delete",
        "Get-CsApplicationContact -RegistrarPool {{pool}} -Delete",
    ),
    (
        "Set-CsConfigurationStoreLocation",
        "Set-CsConfigurationStoreLocation -SqlServerFqdn {{pool}}",
    ),
    ("Read-Host", "$answer = Read-Host"),
];

const FIRST_COMMAND: &str = "      - powershell: Get-CsPool -Identity {{pool}}\n";

/// Validate the mini runbook whose first step runs `command`, with `extra` lines added to it.
fn validate_first_step(command: &str, extra: &str) -> crate::builder::Run {
    let runbook = MINI.replacen(
        FIRST_COMMAND,
        &format!("      - powershell: {command}\n{extra}"),
        1,
    );
    Test::new()
        .file("rb/mini.yaml", &runbook)
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
}

#[test]
fn a_command_that_asks_needs_an_interactive_step() {
    for (name, command) in PROMPTING {
        let run = validate_first_step(command, "").status(65).stderr_has(&format!(
            "error: step `first` runs `{name}`, which asks the operator a question, but is not marked `interactive: true`"
        ))
        .stderr_has("--> rb/mini.yaml:9:9")
        .stderr_has("= hint: mark the step `interactive: true` (lyncdr then runs it with your console so you can answer)");
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn an_interactive_step_may_run_a_command_that_asks() {
    for (_, command) in PROMPTING {
        validate_first_step(command, "    interactive: true\n").success();
    }
}

#[test]
fn confirm_false_turns_the_question_off() {
    for (name, command) in PROMPTING {
        let run = validate_first_step(&format!("{command} -Confirm:$false"), "");
        if name == "Read-Host" {
            // Read-Host has no -Confirm: the parameter silences nothing, the step still asks.
            run.status(65)
                .stderr_has("step `first` runs `Read-Host`")
                .stderr_has("`Read-Host` has no `-Confirm:$false`");
        } else {
            run.success();
        }
    }
}

#[test]
fn a_template_file_that_asks_is_held_to_the_same_rule() {
    let asks = "Get-CsApplicationContact -RegistrarPool {{pool}} -Delete";
    Test::new()
        .file("rb/mini.yaml", MINI)
        .file("tpl/hello.ps1.hbs", asks)
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .status(65)
        .stderr_has("step `second` runs `Get-CsApplicationContact -Delete`")
        .stderr_has("--> rb/mini.yaml:16:9");
    Test::new()
        .file(
            "rb/mini.yaml",
            &MINI.replacen(
                "      - template: hello.ps1\n",
                "      - template: hello.ps1\n    interactive: true\n",
                1,
            ),
        )
        .file("tpl/hello.ps1.hbs", asks)
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .success();
}

#[test]
fn a_verify_check_must_not_ask_even_in_an_interactive_step() {
    validate_first_step(
        "Get-CsPool -Identity {{pool}}",
        "    interactive: true\n    verify:\n      powershell: $ok = Read-Host\n",
    )
    .status(65)
    .stderr_has("the `verify` check of step `first` runs `Read-Host`, which asks the operator a question: a check must not ask questions")
    .stderr_has("--> rb/mini.yaml:9:9");
}

#[test]
fn interactive_belongs_to_a_step_with_commands() {
    bad_runbook(
        "    explanation: Do the first thing.\n    commands:\n      - powershell: Get-CsPool -Identity {{pool}}\n",
        "    explanation: Do the first thing.\n    manual: true\n    interactive: true\n",
        &[
            "step `first` is `interactive` but has no `commands`",
            "rb/mini.yaml:15:18",
        ],
    );
}

#[test]
fn raw_insertion_is_refused() {
    bad_runbook(
        "{{pool}}\n  - id: second",
        "{{{pool}}}\n  - id: second",
        &["without escaping", "rb/mini.yaml:15:42"],
    );
}

#[test]
fn invalid_condition() {
    bad_runbook(
        "    letter: B\n",
        "    letter: B\n    when: options.user_data_restore == C\n",
        &["invalid condition", "rb/mini.yaml:18:11", "not a choice"],
    );
}

#[test]
fn unknown_runs_on() {
    bad_runbook(
        "runs_on: front-end\n    explanation: Then",
        "runs_on: frontend\n    explanation: Then",
        &["unknown `runs_on` value `frontend`", "rb/mini.yaml:19:14"],
    );
}

/// A step lyncdr does itself seals a set that records whose it is: its runbook must have the
/// inputs naming the pool and its Back End (mapped where it is included, as after a CMS move).
#[test]
fn a_builtin_step_needs_the_inputs_naming_whose_set_it_is() {
    bad_runbook(
        "    commands:\n      - template: hello.ps1\n",
        "    lyncdr: seal-baseline\n",
        &[
            "a `lyncdr: seal-baseline` step needs its runbook's input `sql_server`",
            "rb/mini.yaml:21:13",
        ],
    );
}

#[test]
fn curly_quote_in_a_command() {
    bad_runbook(
        "Get-CsPool -Identity {{pool}}",
        "Get-CsPool -Identity \u{2018}x\u{2019}",
        &["non-ASCII character U+2018", "rb/mini.yaml:15:42"],
    );
}

#[test]
fn include_cycle() {
    let a = MINI
        .replace("id: mini", "id: a")
        .replace("  - id: second", "  - id: inc\n    include: b\n  - id: second");
    let b = MINI
        .replace("id: mini", "id: b")
        .replace("  - id: second", "  - id: inc\n    include: a\n  - id: second");
    let run = Test::new()
        .file("rb/a.yaml", &a)
        .file("rb/b.yaml", &b)
        .file("tpl/hello.ps1.hbs", "Write-Host {{pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .status(65)
        .stderr_has("include cycle: a -> b -> a")
        .stderr_has("rb/b.yaml:17:14");
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn template_file_that_does_not_compile_points_into_it() {
    Test::new()
        .file("rb/mini.yaml", MINI)
        .file("tpl/hello.ps1.hbs", "Write-Host\n{{#each pool}}x\n")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .status(65)
        .stderr_has("template `hello.ps1.hbs` does not compile")
        .stderr_has("tpl/hello.ps1.hbs:");
}

/// Validate `env.yaml` = the example with `from` replaced by `to`.
fn bad_env(from: &str, to: &str, expected: &[&str]) {
    let example = std::fs::read_to_string(example_env()).expect("example");
    assert!(example.contains(from), "{from}");
    let run = Test::new()
        .file("env.yaml", &example.replacen(from, to, 1))
        .args(["validate", "env.yaml"])
        .run()
        .status(65);
    assert!(!run.stderr.contains("panicked"));
    for e in expected {
        assert!(run.stderr.contains(e), "expected {e:?} in:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("= hint:"), "no hint:\n{}", run.stderr);
    insta::assert_snapshot!(snapshot_name(""), run.stderr);
}

fn line_of(needle: &str) -> usize {
    let example = std::fs::read_to_string(example_env()).expect("example");
    example.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

#[test]
fn env_bad_fqdn() {
    let line = line_of("target: pool02.contoso.com");
    bad_env(
        "target: pool02.contoso.com",
        "target: pool02;calc.contoso.com",
        &[
            "invalid value for `pools.target`",
            &format!("env.yaml:{line}:11"),
            "pool01.contoso.com",
        ],
    );
}

#[test]
fn env_curly_quote_in_a_path() {
    let line = line_of("rtc_database:");
    let old = std::fs::read_to_string(example_env())
        .expect("e")
        .lines()
        .nth(line - 1)
        .expect("line")
        .trim()
        .to_owned();
    bad_env(
        &old,
        "rtc_database: 'C:\\Backups\\O\u{2019}Brien\\rtc.bak'",
        &[
            "`backups.rtc_database`",
            &format!("env.yaml:{line}:"),
            "U+2019",
            "curly single quote",
        ],
    );
}

#[test]
fn env_unknown_key() {
    bad_env(
        "lyncdr_env: 1\n",
        "lyncdr_env: 1\neditoin: enterprise\n",
        &["unknown key `editoin`", "env.yaml:2:1", "did you mean `edition`?"],
    );
}

#[test]
fn env_bad_choice_and_sql_instance() {
    let line = line_of("user_data_restore:");
    bad_env(
        "user_data_restore: B",
        "user_data_restore: C",
        &[
            "`options.user_data_restore`",
            &format!("env.yaml:{line}:"),
            "`A`, `B`",
        ],
    );
    bad_env(
        "instance: rtc",
        "instance: rtc;DROP",
        &["`sql.backend.instance`", "instance name"],
    );
}

#[test]
fn env_missing_format_line() {
    bad_env(
        "lyncdr_env: 1\n",
        "# no version\n",
        &["is not an environment file", "env.yaml:1:1"],
    );
}

#[test]
fn missing_value_names_the_key_and_nothing_is_rendered() {
    let example = std::fs::read_to_string(example_env()).expect("example");
    let line = example
        .lines()
        .find(|l| l.contains("rgs_export:"))
        .expect("rgs line");
    let run = Test::new()
        .file("env.yaml", &example.replace(line, ""))
        .args(["plan", "rgs-restore", "--env", "env.yaml"])
        .run()
        .status(65)
        .stderr_has("`backups.rgs_export` is not set in `env.yaml`");
    assert!(run.stdout.is_empty(), "nothing is rendered:\n{}", run.stdout);
}

#[test]
fn bad_set_is_refused() {
    Test::new()
        .args([
            "plan",
            "cms-move",
            "--env",
            &example_env(),
            "--set",
            "pools.target=a'b.com",
        ])
        .run()
        .status(65)
        .stderr_has("`pools.target` (from --set)");
    Test::new()
        .args([
            "plan",
            "cms-move",
            "--env",
            &example_env(),
            "--set",
            "pool.target=x",
        ])
        .run()
        .status(65)
        .stderr_has("did you mean `pools.target`?");
}

#[test]
fn missing_environment_file() {
    Test::new()
        .args(["plan", "cms-move", "--env", "nope.yaml"])
        .run()
        .status(66)
        .stderr_has("cannot read environment file `nope.yaml`");
}

#[test]
fn the_format_doc_lists_every_environment_key() {
    let doc = std::fs::read_to_string(crate::builder::repo().join("docs/runbook-format.md")).expect("doc");
    for spec in lyncdr::env::schema::SCHEMA {
        assert!(
            doc.contains(&format!("| `{}` |", spec.key)),
            "docs/runbook-format.md lacks `{}`",
            spec.key
        );
    }
}

/// Notepad on Windows Server saves UTF-8 with a byte order mark, and CRLF line ends.
#[test]
fn an_environment_saved_by_notepad_is_read() {
    let example = std::fs::read_to_string(example_env()).expect("example");
    let notepad = format!("\u{feff}{}", example.replace('\n', "\r\n"));
    Test::new()
        .file("env.yaml", &notepad)
        .args(["validate", "env.yaml"])
        .run()
        .success();
    Test::new()
        .file("env.yaml", &notepad)
        .args(["plan", "rgs-restore", "--env", "env.yaml"])
        .run()
        .success()
        .stdout_has("-RegistrarPool 'pool01.contoso.com'");
}

/// Issue 10, item 9: a value is escaped as a literal of its own, so in a custom template it may
/// only stand in code: inside a string, a here-string, a comment or a bracketed identifier it
/// would end what surrounds it. `validate` refuses such a template at its line and column, and
/// `{{ident}}` (raw T-SQL brackets) exists for T-SQL templates only.
#[test]
fn a_value_inside_a_string_of_a_custom_template_is_refused_at_its_place() {
    for (file, text, at) in [
        (
            "tpl/hello.ps1.hbs",
            "Write-Host \"pool {{pool}}\"",
            "tpl/hello.ps1.hbs:1:18",
        ),
        (
            "tpl/hello.ps1.hbs",
            "$x = @\"\nfor {{pool}}\n\"@",
            "tpl/hello.ps1.hbs:2:5",
        ),
        (
            "tpl/hello.ps1.hbs",
            "# {{pool}}\nGet-CsPool",
            "tpl/hello.ps1.hbs:1:3",
        ),
    ] {
        let run = Test::new()
            .file("rb/mini.yaml", MINI)
            .file(file, text)
            .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
            .run()
            .status(65)
            .stderr_has("a value is placed inside a");
        assert!(run.stderr.contains(at), "{text}: {}", run.stderr);
    }
    let run = Test::new()
        .file("rb/mini.yaml", MINI)
        .file("tpl/hello.ps1.hbs", "Get-CsPool -Identity {{ident pool}}")
        .args(["--runbooks", "rb", "--templates", "tpl", "validate"])
        .run()
        .status(65);
    assert!(run.stderr.contains("ident"), "{}", run.stderr);
}

/// Issue 10, item 10: an error quotes the environment file's name and its lines; a control
/// character in them (an escape sequence that clears the screen) is shown, never sent.
#[cfg(unix)] // Windows refuses control characters in file names
#[test]
fn control_characters_in_an_error_never_reach_the_terminal() {
    let run = Test::new()
        .file(
            "evil\u{1b}[2J.yaml",
            "lyncdr_env: 1\npools:\n  failed: \"x\u{1b}]52;c;aGk=\u{7}.contoso.com\"\n",
        )
        .args(["validate", "evil\u{1b}[2J.yaml"])
        .run()
        .status(65);
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{7}'),
        "{:?}",
        run.stderr
    );
    assert!(run.stderr.contains("evil\\u{1b}[2J.yaml"), "{}", run.stderr);
}

/// Issue 11 item 11: a Windows path in YAML double quotes, where `\n` is a newline and `\L` a
/// line separator: the diagnostic names the escape, points at it and shows the line to type.
#[test]
fn a_windows_path_in_double_quotes_names_the_escape() {
    let run = Test::new()
        .file(
            "env.yaml",
            "lyncdr_env: 1\nbackups:\n  rtc_database: \"C:\\new\\rtc.bak\"\n  user_data: \"C:\\Lync Backups\\rtc.xml\"\n",
        )
        .args(["validate", "env.yaml"])
        .run()
        .status(65);
    assert_eq!(
        run.stderr,
        r#"error: invalid value for `backups.rtc_database`: in double quotes `\n` is a newline
  --> env.yaml:3:20
  |
3 |   rtc_database: "C:\new\rtc.bak"
  |                    ^^
  = hint: write Windows paths in 'single quotes', where a backslash is a backslash: `rtc_database: 'C:\new\rtc.bak'`

error: invalid value for `backups.user_data`: in double quotes `\L` is a line separator (U+2028)
  --> env.yaml:4:17
  |
4 |   user_data: "C:\Lync Backups\rtc.xml"
  |                 ^^
  = hint: write Windows paths in 'single quotes', where a backslash is a backslash: `user_data: 'C:\Lync Backups\rtc.xml'`

2 errors
"#
    );
}

/// Issue 11 item 11: an environment file saved by Windows PowerShell 2.0's `>` (UTF-16LE with a
/// byte order mark) is read as it is.
#[test]
fn an_environment_saved_as_utf16_is_read() {
    let example = std::fs::read_to_string(example_env()).expect("example");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        example
            .replace('\n', "\r\n")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let t = Test::new().args(["validate", "env.yaml"]);
    std::fs::write(t.path().join("env.yaml"), utf16).expect("write");
    assert_eq!(
        t.run().success().stdout,
        "ok: 7 runbooks, env.yaml\nenv.yaml can plan every runbook: `backend-restore`, `backup`, `cms-move`, `cms-restore`, `finish`, `rgs-restore`, `rtc-restore`\n"
    );
}

/// Issue 11 item 11: a file in neither UTF-8 nor UTF-16 (a legacy code page) is refused with how
/// to save it as UTF-8.
#[test]
fn an_environment_in_a_legacy_code_page_says_how_to_save_it() {
    let t = Test::new().args(["plan", "backend-restore", "--env", "env.yaml"]);
    std::fs::write(
        t.path().join("env.yaml"),
        b"lyncdr_env: 1\ndeployment: Z\xfcrich\n",
    )
    .expect("write");
    assert_eq!(
        t.run().status(65).stderr,
        "error: cannot read `env.yaml`: it is neither UTF-8 nor UTF-16 text
  = hint: save it as UTF-8: in Notepad, File > Save As, Encoding: UTF-8; or in PowerShell, `Get-Content env.yaml | Out-File -Encoding UTF8 utf8-env.yaml`
"
    );
}

// ---------------------------------------------------------------- whole messages (issue 11)

/// The example environment with `from` replaced by `to` (once), as `env.yaml` in a test folder.
fn example_with(from: &str, to: &str) -> Test {
    let example = std::fs::read_to_string(example_env()).expect("example");
    assert!(example.contains(from), "{from}");
    Test::new().file("env.yaml", &example.replacen(from, to, 1))
}

/// What a person sees: the command, its exit code, and what it printed.
fn shown(t: Test, args: &[&str]) -> String {
    let run = t.args(args.iter().copied()).run();
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let mut out = format!("$ lyncdr {}\nexit {}\n", args.join(" "), run.status);
    if !run.stdout.is_empty() {
        out.push_str(&format!("--- stdout\n{}", run.stdout));
    }
    if !run.stderr.is_empty() {
        out.push_str(&format!("--- stderr\n{}", run.stderr));
    }
    out
}

/// Issue 11 item 10: a file without `pools.target` is valid, but cannot plan the CMS move:
/// `validate` says which runbooks it can plan and what each other one lacks, one line per key.
#[test]
fn validate_says_which_runbooks_a_file_can_plan() {
    let t = example_with("  target: pool02.contoso.com\n", "");
    insta::assert_snapshot!(
        "validate_without_pools_target",
        shown(t, &["validate", "env.yaml"])
    );
}

/// Issue 11 item 10: a minimal file: per runbook, the keys it lacks, each once.
#[test]
fn validate_a_minimal_file() {
    let t = Test::new().file("env.yaml", MINIMAL);
    insta::assert_snapshot!("validate_minimal", shown(t, &["validate", "env.yaml"]));
}

/// Issue 11 item 10: `plan` prints one error per missing key, listing the steps that use it (it
/// printed 25 near-identical errors for `pools.target`).
#[test]
fn plan_reports_a_missing_key_once_with_its_steps() {
    let t = example_with("  target: pool02.contoso.com\n", "");
    let out = shown(t, &["plan", "cms-move", "--env", "env.yaml"]);
    assert_eq!(out.matches("error:").count(), 1, "{out}");
    insta::assert_snapshot!("plan_without_pools_target", out);
}

/// A file with the format line and the failed pool only.
const MINIMAL: &str = "lyncdr_env: 1\npools:\n  failed: pool01.contoso.com\n";

/// Issue 11 item 10: a minimal file gave 44 errors for 8 keys; now one per key. A derived key
/// (`sql.backend.server`) is reported as the keys it is made from.
#[test]
fn plan_a_minimal_file_one_error_per_key() {
    let t = Test::new().file("env.yaml", MINIMAL);
    let out = shown(t, &["plan", "backend-restore", "--env", "env.yaml"]);
    assert!(!out.contains("`sql.backend.server` is not set"), "{out}");
    insta::assert_snapshot!("plan_minimal_backend_restore", out);
}

/// Issue 11 item 10: `run` reports the missing keys the same way, before it creates anything.
#[test]
fn run_reports_a_missing_key_once_and_creates_nothing() {
    let t = example_with("  target: pool02.contoso.com\n", "");
    let dir = t.path().to_path_buf();
    let out = shown(t, &["run", "cms-move", "--env", "env.yaml", "--yes", "--dry-run"]);
    assert_eq!(out.matches("error:").count(), 1, "{out}");
    assert!(!dir.join(".lyncdr").exists(), "run created its state folder");
    insta::assert_snapshot!("run_without_pools_target", out);
}

/// Issue 11 item 11: every diagnostic about an environment file (or `--set`, or a runbook name),
/// pinned whole, one case per kind of mistake.
#[test]
fn environment_diagnostics_whole() {
    let plan = ["plan", "backend-restore", "--env", "env.yaml"];
    let all = [
        // A derived key written in the file: explained, not suggested as a typo of itself.
        shown(
            example_with("  backend:\n", "  backend:\n    server: be01.contoso.com\\rtc\n"),
            &["validate", "env.yaml"],
        ),
        // ... and with --set.
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &[&plan[..], &["--set", "sql.backend.server=be01.contoso.com\\rtc"]].concat(),
        ),
        // An unknown key, a near miss.
        shown(
            example_with("lyncdr_env: 1\n", "lyncdr_env: 1\neditoin: enterprise\n"),
            &["validate", "env.yaml"],
        ),
        // An unknown key with --set.
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &[&plan[..], &["--set", "pools.targt=pool02.contoso.com"]].concat(),
        ),
        // A group written as a value.
        shown(
            Test::new().file("env.yaml", "lyncdr_env: 1\npools: pool01.contoso.com\n"),
            &["validate", "env.yaml"],
        ),
        // A curly quote after letters that are not ASCII: the caret is under the quote.
        shown(
            Test::new().file(
                "env.yaml",
                "lyncdr_env: 1\nbackups:\n  rtc_database: 'C:\\Sauvegardes\\Zürich\\O\u{2019}Brien\\rtc.bak'\n",
        ),
            &["validate", "env.yaml"],
        ),
        // A curly double quote and a long dash in plain values.
        shown(
            Test::new().file(
                "env.yaml",
                "lyncdr_env: 1\ndeployment: Société \u{201C}Générale\u{201D}\npools:\n  failed: pool01\u{2013}x.contoso.com\n",
        ),
            &["validate", "env.yaml"],
        ),
        // An invalid value with no look-alike character: a duration in months.
        shown(
            Test::new().file("env.yaml", "lyncdr_env: 1\nbackups:\n  max_age: 1 month\n"),
            &["validate", "env.yaml"],
        ),
        // The format line missing, and an unsupported format.
        shown(
            Test::new().file("env.yaml", "pools:\n  failed: pool01.contoso.com\n"),
            &["validate", "env.yaml"],
        ),
        shown(
            Test::new().file("env.yaml", "lyncdr_env: 2\n"),
            &["validate", "env.yaml"],
        ),
        // --set without `=`, and an invalid value with --set.
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &[&plan[..], &["--set", "edition"]].concat(),
        ),
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &[&plan[..], &["--set", "pools.target=a'b.com"]].concat(),
        ),
        // An unmet `requires:`.
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &[&plan[..], &["--set", "edition=standard"]].concat(),
        ),
        // An unknown runbook: a name begun is completed, a near miss suggested.
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &["plan", "backend", "--env", "env.yaml"],
        ),
        shown(
            example_with("lyncdr_env: 1", "lyncdr_env: 1"),
            &["plan", "rgs-restor", "--env", "env.yaml"],
        ),
        // A file that is missing.
        shown(Test::new(), &plan),
    ];
    insta::assert_snapshot!("environment_diagnostics", all.join("\n"));
}
