//! The checked runbook model. [`raw`] mirrors the YAML; [`check`] resolves it into these types:
//! includes are expanded in place, options become steps with a condition, every reference is
//! known to exist. Code after loading never meets an unknown step, input or template.

pub mod check;
pub mod condition;
pub mod lexer;
pub mod library;
pub mod needs;
mod placement;
pub mod raw;
mod templates;
mod unrenderable;

use crate::artifact::ArtifactKind;
use crate::source::{Location, SourceFile};
pub use condition::Condition;
pub use library::Library;
use serde::Serialize;
use std::sync::Arc;
pub use templates::Templates;
pub use unrenderable::Unrenderable;

#[derive(Debug)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub source: String,
    pub file: Arc<SourceFile>,
    /// What the environment must be for the procedure to cover it (`edition == enterprise`):
    /// checked when a plan is built, an error otherwise.
    pub requires: Vec<Requirement>,
    pub inputs: Arc<[Input]>,
    pub prerequisites: Vec<Prerequisite>,
    pub steps: Vec<Step>,
    /// Runbooks included (directly or not), for hashing what a plan depends on.
    pub includes: Vec<String>,
}

/// A condition the environment must meet, and why the runbook needs it.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub condition: Condition,
    pub reason: String,
}

/// An environment value a runbook's templates use, under a local name.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub name: String,
    pub env: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunsOn {
    FrontEnd,
    BackEndSql,
    RebuiltServer,
    Operator,
}

impl RunsOn {
    pub const ALL: [(&'static str, RunsOn); 4] = [
        ("front-end", RunsOn::FrontEnd),
        ("back-end-sql", RunsOn::BackEndSql),
        ("rebuilt-server", RunsOn::RebuiltServer),
        ("operator", RunsOn::Operator),
    ];

    pub fn describe(self) -> &'static str {
        match self {
            RunsOn::FrontEnd => "a Front End server (Lync Server Management Shell)",
            RunsOn::BackEndSql => "the Back End SQL server",
            RunsOn::RebuiltServer => "the server being rebuilt",
            RunsOn::Operator => "the operator",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrereqKind {
    /// A backup artifact must be present; its path is the value of `artifact.env_key()`.
    Backup { artifact: ArtifactKind },
    /// An event must have been logged (30024 from LS User Replicator), after a step if named.
    Event {
        id: u32,
        provider: String,
        log: String,
        after_step: Option<StepRef>,
        /// The environment key (a list of FQDNs) naming the servers the event must come from:
        /// the Front End servers of the pool the import goes to.
        computers: Option<String>,
    },
    /// The operator confirms a statement.
    Confirm { statement: String },
    /// The step must never run once `step` has started in this run: running it after would
    /// undo that step's work.
    NotAfter { step: StepRef },
}

/// A step of the same runbook that a prerequisite names, resolved once by the checker to the
/// full id of a step that exists (`rgs.import-rgs-configuration`): only the checker makes one,
/// so code after validation never meets an unknown step id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StepRef {
    id: String,
    /// Until resolved: the id prefix of the runbook it is written in (`rgs.` inside an include),
    /// where the name is looked up first.
    #[serde(skip)]
    scope: String,
}

impl StepRef {
    /// The name as the runbook writes it, until [`check`] resolves it (or refuses the runbook).
    fn written(name: &str, scope: &str) -> Self {
        StepRef {
            id: name.to_owned(),
            scope: scope.to_owned(),
        }
    }

    /// The full id of the step.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl std::ops::Deref for StepRef {
    type Target = str;
    fn deref(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Display for StepRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

/// `{"kind": "backup", "artifact": ..., "env": ...}`, ...: the plan's JSON, with the key a
/// backup's path comes from written out for tools.
impl Serialize for PrereqKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(None)?;
        match self {
            PrereqKind::Backup { artifact } => {
                m.serialize_entry("kind", "backup")?;
                m.serialize_entry("artifact", artifact)?;
                m.serialize_entry("env", artifact.env_key())?;
            }
            PrereqKind::Event {
                id,
                provider,
                log,
                after_step,
                computers,
            } => {
                m.serialize_entry("kind", "event")?;
                m.serialize_entry("id", id)?;
                m.serialize_entry("provider", provider)?;
                m.serialize_entry("log", log)?;
                m.serialize_entry("after_step", after_step)?;
                if let Some(c) = computers {
                    m.serialize_entry("computers", c)?;
                }
            }
            PrereqKind::Confirm { statement } => {
                m.serialize_entry("kind", "confirm")?;
                m.serialize_entry("statement", statement)?;
            }
            PrereqKind::NotAfter { step } => {
                m.serialize_entry("kind", "not-after")?;
                m.serialize_entry("step", step)?;
            }
        }
        m.end()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Prerequisite {
    #[serde(flatten)]
    pub kind: PrereqKind,
    #[serde(skip)]
    pub when: Vec<Condition>,
    /// Where it is written: the runbook file and its `backup:`/`event:`/... value.
    #[serde(skip)]
    pub file: Arc<SourceFile>,
    #[serde(skip)]
    pub at: Option<Location>,
}

impl Prerequisite {
    pub fn describe(&self) -> String {
        match &self.kind {
            PrereqKind::Backup { artifact } => {
                format!("backup `{artifact}` present (`{}`)", artifact.env_key())
            }
            PrereqKind::Event {
                id,
                provider,
                after_step,
                ..
            } => match after_step {
                Some(step) => format!("event {id} from {provider} logged after step `{step}`"),
                None => format!("event {id} from {provider} logged since the recovery started"),
            },
            PrereqKind::Confirm { statement } => format!("operator confirms: {statement}"),
            PrereqKind::NotAfter { step } => format!("step `{step}` has not started in this run"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Powershell,
    Sql,
    Cmd,
}

impl Language {
    pub fn extension(self) -> &'static str {
        match self {
            Language::Powershell => "ps1",
            Language::Sql => "sql",
            Language::Cmd => "cmd",
        }
    }
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "ps1" => Some(Language::Powershell),
            "sql" => Some(Language::Sql),
            "cmd" => Some(Language::Cmd),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Command {
    pub language: Language,
    /// Name of the compiled template in the renderer (a file's name, or a generated one for inline).
    pub template: String,
    pub alternative: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionInfo {
    pub id: String,
    pub title: String,
    pub tradeoffs: String,
}

/// A step lyncdr does itself, in its own process (`lyncdr: seal-baseline`), not through a shell:
/// what needs lyncdr's code (the set format, the signing key) and has no PowerShell form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Builtin {
    /// Seals this run's baseline folder (`backups.baseline`) as a backup set: manifest,
    /// SHA256SUMS, COMPLETE and, with `--key`, its signature ([`crate::backup::seal`]).
    SealBaseline,
}

impl Builtin {
    pub const ALL: [Builtin; 1] = [Builtin::SealBaseline];

    pub const fn name(self) -> &'static str {
        match self {
            Builtin::SealBaseline => "seal-baseline",
        }
    }

    pub fn parse(name: &str) -> Option<Builtin> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The environment key naming the folder it works on.
    pub const fn folder_key(self) -> &'static str {
        match self {
            Builtin::SealBaseline => crate::env::baseline::KEY,
        }
    }

    /// The inputs of its runbook naming whose set it seals: the pool and its Back End
    /// (`FQDN\instance`), as mapped where the runbook is included (after a CMS move, the
    /// target pool's), so the manifest records the pool the baseline was taken of.
    pub const WHOSE: [&'static str; 2] = ["pool", "sql_server"];
}

#[derive(Debug, Clone)]
pub enum StepKind {
    /// An ordinary step: commands or a manual action.
    Action,
    /// Choose between options; the option steps follow, each with a condition on `key`.
    Choice { key: String, options: Vec<OptionInfo> },
    /// The start of an included runbook; its steps follow.
    Section { runbook: String },
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Unique within the runbook, with include prefixes (`rgs.remove-contacts`).
    pub id: String,
    /// Source letter path (`E`, `E.B.2`, `H.3`), empty where the source has none.
    pub label: String,
    pub depth: usize,
    pub title: String,
    pub runs_on: RunsOn,
    pub explanation: String,
    pub manual: bool,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    /// All must hold (an include's and an option's conditions are added to its steps').
    pub when: Vec<Condition>,
    pub prerequisites: Vec<Prerequisite>,
    pub commands: Vec<Command>,
    /// Done by lyncdr itself (`lyncdr:`), instead of `commands`.
    pub builtin: Option<Builtin>,
    pub verify: Option<Command>,
    pub idempotent: bool,
    /// The commands ask the operator questions through their own prompt: they run with the
    /// operator's console, not under `powershell.exe -NonInteractive`.
    pub interactive: bool,
    pub skippable: bool,
    pub kind: StepKind,
    /// The option this step belongs to: (choice key, option id).
    pub option: Option<(String, String)>,
    /// The inputs its templates are rendered with (an included runbook's, mapped by `with:`).
    pub inputs: Arc<[Input]>,
    /// The input naming the SQL server its T-SQL runs on (`sql_server:`, checked to be one of
    /// `inputs` of type SQL server); `None`: the first such input the environment sets.
    pub sql_server: Option<String>,
    pub file: Arc<SourceFile>,
    pub at: Option<Location>,
}
