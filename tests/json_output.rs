//! Issue 18 item 11: `--format json` on `list`, `show`, `validate`, `plan`, `status`, `audit`,
//! `bundle` and `backup` prints one envelope on stdout, on success and on failure alike, with
//! the same exit code as in text mode and the same error object on every command.

use crate::Test;
use lyncdr::front::exit;
use serde_json::Value;

/// One case: the arguments (after the command, before `--format json`), the exit code, and on
/// failure the error object's `code`.
struct Case {
    command: &'static str,
    args: &'static [&'static str],
    exit: u8,
    error: Option<&'static str>,
}

const fn ok(command: &'static str, args: &'static [&'static str], exit: u8) -> Case {
    Case {
        command,
        args,
        exit,
        error: None,
    }
}

const fn fails(command: &'static str, args: &'static [&'static str], exit: u8, code: &'static str) -> Case {
    Case {
        command,
        args,
        exit,
        error: Some(code),
    }
}

const CASES: &[Case] = &[
    ok("list", &[], exit::SUCCESS),
    fails(
        "list",
        &["--runbooks", "no-such-dir"],
        exit::NO_INPUT,
        "input.missing",
    ),
    ok("show", &["cms-move"], exit::SUCCESS),
    fails("show", &["cms-mvoe"], exit::USAGE, "input.unknown"),
    ok("validate", &["contoso.yaml"], exit::SUCCESS),
    fails("validate", &["bad.yaml"], exit::INVALID, "input.invalid"),
    ok("plan", &["cms-move", "--env", "contoso.yaml"], exit::SUCCESS),
    fails(
        "plan",
        &["cms-move", "--env", "missing.yaml"],
        exit::NO_INPUT,
        "input.missing",
    ),
    ok("status", &[], exit::SUCCESS),
    fails(
        "status",
        &["--state", "gone.json"],
        exit::NO_INPUT,
        "command.state-not-found",
    ),
    // A verdict is a result, whatever it says: an empty folder is not ready (exit 2).
    ok("audit", &["empty"], exit::NOT_READY),
    fails("audit", &["not-there"], exit::NO_INPUT, "audit.not-found"),
    ok(
        "bundle",
        &["rgs-restore", "--env", "contoso.yaml", "--out", "b"],
        exit::SUCCESS,
    ),
    fails(
        "bundle",
        &["rgs-restore", "--env", "contoso.yaml", "--out", "bad.yaml"],
        exit::CANNOT_WRITE,
        "bundle.occupied",
    ),
    ok(
        "backup",
        &["--env", "contoso.yaml", "--new-key", "job.key"],
        exit::SUCCESS,
    ),
    fails(
        "backup",
        &["--env", "contoso.yaml"],
        exit::USAGE,
        "command.bad-value",
    ),
    // A command line clap refuses is an error object too.
    fails(
        "plan",
        &["--env", "contoso.yaml"],
        exit::USAGE,
        "usage.command-line",
    ),
];

fn site() -> Test {
    let env = std::fs::read_to_string(crate::builder::example_env()).expect("example");
    let t = Test::new()
        .file("contoso.yaml", &env)
        .file("bad.yaml", "lyncdr_env: 1\npools:\n  failed: [\n");
    std::fs::create_dir(t.path().join("empty")).expect("mkdir");
    t
}

/// The envelope on stdout, parsed, for `case`.
fn envelope(case: &Case) -> (Value, crate::builder::Run) {
    let mut args = vec![case.command];
    args.extend(case.args);
    args.extend(["--format", "json"]);
    let run = site().args(args).run();
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{} {:?}: stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            case.command, case.args, run.stdout, run.stderr
        )
    });
    (v, run)
}

#[test]
fn every_command_prints_one_envelope_on_success_and_failure() {
    for case in CASES {
        let (v, run) = envelope(case);
        let what = format!("{} {:?}: {v}\nstderr:\n{}", case.command, case.args, run.stderr);
        assert_eq!(run.status, i32::from(case.exit), "{what}");
        assert_eq!(v["format_version"], 1, "{what}");
        assert_eq!(v["command"], case.command, "{what}");
        assert_eq!(v["ok"], case.error.is_none(), "{what}");
        match case.error {
            None => {
                assert!(v["result"].is_object(), "{what}");
                assert!(v.get("error").is_none(), "{what}");
            }
            Some(code) => {
                let e = &v["error"];
                assert!(v.get("result").is_none(), "{what}");
                assert_eq!(e["code"], code, "{what}");
                assert_eq!(e["exit_code"], case.exit, "{what}");
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
                for key in ["hint", "location", "problems"] {
                    assert!(e.get(key).is_some(), "{key}: {what}");
                }
                // The text is still on stderr for the person at the terminal.
                assert!(run.stderr.contains("error"), "{what}");
            }
        }
    }
}

/// An error in an input file names its place; the whole envelope as a script reads it.
#[test]
fn an_invalid_file_is_an_error_object_with_its_location() {
    let (v, _) = envelope(&CASES[5]);
    assert_eq!(v["error"]["location"], "bad.yaml:4:1", "{v}");
    insta::assert_json_snapshot!("json_validate_invalid", v);
}

/// The envelope around a result: `list` (the built-in runbooks).
#[test]
fn list_result_in_its_envelope() {
    let (v, _) = envelope(&CASES[0]);
    insta::assert_json_snapshot!("json_list", v);
}
