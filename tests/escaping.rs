//! Property tests: arbitrary strings in path-typed values (letters of any script included) either
//! are refused with an error that names the key, or come out of the PowerShell and T-SQL
//! renderers as one literal that parses and decodes back to the very same string. Hostile FQDNs
//! are always refused.

use crate::powershell;
use lyncdr::env::Environment;
use lyncdr::render::plan::Plan;
use lyncdr::runbook::Library;
use lyncdr::source::SourceFile;
use proptest::prelude::*;
use std::sync::OnceLock;

fn example() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        std::fs::read_to_string(crate::builder::repo().join("runbooks/examples/contoso.yaml"))
            .expect("example")
    })
}

fn plan(runbook: &str, sets: &[String]) -> Result<Plan, String> {
    thread_local!(static LIB: Library = Library::load(None, None).expect("built-in library"));
    let env = Environment::parse(SourceFile::new("contoso.yaml", None, example()), sets)
        .map_err(|d| d.to_string())?;
    LIB.with(|lib| {
        Plan::build(lib.get(runbook).expect("runbook"), &env, &lib.templates).map_err(|d| d.to_string())
    })
}

fn command<'p>(plan: &'p Plan, needle: &str) -> &'p str {
    plan.steps
        .iter()
        .flat_map(|s| &s.commands)
        .map(|c| c.text.as_str())
        .find(|t| t.contains(needle))
        .expect(needle)
}

/// Strings biased towards what breaks quoting: quotes of every kind, `$(`, backticks, `;`,
/// newlines, `]`, `%`, non-ASCII, next to ordinary path characters.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_owned()),
        Just("''".to_owned()),
        Just("\"".to_owned()),
        Just("\u{2019}".to_owned()),
        Just("\u{2018}".to_owned()),
        Just("\u{201C}".to_owned()),
        Just("\u{2013}".to_owned()),
        Just("$(".to_owned()),
        Just("`".to_owned()),
        Just(";".to_owned()),
        Just("\n".to_owned()),
        Just("]".to_owned()),
        Just("%".to_owned()),
        Just("--".to_owned()),
        Just("/*".to_owned()),
        Just("\\".to_owned()),
        Just(" ".to_owned()),
        "[ -~]{1,6}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn a_path_stays_one_powershell_literal(tail in hostile()) {
        let path = format!("C:\\Backups\\{tail}");
        match plan("cms-move", &[format!("backups.cs_configuration={path}")]) {
            Err(e) => prop_assert!(e.contains("backups.cs_configuration"), "error does not name the key: {e}"),
            Ok(p) => {
                let text = command(&p, "Move-CsManagementServer");
                prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
                let errors = powershell::errors(text);
                prop_assert!(errors.is_empty(), "{:?} in {}", errors, text);
                prop_assert!(powershell::verbatim_strings(text).contains(&path), "{} lost in {}", path, text);
            }
        }
    }

    /// The rtc backup path reaches SQL Server only as a parameter (`@file`), never inside T-SQL
    /// text: in the restore script it is one PowerShell literal, and every T-SQL string in the
    /// script is free of it.
    #[test]
    fn a_backup_path_reaches_sql_only_as_a_parameter(tail in hostile()) {
        let path = format!("C:\\Backups\\{tail}");
        let sets = [format!("backups.rtc_database={path}"), "options.user_data_restore=A".to_owned()];
        match plan("backend-restore", &sets) {
            Err(e) => prop_assert!(e.contains("backups.rtc_database"), "error does not name the key: {e}"),
            Ok(p) => {
                let text = command(&p, "RESTORE DATABASE");
                prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
                let errors = powershell::errors(text);
                prop_assert!(errors.is_empty(), "{:?} in {}", errors, text);
                prop_assert!(powershell::verbatim_strings(text).contains(&path), "{} lost in {}", path, text);
                prop_assert!(text.contains("FROM DISK = @file"));
                for literal in powershell::verbatim_strings(text).iter().filter(|s| s.contains("RESTORE")) {
                    prop_assert!(!literal.contains(&path), "the path is inside T-SQL: {}", literal);
                }
            }
        }
    }

    #[test]
    fn hostile_fqdns_are_refused_naming_the_key(
        head in "[a-z]{1,8}",
        evil in prop_oneof![Just("'"), Just("\""), Just(";"), Just("$("), Just("`"), Just("\n"), Just("\u{2019}"), Just(" ")],
        tail in "[a-z.;()$`'-]{0,8}",
    ) {
        let fqdn = format!("{head}{evil}{tail}.contoso.com");
        // From the command line ...
        let e = plan("cms-move", &[format!("pools.target={fqdn}")]).expect_err("refused");
        prop_assert!(e.contains("`pools.target`"), "{}", e);
        // ... and from the file, where the error points at the line.
        let text = example().replace("target: pool02.contoso.com", &format!("target: {}", serde_json::to_string(&fqdn).expect("json")));
        prop_assert_ne!(&text, example());
        let e = Environment::parse(SourceFile::new("contoso.yaml", None, text), &[]).expect_err("refused").to_string();
        prop_assert!(e.contains("`pools.target`") && e.contains("contoso.yaml:"), "{}", e);
    }
}

#[test]
fn o_brien_comes_out_right_in_every_language() {
    let path = r"C:\Backups\O'Brien\rtc.bak";
    let p = plan(
        "backend-restore",
        &[
            format!("backups.rtc_database={path}"),
            "options.user_data_restore=A".into(),
        ],
    )
    .expect("plan");
    assert!(
        command(&p, "RESTORE DATABASE").contains(r"AddWithValue('@file', 'C:\Backups\O''Brien\rtc.bak')")
    );
    let p = plan(
        "backend-restore",
        &[format!("backups.user_data={}", path.replace("rtc.bak", "u.xml"))],
    )
    .expect("plan");
    let ps = command(&p, "/import");
    assert!(ps.contains(r"'/hrxmlfile:C:\Backups\O''Brien\u.xml'"), "{ps}");
    let cmd = p
        .steps
        .iter()
        .flat_map(|s| &s.commands)
        .find(|c| c.alternative)
        .expect("cmd form");
    assert!(
        cmd.text.contains(r#""/hrxmlfile:C:\Backups\O'Brien\u.xml""#),
        "{}",
        cmd.text
    );
}
