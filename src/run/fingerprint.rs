//! What a run depends on, hashed: the runbook and the runbooks it includes, the templates, the
//! environment file and the `--set` values. A resume compares these to say what changed.

use crate::env::Environment;
use crate::runbook::{Library, Runbook};
use std::collections::BTreeMap;

use crate::digest::sha256_hex as sha256;

pub fn of(lib: &Library, runbook: &Runbook, env: &Environment, sets: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let wanted: Vec<String> = std::iter::once(&runbook.id)
        .chain(&runbook.includes)
        .map(|id| format!("{id}.yaml"))
        .collect();
    for f in &lib.files {
        let base = f.name.rsplit(['/', '\\']).next().unwrap_or(&f.name).to_owned();
        if base.ends_with(".hbs") {
            out.insert(format!("template {base}"), sha256(f.text.as_bytes()));
        } else if wanted.contains(&base) {
            out.insert(format!("runbook {base}"), sha256(f.text.as_bytes()));
        }
    }
    out.insert("environment file".into(), sha256(env.source.text.as_bytes()));
    out.insert("--set values".into(), sha256(sets.join("\n").as_bytes()));
    out
}

/// Human-readable differences between two fingerprints.
pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None => out.push(format!("{k} is new")),
            Some(o) if o != v => out.push(format!("{k} changed")),
            _ => {}
        }
    }
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(format!("{k} is gone"));
    }
    out
}
