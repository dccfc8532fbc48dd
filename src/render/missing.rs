//! Environment keys a plan needs and the environment file lacks, gathered while the plan is
//! built and reported once per key with every step that uses it (a file without `pools.target`
//! is one error naming 25 steps, not 25 errors). `plan`, `run` and `bundle` print them as
//! errors; `validate` prints one line per key for each runbook the file cannot plan.
//!
//! A derived key (`sql.backend.server`) is never reported itself: the keys it is made from are,
//! because those are what the user writes.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::env::{Environment, schema};
use std::fmt;

/// One key the environment lacks, and who needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKey {
    pub key: String,
    /// Ids of the steps that use it, in runbook order, each once.
    pub steps: Vec<String>,
    /// Needs that are not a step's: a `requires:` of the runbook, a backup prerequisite of the
    /// whole runbook.
    pub needs: Vec<String>,
    /// Derived keys that are missing because this one is (`sql.backend.server`).
    pub via: Vec<String>,
}

impl MissingKey {
    /// "3 steps: `a`, `b`, `c`" and the other needs, for a note.
    pub fn used_by(&self) -> String {
        let mut parts = Vec::new();
        match self.steps.as_slice() {
            [] => {}
            [one] => parts.push(format!("step `{one}`")),
            many => parts.push(format!(
                "{} steps: {}",
                many.len(),
                many.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        parts.extend(self.needs.iter().cloned());
        parts.join("; ")
    }

    fn add_via(&mut self, derived: &str) {
        if !self.via.iter().any(|v| v == derived) {
            self.via.push(derived.to_owned());
        }
    }

    /// How many places need it.
    pub fn uses(&self) -> usize {
        self.steps.len() + self.needs.len()
    }

    /// What the key is, from the schema: "FQDN of the pool that takes over (CMS move)".
    pub fn meaning(&self) -> Option<&'static str> {
        schema::lookup(&self.key).map(|s| s.meaning)
    }
}

/// The keys one plan lacks, in the order the runbook first needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MissingKeys(pub Vec<MissingKey>);

impl MissingKeys {
    /// `key` is not set and `step` (or, with `None`, the runbook itself: `need` says how) uses
    /// it. A derived key is recorded as the keys it is made from that are not set.
    pub fn record(&mut self, env: &Environment, key: &str, step: Option<&str>, need: Option<String>) {
        if let Some((fqdn, instance)) = schema::derived_from(key) {
            for source in [fqdn, instance].into_iter().filter(|k| env.get(k).is_none()) {
                self.entry(source, step, need.clone()).add_via(key);
            }
            return;
        }
        // Decided by lyncdr (never set): the keys it is made from are the ones to add.
        if let Some(sources) = crate::env::baseline::made_from(key) {
            for source in sources.iter().filter(|k| env.get(k).is_none()) {
                self.entry(source, step, need.clone());
            }
            return;
        }
        self.entry(key, step, need);
    }

    fn entry(&mut self, key: &str, step: Option<&str>, need: Option<String>) -> &mut MissingKey {
        let i = match self.0.iter().position(|m| m.key == key) {
            Some(i) => i,
            None => {
                self.0.push(MissingKey {
                    key: key.to_owned(),
                    steps: Vec::new(),
                    needs: Vec::new(),
                    via: Vec::new(),
                });
                self.0.len() - 1
            }
        };
        let m = &mut self.0[i];
        if let Some(step) = step
            && !m.steps.iter().any(|s| s == step)
        {
            m.steps.push(step.to_owned());
        }
        if let Some(need) = need
            && !m.needs.contains(&need)
        {
            m.needs.push(need);
        }
        m
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One diagnostic per key, pointing at the environment file (where the key goes).
    pub fn diagnostics(&self, runbook: &str, env: &Environment) -> Diagnostics {
        let file = &env.source.name;
        Diagnostics(
            self.0
                .iter()
                .map(|m| {
                    let mut d = Diagnostic::new(format!(
                        "`{}` is not set in `{file}`, and runbook `{runbook}` needs it",
                        m.key
                    ));
                    d.file = Some(file.clone());
                    d = d.note(format!("used by {}", m.used_by()));
                    if !m.via.is_empty() {
                        let (derived, sources) = derived_note(&m.via);
                        d = d.note(format!("lyncdr derives {derived} from {sources}"));
                    }
                    let what = m.meaning().map(|s| format!(" ({s})")).unwrap_or_default();
                    d.hint(format!(
                        "add `{}`{what} to `{file}`, or pass `--set {}=...`",
                        m.key, m.key
                    ))
                })
                .collect(),
        )
    }
}

/// "`sql.backend.server`" and "`sql.backend.fqdn` and `sql.backend.instance`".
fn derived_note(via: &[String]) -> (String, String) {
    let derived: Vec<String> = via.iter().map(|v| format!("`{v}`")).collect();
    let sources: Vec<String> = via
        .iter()
        .filter_map(|v| schema::derived_from(v))
        .map(|(f, i)| format!("`{f}` and `{i}`"))
        .collect();
    (derived.join(", "), sources.join(", "))
}

/// Why a plan could not be built: the keys the environment lacks (one entry per key), and every
/// other problem (a value that cannot be written in a command, an unmet `requires:`).
#[derive(Debug, Clone)]
pub struct PlanError {
    pub runbook: String,
    pub missing: MissingKeys,
    pub diagnostics: Diagnostics,
    /// The environment file's name, for the missing keys' messages.
    env_diagnostics: Diagnostics,
}

impl PlanError {
    pub fn new(runbook: &str, missing: MissingKeys, diagnostics: Diagnostics, env: &Environment) -> Self {
        let env_diagnostics = missing.diagnostics(runbook, env);
        Self {
            runbook: runbook.to_owned(),
            missing,
            diagnostics,
            env_diagnostics,
        }
    }
}

impl From<PlanError> for Diagnostics {
    fn from(e: PlanError) -> Self {
        let mut all = e.env_diagnostics;
        all.extend(e.diagnostics);
        all
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Diagnostics::from(self.clone()))
    }
}
