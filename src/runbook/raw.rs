//! The runbook file as written: serde types that mirror the YAML, every value with its span.
//! `Library::load` turns these into the checked [`crate::runbook::Runbook`].

use marked_yaml::Spanned;
use serde::Deserialize;
use std::collections::HashMap;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRunbook {
    pub id: S<String>,
    pub title: S<String>,
    pub summary: S<String>,
    pub source: S<String>,
    #[serde(default)]
    pub requires: Vec<RawRequirement>,
    #[serde(default)]
    pub inputs: Vec<RawInput>,
    #[serde(default)]
    pub prerequisites: Vec<RawPrerequisite>,
    /// Opening steps: before `steps` when this runbook is the one being run, left out when
    /// another runbook includes it (that one opens once, at its own start).
    #[serde(default)]
    pub opening: Vec<RawStep>,
    pub steps: Vec<RawStep>,
    /// Closing steps: after `steps` when this runbook is the one being run, left out when another
    /// runbook includes it (that one closes once, at its own end).
    #[serde(default)]
    pub finally: Vec<RawStep>,
}

/// A condition the environment must meet for the runbook to apply at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    pub condition: S<String>,
    pub reason: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInput {
    pub name: S<String>,
    pub env: S<String>,
    #[serde(default)]
    pub description: Option<S<String>>,
}

/// Exactly one of `backup`, `event`, `confirm`; checked after parsing so the error can point at it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrerequisite {
    #[serde(default)]
    pub backup: Option<S<String>>,
    #[serde(default)]
    pub event: Option<S<u32>>,
    #[serde(default)]
    pub after_step: Option<S<String>>,
    #[serde(default)]
    pub confirm: Option<S<String>>,
    #[serde(default)]
    pub not_after: Option<S<String>>,
    /// For an event: the environment key listing the computers it must come from.
    #[serde(default)]
    pub computers: Option<S<String>>,
    #[serde(default)]
    pub when: Option<S<String>>,
}

/// A step, an include, or a step with options: told apart by which keys are present.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    #[serde(default)]
    pub id: Option<S<String>>,
    #[serde(default)]
    pub include: Option<S<String>>,
    #[serde(default)]
    pub with: HashMap<S<String>, S<String>>,
    #[serde(default)]
    pub letter: Option<S<String>>,
    #[serde(default)]
    pub title: Option<S<String>>,
    #[serde(default)]
    pub runs_on: Option<S<String>>,
    /// The input naming the SQL server a `back-end-sql` step's T-SQL runs on, where it is not
    /// the runbook's first SQL server input.
    #[serde(default)]
    pub sql_server: Option<S<String>>,
    #[serde(default)]
    pub explanation: Option<S<String>>,
    #[serde(default)]
    pub manual: Option<S<bool>>,
    #[serde(default)]
    pub warnings: Vec<S<String>>,
    #[serde(default)]
    pub notes: Vec<S<String>>,
    #[serde(default)]
    pub when: Option<S<String>>,
    #[serde(default)]
    pub prerequisites: Vec<RawPrerequisite>,
    #[serde(default)]
    pub commands: Vec<RawCommand>,
    /// A step lyncdr does itself ([`crate::runbook::Builtin`]), instead of `commands`.
    #[serde(default)]
    pub lyncdr: Option<S<String>>,
    #[serde(default)]
    pub verify: Option<RawCommand>,
    #[serde(default)]
    pub idempotent: Option<S<bool>>,
    #[serde(default)]
    pub interactive: Option<S<bool>>,
    #[serde(default)]
    pub skippable: Option<S<bool>>,
    #[serde(default)]
    pub choice: Option<S<String>>,
    #[serde(default)]
    pub options: Vec<RawOption>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub id: S<String>,
    pub title: S<String>,
    pub tradeoffs: S<String>,
    pub steps: Vec<RawStep>,
}

/// Exactly one of `template`, `powershell`, `sql`, `cmd`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommand {
    #[serde(default)]
    pub template: Option<S<String>>,
    #[serde(default)]
    pub powershell: Option<S<String>>,
    #[serde(default)]
    pub sql: Option<S<String>>,
    #[serde(default)]
    pub cmd: Option<S<String>>,
    /// The same action as the previous command, for another shell: shown, never run.
    #[serde(default)]
    pub alternative: Option<S<bool>>,
}
