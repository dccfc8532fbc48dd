//! The environment file: one deployment's names, paths, features and chosen options.
//! Read as a YAML tree, every leaf checked against [`schema::SCHEMA`] and parsed into a typed
//! [`Value`]; `--set` overrides are applied and checked the same way.

pub mod baseline;
pub mod quoting;
pub mod schema;
pub mod value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{Location, ReadError, SourceFile};
use marked_yaml::{LoaderOptions, Node};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
pub use value::{Value, ValueType};

/// The oldest acceptable backup when `backups.max_age` is not set: `run`, `bundle` and `audit`
/// all read it through [`Environment::max_backup_age`] (`audit` without an environment file uses
/// it directly). Written as [`DEFAULT_MAX_BACKUP_AGE_TEXT`] in messages and in the schema.
pub const DEFAULT_MAX_BACKUP_AGE: Duration = Duration::from_secs(7 * 86_400);
pub const DEFAULT_MAX_BACKUP_AGE_TEXT: &str = "7d";

/// How old a backup may be, and where that limit comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxBackupAge {
    pub limit: Duration,
    /// As written (`36h`), or [`DEFAULT_MAX_BACKUP_AGE_TEXT`].
    pub text: String,
    /// Set by the environment file or `--set`, not lyncdr's default.
    pub set: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    File,
    CommandLine,
    Default,
    Derived,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    pub at: Option<Location>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub source: SourceFile,
    pub values: BTreeMap<String, Entry>,
}

impl Environment {
    /// Every value by key (what the audit decides runbook conditions with).
    pub fn facts(&self) -> BTreeMap<String, Value> {
        self.values
            .iter()
            .map(|(key, entry)| (key.clone(), entry.value.clone()))
            .collect()
    }

    pub fn read(path: &Path, overrides: &[String]) -> Result<Self, Diagnostics> {
        let source = SourceFile::read(path).map_err(|e| read_error(path, e))?;
        Self::parse(source, overrides)
    }

    pub fn parse(source: SourceFile, overrides: &[String]) -> Result<Self, Diagnostics> {
        let root = parse_yaml(&source)?;
        let mut diags = Diagnostics::default();
        let mut values = BTreeMap::new();
        let Some(map) = root.as_mapping() else {
            return Err(
                Diagnostic::new("an environment file is a YAML mapping of keys to values")
                    .at(&source, Location::from_span(root.span(), 1))
                    .into(),
            );
        };
        if map.get_node(schema::FORMAT_KEY).is_none() {
            diags.push(
                Diagnostic::new(format!(
                    "`{}` is not an environment file: `{}: 1` is missing",
                    source.name,
                    schema::FORMAT_KEY
                ))
                .at(&source, Some(Location::new(1, 1, 1)))
                .hint("start the file with `lyncdr_env: 1`; `lyncdr example-env` prints a complete example"),
            );
        }
        collect(&source, &root, "", &mut values, &mut diags);
        if let Some(entry) = values.get(schema::FORMAT_KEY)
            && entry.value != Value::Integer(schema::FORMAT_VERSION)
        {
            diags.push(
                Diagnostic::new(format!(
                    "unsupported environment format `{}`",
                    entry.value.display()
                ))
                .at(&source, entry.at)
                .hint("this lyncdr reads `lyncdr_env: 1`"),
            );
        }
        for item in overrides {
            if let Err(d) = apply_override(&mut values, item) {
                diags.push(d);
            }
        }
        values.entry("dbimpexp.path".into()).or_insert(Entry {
            value: Value::Text(schema::DBIMPEXP_DEFAULT.into()),
            at: None,
            origin: Origin::Default,
        });
        // No load balancer named: the simple URLs must resolve to the pool's own addresses.
        // Keys added after environment files were written have defaults, so an older file still
        // plans: no health monitoring test users; the new baseline beside the old exports.
        for key in [
            "features.health_monitoring",
            "features.e911",
            "sql.backend.clustered",
            "sql.target_backend.clustered",
        ] {
            values.entry(key.into()).or_insert(Entry {
                value: Value::Bool(false),
                at: None,
                origin: Origin::Default,
            });
        }
        if !values.contains_key("backups.folder")
            && let Some(folder) = values
                .get(crate::artifact::ArtifactKind::CsConfiguration.env_key())
                .and_then(|e| parent_folder(&e.value.display()))
        {
            values.insert(
                "backups.folder".into(),
                Entry {
                    value: Value::Text(folder),
                    at: None,
                    origin: Origin::Default,
                },
            );
        }
        values.entry("simple_urls.addresses".into()).or_insert(Entry {
            value: Value::List(Vec::new()),
            at: None,
            origin: Origin::Default,
        });
        // A move onto the pool that failed would render as a plan and run: refuse it here.
        if let (Some(failed), Some(target)) = (values.get("pools.failed"), values.get("pools.target"))
            && failed
                .value
                .display()
                .eq_ignore_ascii_case(&target.value.display())
        {
            diags.push(
                Diagnostic::new(format!(
                    "`pools.target` is `{}`, the same pool as `pools.failed`",
                    target.value.display()
                ))
                .at(&source, target.at.or(failed.at))
                .hint("`pools.target` is the pool that takes over: another pool than the one that failed"),
            );
        }
        if let Some(d) = baseline::derive(&mut values, &source) {
            diags.push(d);
        }
        for (derived, fqdn, instance) in schema::DERIVED {
            if let (Some(f), Some(i)) = (values.get(*fqdn), values.get(*instance)) {
                // The default instance is reached by the server's name alone (`sqlcmd -S FQDN`,
                // `/sqlserver:FQDN`); `FQDN\MSSQLSERVER` reaches nothing.
                let server = match i.value.display() {
                    instance if instance == value::DEFAULT_INSTANCE => f.value.display(),
                    instance => format!("{}\\{instance}", f.value.display()),
                };
                let at = f.at;
                values.insert(
                    (*derived).into(),
                    Entry {
                        value: Value::Text(server),
                        at,
                        origin: Origin::Derived,
                    },
                );
            }
        }
        diags.into_result(Self { source, values })
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.values.get(key)
    }

    /// `backups.max_age`, or [`DEFAULT_MAX_BACKUP_AGE`] when it is not set.
    pub fn max_backup_age(&self) -> MaxBackupAge {
        match self.get("backups.max_age").map(|e| &e.value) {
            Some(Value::Duration(limit, text)) => MaxBackupAge {
                limit: *limit,
                text: text.clone(),
                set: true,
            },
            _ => MaxBackupAge {
                limit: DEFAULT_MAX_BACKUP_AGE,
                text: DEFAULT_MAX_BACKUP_AGE_TEXT.to_owned(),
                set: false,
            },
        }
    }

    /// A diagnostic pointing at the value of `key` (or the file when it is missing).
    pub fn diagnostic(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message).at(&self.source, self.get(key).and_then(|e| e.at))
    }
}

/// Why an environment file (or any file `validate` reads) could not be read, and for one that is
/// not text, how to save it so it can be.
pub fn read_error(path: &Path, error: ReadError) -> Diagnostic {
    match error {
        ReadError::Io(e) => Diagnostic::new(format!(
            "cannot read environment file `{}`: {e}",
            path.display()
        ))
        .cause(crate::diagnostic::Cause::Missing),
        ReadError::NotText => Diagnostic::new(format!(
            "cannot read `{}`: it is neither UTF-8 nor UTF-16 text",
            path.display()
        ))
        .hint(format!(
            "save it as UTF-8: in Notepad, File > Save As, Encoding: UTF-8; or in PowerShell, `Get-Content {0} | Out-File -Encoding UTF8 utf8-{0}`",
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
        )),
    }
}

pub fn parse_yaml(source: &SourceFile) -> Result<Node, Diagnostics> {
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    marked_yaml::parse_yaml_with_options(0, &source.text, options)
        .map_err(|e| crate::yaml::load_error(source, &e).into())
}

fn collect(
    src: &SourceFile,
    node: &Node,
    prefix: &str,
    out: &mut BTreeMap<String, Entry>,
    diags: &mut Diagnostics,
) {
    let Some(map) = node.as_mapping() else { return };
    for (key, child) in map.iter() {
        let full = if prefix.is_empty() {
            key.as_str().to_owned()
        } else {
            format!("{prefix}.{}", key.as_str())
        };
        let key_at = Location::from_span(key.span(), key.as_str().chars().count());
        if schema::derived_from(&full).is_some() {
            diags.push(derived_key(&full).at(src, key_at));
            continue;
        }
        let Some(spec) = schema::lookup(&full) else {
            let is_group = schema::SCHEMA
                .iter()
                .any(|s| s.key.starts_with(&format!("{full}.")));
            if is_group && child.as_mapping().is_some() {
                collect(src, child, &full, out, diags);
            } else if is_group {
                diags.push(
                    Diagnostic::new(format!("`{full}` holds keys, not a value"))
                        .at(src, key_at)
                        .hint(format!(
                            "write it as a mapping, e.g. `{full}:` then indented keys such as `{}`",
                            schema::SCHEMA
                                .iter()
                                .find(|s| s.key.starts_with(&format!("{full}.")))
                                .map_or("", |s| s.key)
                        )),
                );
            } else {
                let mut d = Diagnostic::new(format!("unknown key `{full}`")).at(src, key_at);
                d = match schema::suggest(&full) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint("see `lyncdr validate --help` or docs/runbook-format.md for the keys"),
                };
                diags.push(d);
            }
            continue;
        };
        match leaf(spec.ty, child) {
            Ok((value, len)) => {
                let at = Location::from_span(child.span(), len);
                out.insert(
                    full,
                    Entry {
                        value,
                        at,
                        origin: Origin::File,
                    },
                );
            }
            Err((problem, at)) => {
                let scalar = child.as_scalar().zip(Location::from_span(child.span(), 1));
                let mistake = scalar.and_then(|(v, start)| quoting::escape_mistake(src, start, v.as_str()));
                let typed = scalar.and_then(|(v, start)| typed_character(src, start, v.as_str()));
                diags.push(match (mistake, typed) {
                    (Some(m), _) => Diagnostic::new(format!("invalid value for `{full}`: {}", m.message()))
                        .at(src, Some(m.at))
                        .hint(format!(
                            "write Windows paths in 'single quotes', where a backslash is a backslash: `{}: {}`",
                            key.as_str(),
                            m.single_quoted()
                        )),
                    (None, Some((bad, at, quoted))) => character_diagnostic(&full, bad, quoted).at(src, Some(at)),
                    (None, None) => Diagnostic::new(format!("invalid value for `{full}`: {problem}"))
                        .at(src, at)
                        .hint(format!("a {} is {}", spec.ty.name(), spec.ty.example())),
                });
            }
        }
    }
}

/// A derived key written in the file or with `--set`: it is computed, not set, so say from what
/// (never "did you mean" the key itself).
fn derived_key(key: &str) -> Diagnostic {
    let Some((fqdn, instance)) = schema::derived_from(key) else {
        return Diagnostic::new(format!("unknown key `{key}`"));
    };
    let short = instance.rsplit('.').next().unwrap_or(instance);
    Diagnostic::new(format!(
        "`{key}` is derived, not set: lyncdr writes it from `{fqdn}` and `{instance}`"
    ))
    .hint(format!(
        "set `{fqdn}` and `.{short}` instead (the server's FQDN, and its instance name, `MSSQLSERVER` for the default instance); lyncdr then writes `fqdn\\instance`"
    ))
}

/// A character no value may hold that was typed as itself (a curly quote pasted from a web page),
/// not made by an escape: the value `value` starts at `start`; where the character is on the line
/// (counted in characters), and whether the value is in 'single quotes'.
fn typed_character(
    src: &SourceFile,
    start: Location,
    value: &str,
) -> Option<(value::BadCharacter, Location, bool)> {
    let bad = value::bad_character(value)?;
    let line = src.line(start.line)?;
    let from = start.column.checked_sub(1)?;
    let offset = line.chars().skip(from).position(|c| c == bad.ch)?;
    let quoted = line.chars().nth(from) == Some('\'');
    Some((bad, Location::new(start.line, start.column + offset, 1), quoted))
}

/// The message for a character no value may hold, about the character itself.
fn character_diagnostic(key: &str, bad: value::BadCharacter, single_quoted: bool) -> Diagnostic {
    // A look-alike of a character on the keyboard is shown as it is; an invisible one by number.
    let shown = match bad.fix {
        Some(_) => format!("`{}` (U+{:04X})", bad.ch, bad.ch as u32),
        None => format!("U+{:04X}", bad.ch as u32),
    };
    let d = Diagnostic::new(format!("invalid value for `{key}`: {shown} is {}", bad.what));
    let single = matches!(bad.ch, '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
    match bad.fix {
        Some(fix) if single && single_quoted => {
            d.hint(format!("{fix}, written twice inside 'single quotes': `''`"))
        }
        Some(fix) => d.hint(format!("{fix} (word processors and web pages replace it)")),
        None => d.hint("delete it and type the value again by hand"),
    }
}

fn leaf(ty: ValueType, node: &Node) -> Result<(Value, usize), (String, Option<Location>)> {
    let at = |n: &Node, len| Location::from_span(n.span(), len);
    match (ty, node) {
        (ty, Node::Sequence(seq)) if ty.is_list() => {
            let mut items = Vec::new();
            for item in seq.iter() {
                let Some(s) = item.as_scalar() else {
                    return Err(("a list item must be a single value".into(), at(item, 1)));
                };
                items.push(
                    ty.parse_item(s.as_str())
                        .map_err(|p| (p, at(item, s.as_str().chars().count())))?,
                );
            }
            Ok((Value::List(items), 1))
        }
        (_, Node::Scalar(s)) => ty
            .parse(s.as_str())
            .map(|v| (v, s.as_str().chars().count()))
            .map_err(|p| (p, at(node, s.as_str().chars().count()))),
        (_, Node::Sequence(_)) => Err((
            format!("expected a single {}, found a list", ty.name()),
            at(node, 1),
        )),
        (_, Node::Mapping(_)) => Err((format!("expected a {}, found a mapping", ty.name()), at(node, 1))),
    }
}

fn apply_override(values: &mut BTreeMap<String, Entry>, item: &str) -> Result<(), Diagnostic> {
    let cmdline = |msg: String| Diagnostic::new(msg);
    let (key, raw) = item.split_once('=').ok_or_else(|| {
        cmdline(format!("`--set {item}` is not KEY=VALUE")).hint("e.g. --set options.user_data_restore=A")
    })?;
    let key = key.trim();
    if schema::derived_from(key).is_some() {
        return Err(derived_key(key));
    }
    let spec = schema::lookup(key).ok_or_else(|| {
        let d = cmdline(format!("`--set {key}=...`: unknown key `{key}`"));
        match schema::suggest(key) {
            Some(s) => d.hint(format!("did you mean `{s}`?")),
            None => d.hint("the keys are listed in docs/runbook-format.md"),
        }
    })?;
    let value = if spec.ty.is_list() {
        raw.split(',')
            .map(|s| spec.ty.parse_item(s.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List)
    } else {
        spec.ty.parse(raw)
    }
    .map_err(|p| {
        cmdline(format!("invalid value for `{key}` (from --set): {p}")).hint(format!(
            "a {} is {}",
            spec.ty.name(),
            spec.ty.example()
        ))
    })?;
    values.insert(
        key.to_owned(),
        Entry {
            value,
            at: None,
            origin: Origin::CommandLine,
        },
    );
    Ok(())
}

/// The folder of a Windows path (`C:\\Backups\\x.zip` -> `C:\\Backups`), if it has one.
fn parent_folder(path: &str) -> Option<String> {
    let (folder, _) = path.trim_end_matches('\\').rsplit_once('\\')?;
    (!folder.is_empty() && !folder.ends_with(':') && folder != "\\").then(|| folder.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_max_backup_age_is_one_fact() {
        assert_eq!(
            value::parse_duration(DEFAULT_MAX_BACKUP_AGE_TEXT),
            Ok(DEFAULT_MAX_BACKUP_AGE)
        );
        let spec = schema::lookup("backups.max_age").map(|s| s.meaning);
        assert!(
            spec.is_some_and(|m| m.contains(&format!("(default: {DEFAULT_MAX_BACKUP_AGE_TEXT})"))),
            "{spec:?}"
        );
    }
}
