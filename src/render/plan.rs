//! A plan: a runbook resolved against an environment. Every step in order, with its conditions
//! evaluated, its prerequisites listed and its commands rendered; skipped steps keep their
//! commands too, so a reviewer sees the branch not taken. Used by `plan`, `run` and `bundle`.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::env::{Environment, Origin, schema};
use crate::render::missing::{MissingKeys, PlanError};
use crate::runbook::condition::Test;
use crate::runbook::{
    Command, Condition, Language, OptionInfo, PrereqKind, Prerequisite, Requirement, Runbook, RunsOn, Step,
    StepKind,
};
use crate::runbook::{Templates, Unrenderable};
use serde::Serialize;
use serde_json::{Map, Value as Json};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub runbook: String,
    pub title: String,
    pub summary: String,
    pub source: String,
    pub deployment: Option<String>,
    pub environment: String,
    pub prerequisites: Vec<PlannedPrerequisite>,
    pub steps: Vec<PlannedStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedPrerequisite {
    #[serde(flatten)]
    pub kind: PrereqKind,
    pub description: String,
    /// For a backup: the path the environment gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RenderedCommand {
    pub language: Language,
    pub text: String,
    /// The same action as the command before it, for another shell: shown, not run.
    pub alternative: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedOption {
    #[serde(flatten)]
    pub info: OptionInfo,
    pub chosen: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Action,
    Choice,
    Section,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub number: usize,
    pub id: String,
    pub label: String,
    pub depth: usize,
    pub title: String,
    pub kind: Kind,
    pub runs_on: RunsOn,
    pub manual: bool,
    pub skipped: bool,
    pub reason: Option<String>,
    pub explanation: String,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub prerequisites: Vec<PlannedPrerequisite>,
    pub commands: Vec<RenderedCommand>,
    /// Done by lyncdr itself, instead of commands ([`crate::runbook::Builtin`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin: Option<PlannedBuiltin>,
    pub verify: Option<RenderedCommand>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<PlannedOption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    pub idempotent: bool,
    pub skippable: bool,
    /// The commands ask the operator questions: they run with the operator's console.
    pub interactive: bool,
    /// The option this step belongs to: (choice key, option id). Not in `plan --format json`:
    /// the step's `when` reason already says it.
    #[serde(skip)]
    pub option: Option<(String, String)>,
    /// The SQL server (`fqdn\instance`) the step's inputs name, where T-SQL is run with sqlcmd.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql_server: Option<String>,
}

/// A step lyncdr does itself, and the folder it works on as the environment names it.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedBuiltin {
    pub name: crate::runbook::Builtin,
    pub folder: String,
    /// Whose set it is: the pool and its Back End, from the step's inputs
    /// ([`crate::runbook::Builtin::WHOSE`]).
    pub pool: String,
    pub sql_server: String,
}

impl PlannedStep {
    /// Done by hand where lyncdr is not there (a bundle): a manual step, and lyncdr's own
    /// steps, which the operator does with lyncdr on another machine.
    pub fn by_hand_without_lyncdr(&self) -> bool {
        self.manual || self.builtin.is_some()
    }
}

impl PlannedBuiltin {
    /// What lyncdr does, for the plan and the bundle.
    pub fn describe(&self) -> String {
        match self.name {
            crate::runbook::Builtin::SealBaseline => format!(
                "it seals `{}` as a backup set of pool {} (Back End {}): manifest.json, SHA256SUMS, COMPLETE, and the signature with --key. Where lyncdr run does not (a bundle), the same by hand: {}",
                self.folder,
                self.pool,
                self.sql_server,
                self.by_hand(&self.folder)
            ),
        }
    }

    /// The lyncdr command that does it by hand on `folder` (a bundle's run decides its own).
    pub fn by_hand(&self, folder: &str) -> String {
        match self.name {
            crate::runbook::Builtin::SealBaseline => format!(
                "lyncdr backup --env FILE --seal \"{folder}\" --pool {} --sql-server {} [--key KEY]",
                self.pool, self.sql_server
            ),
        }
    }
}

impl Plan {
    pub fn build(runbook: &Runbook, env: &Environment, templates: &Templates) -> Result<Plan, Diagnostics> {
        Self::check(runbook, env, templates).map_err(Diagnostics::from)
    }

    /// [`Plan::build`], with the keys the environment lacks apart from the other problems (for
    /// `validate`'s summary).
    pub fn check(runbook: &Runbook, env: &Environment, templates: &Templates) -> Result<Plan, PlanError> {
        let mut p = Planning {
            env,
            diags: Diagnostics::default(),
            missing: MissingKeys::default(),
        };
        for r in &runbook.requires {
            if let Some(d) = unmet(runbook, r, &mut p) {
                p.diags.push(d);
            }
        }
        let prerequisites = prerequisites(&runbook.prerequisites, None, true, &mut p);
        let mut steps = Vec::new();
        for (i, step) in runbook.steps.iter().enumerate() {
            steps.push(plan_step(i + 1, step, templates, &mut p));
        }
        if !p.diags.is_empty() || !p.missing.is_empty() {
            return Err(PlanError::new(&runbook.id, p.missing, p.diags, env));
        }
        Ok(Plan {
            runbook: runbook.id.clone(),
            title: runbook.title.clone(),
            summary: runbook.summary.clone(),
            source: runbook.source.clone(),
            deployment: env.get("deployment").map(|e| e.value.display()),
            environment: env.source.name.clone(),
            prerequisites,
            steps,
        })
    }

    pub fn step(&self, id: &str) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// What building a plan gathers: the problems, and the keys the environment lacks.
struct Planning<'a> {
    env: &'a Environment,
    diags: Diagnostics,
    missing: MissingKeys,
}

/// A requirement of the runbook (`requires:`) the environment does not meet: an error pointing at
/// the environment key (its line in the file, or `--set`); a key that is missing is recorded as
/// missing, with the requirement as its need. The procedure does not cover that environment, so no plan is made for it.
fn unmet(runbook: &Runbook, r: &Requirement, p: &mut Planning) -> Option<Diagnostic> {
    let env = p.env;
    let c = &r.condition;
    let written = match c.at {
        Some(at) => format!("{}:{}", c.file, at.line),
        None => c.file.clone(),
    };
    let Some(entry) = env.get(&c.key) else {
        p.missing.record(
            env,
            &c.key,
            None,
            Some(format!("the runbook requires `{c}` ({})", r.reason)),
        );
        return None;
    };
    if c.holds(&entry.value, other_value(env, c)) {
        return None;
    }
    let from = if entry.origin == Origin::CommandLine {
        " (from --set)"
    } else {
        ""
    };
    let message = format!(
        "runbook `{}` requires `{c}`, but `{}` is `{}`{from}",
        runbook.id,
        c.key,
        entry.value.display()
    );
    let hint = format!("{} (`requires:` at {written})", r.reason);
    Some(match entry.origin {
        Origin::File => env.diagnostic(&c.key, message).hint(hint),
        _ => Diagnostic::new(message).hint(hint),
    })
}

/// Whether all conditions hold; `Err` with the reason when one does not. A condition on a key
/// the environment lacks records the key as missing. `step` is the step the conditions belong to (`None`: the runbook's own prerequisites); with
/// `record` false (a step that does not apply) a missing key is not reported.
fn evaluate(conds: &[Condition], step: Option<&str>, record: bool, p: &mut Planning) -> Result<(), String> {
    let env = p.env;
    for c in conds {
        let Some(entry) = env.get(&c.key) else {
            // `KEY is set` asks just that, and `KEY == OTHER` applies only where both are
            // stated: its key unset is the answer, not a gap in the file.
            let optional = c.test == Test::IsSet || c.other_key().is_some();
            if record && !optional {
                let need = step
                    .is_none()
                    .then(|| format!("a prerequisite of the runbook, when `{c}`"));
                p.missing.record(env, &c.key, step, need);
            }
            return Err(format!("`{}` is not set", c.key));
        };
        if !c.holds(&entry.value, other_value(env, c)) {
            let why = match &c.test {
                Test::Equals(v) if c.key.starts_with("options.") => {
                    format!("option {v} not chosen: `{}` is {}", c.key, entry.value.display())
                }
                Test::SameAs { other, .. } => match env.get(other) {
                    None => format!("`{other}` is not set"),
                    Some(o) => format!(
                        "`{c}` does not hold: `{}` is {}, `{other}` is {}",
                        c.key,
                        entry.value.display(),
                        o.value.display()
                    ),
                },
                _ => format!("`{c}` does not hold: `{}` is {}", c.key, entry.value.display()),
            };
            return Err(why);
        }
    }
    Ok(())
}

/// The value of the other key of a `KEY == OTHER` condition, where the environment has one.
fn other_value<'a>(env: &'a Environment, c: &Condition) -> Option<&'a crate::env::Value> {
    c.other_key().and_then(|k| env.get(k)).map(|e| &e.value)
}

fn prerequisites(
    list: &[Prerequisite],
    step: Option<&str>,
    active: bool,
    p: &mut Planning,
) -> Vec<PlannedPrerequisite> {
    let env = p.env;
    let mut out = Vec::new();
    for pre in list {
        if evaluate(&pre.when, step, active, p).is_err() {
            continue;
        }
        let path = match &pre.kind {
            PrereqKind::Backup { artifact } => match env.get(artifact.env_key()) {
                Some(e) => Some(e.value.display()),
                None => {
                    if active {
                        let need = step
                            .is_none()
                            .then(|| format!("backup `{artifact}`, a prerequisite of the runbook"));
                        p.missing.record(env, artifact.env_key(), step, need);
                    }
                    None
                }
            },
            PrereqKind::Event {
                computers: Some(key), ..
            } => {
                // Without the pool's Front End servers, a 30024 from any computer (another pool's)
                // would pass the gate, and the bundle's driver would read only its own server.
                if active && env.get(key).is_none() {
                    let need = step
                        .is_none()
                        .then(|| "event 30024, a prerequisite of the runbook".to_owned());
                    p.missing.record(env, key, step, need);
                }
                None
            }
            _ => None,
        };
        out.push(PlannedPrerequisite {
            kind: pre.kind.clone(),
            description: pre.describe(),
            path,
        });
    }
    out
}

fn plan_step(number: usize, step: &Step, templates: &Templates, p: &mut Planning) -> PlannedStep {
    let env = p.env;
    let condition = evaluate(&step.when, Some(&step.id), true, p);
    let active = condition.is_ok();
    let mut reason = condition.err();
    let ctx = context(step, env, templates);
    let mut commands = Vec::new();
    let mut verify = None;
    match &ctx {
        Ok(ctx) => {
            let mut render = |c: &Command| -> Option<RenderedCommand> {
                match templates.render(c.language, &c.template, ctx) {
                    Ok(text) => Some(RenderedCommand {
                        language: c.language,
                        text,
                        alternative: c.alternative,
                    }),
                    // The cmd.exe form is only an alternative to the PowerShell one: where a
                    // value has no safe spelling for cmd.exe, say so in its place and keep the plan.
                    Err(problem) if c.alternative && c.language == Language::Cmd => Some(RenderedCommand {
                        language: c.language,
                        text: format!(
                            "REM Not available: {}",
                            render_error(step, env, templates.source(c.language, &c.template), &problem)
                                .message
                        ),
                        alternative: true,
                    }),
                    Err(problem) => {
                        p.diags.push(render_error(
                            step,
                            env,
                            templates.source(c.language, &c.template),
                            &problem,
                        ));
                        None
                    }
                }
            };
            commands = step.commands.iter().filter_map(&mut render).collect();
            verify = step.verify.as_ref().and_then(render);
        }
        Err(missing) if active => {
            for (_, key) in missing {
                p.missing.record(env, key, Some(&step.id), None);
            }
        }
        Err(missing) => {
            // A key the reason already names as unset (`KEY is set`) is not said again.
            let keys: Vec<String> = missing
                .iter()
                .filter(|(_, k)| {
                    !step
                        .when
                        .iter()
                        .any(|c| c.key == *k && (c.test == Test::IsSet || c.other_key().is_some()))
                })
                .map(|(_, k)| format!("`{k}`"))
                .collect();
            if !keys.is_empty() {
                reason = reason.map(|r| format!("{r} (commands not rendered: {} not set)", keys.join(", ")));
            }
        }
    }
    let (kind, options, choice) = match &step.kind {
        StepKind::Action => (Kind::Action, Vec::new(), None),
        StepKind::Section { .. } => (Kind::Section, Vec::new(), None),
        StepKind::Choice { key, options } => {
            let chosen = env.get(key).map(|e| e.value.display());
            if chosen.is_none() && active {
                p.missing.record(env, key, Some(&step.id), None);
            }
            let options = options
                .iter()
                .map(|o| PlannedOption {
                    info: o.clone(),
                    chosen: chosen.as_deref() == Some(&o.id),
                })
                .collect();
            (Kind::Choice, options, Some(key.clone()))
        }
    };
    PlannedStep {
        number,
        id: step.id.clone(),
        label: step.label.clone(),
        depth: step.depth,
        title: step.title.clone(),
        kind,
        runs_on: step.runs_on,
        manual: step.manual,
        skipped: !active,
        reason,
        explanation: step.explanation.clone(),
        warnings: step.warnings.clone(),
        notes: step.notes.clone(),
        prerequisites: prerequisites(&step.prerequisites, Some(&step.id), active, p),
        commands,
        verify,
        options,
        choice,
        idempotent: step.idempotent,
        skippable: step.skippable,
        interactive: step.interactive,
        builtin: step.builtin.map(|name| planned_builtin(name, step, env)),
        option: step.option.clone(),
        sql_server: step
            .inputs
            .iter()
            .filter(|i| schema::type_of(&i.env) == Some(crate::env::ValueType::SqlServer))
            .filter(|i| step.sql_server.as_ref().is_none_or(|n| *n == i.name))
            .find_map(|i| env.get(&i.env))
            .map(|e| e.value.display()),
    }
}

/// The template context of a step: its inputs by name. `Err` lists the (input, key) pairs missing
/// that the step's commands or check use; an input they do not name is not needed (a runbook's
/// inputs are every step's, so without this a key one step uses was reported by every step).
fn context(step: &Step, env: &Environment, templates: &Templates) -> Result<Json, Vec<(String, String)>> {
    let uses = |name: &str| {
        step.commands
            .iter()
            .chain(step.verify.as_ref())
            .any(|c| template_uses(templates, c.language, &c.template, name, 0))
    };
    let mut map = Map::new();
    let mut missing = Vec::new();
    for input in step.inputs.iter() {
        match env.get(&input.env) {
            Some(e) => {
                map.insert(input.name.clone(), e.value.to_json());
            }
            None if uses(&input.name) => {
                missing.push((input.name.clone(), input.env.clone()));
            }
            None => {}
        }
    }
    if missing.is_empty() {
        Ok(Json::Object(map))
    } else {
        Err(missing)
    }
}

/// Whether template `template` (or a partial it includes, `{{> name}}`) names `name`. A template
/// whose text is unknown, or partials nested too deep to follow, may use any input.
fn template_uses(
    templates: &Templates,
    language: Language,
    template: &str,
    name: &str,
    depth: usize,
) -> bool {
    let Some(text) = templates.source(language, template) else {
        return true;
    };
    if mentions(text, name) {
        return true;
    }
    partials(text).any(|partial| depth >= 8 || template_uses(templates, language, partial, name, depth + 1))
}

/// The partials a template includes: `{{> name}}`, `{{~> name ~}}`.
fn partials(text: &str) -> impl Iterator<Item = &str> {
    text.split("{{").skip(1).filter_map(|tag| {
        let rest = tag.trim_start_matches('~').trim_start().strip_prefix('>')?;
        let name = rest
            .trim_start()
            .split(|c: char| c.is_whitespace() || c == '}' || c == '~')
            .next()?;
        (!name.is_empty()).then_some(name)
    })
}

/// Whether `text` holds `name` as a word of its own (`pool` in `{{pool}}`, not in `{{pools}}`).
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name)
        .any(|(i, _)| !text[..i].ends_with(word) && !text[i + name.len()..].starts_with(word))
}

fn render_error(step: &Step, env: &Environment, source: Option<&str>, problem: &Unrenderable) -> Diagnostic {
    // Name the value to blame where one cannot be written safely: one the template uses.
    let used = |name: &str| source.is_none_or(|text| mentions(text, name));
    for input in step.inputs.iter().filter(|i| used(&i.name)) {
        if let Some(e) = env.get(&input.env) {
            let v = e.value.display();
            let for_cmd = *problem == Unrenderable::UnsafeForCmd;
            if for_cmd && (v.contains('%') || v.contains('"') || v.contains('!')) {
                return env.diagnostic(&input.env, format!("the value of `{}` cannot be written safely on a cmd.exe command line, which expands `%NAME%` (and `!NAME!` with delayed expansion) even inside quotes (step `{}`); use the PowerShell form", input.env, step.id))
                    .hint("cmd.exe expands `%NAME%` and `!NAME!` even inside quotes; rename the file or folder so its path has neither `%` nor `!`");
            }
            if for_cmd && !v.is_ascii() {
                return env.diagnostic(&input.env, format!("the value of `{}` is not ASCII and cannot be written safely on a cmd.exe command line, which is read in the console's code page (step `{}`); use the PowerShell form", input.env, step.id))
                    .hint("the PowerShell form carries any letter; for cmd.exe, rename the file or folder so its path is ASCII");
            }
        }
    }
    Diagnostic::new(format!("step `{}` cannot be rendered: {problem}", step.id)).at(&step.file, step.at)
}

/// A step lyncdr does itself, with the values it works on as the environment names them.
fn planned_builtin(name: crate::runbook::Builtin, step: &Step, env: &Environment) -> PlannedBuiltin {
    let value = |key: &str| env.get(key).map(|e| e.value.display()).unwrap_or_default();
    let input = |n: &str| {
        step.inputs
            .iter()
            .find(|i| i.name == n)
            .map(|i| value(&i.env))
            .unwrap_or_default()
    };
    let [pool, sql_server] = crate::runbook::Builtin::WHOSE;
    PlannedBuiltin {
        name,
        folder: value(name.folder_key()),
        pool: input(pool),
        sql_server: input(sql_server),
    }
}
