//! Which artifact each runbook input uses: the one the environment file names if it is usable,
//! else the newest usable one found by content, else the least bad damaged one (so the report can
//! say why the input is unusable). The chosen artifact is also where the age is checked.

use super::artifact::{Artifact, IdentifiedBy};
use super::finding::Problem;
use crate::artifact::ArtifactKind;
use jiff::Timestamp;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::time::Duration;

/// The artifact chosen for one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub artifact: usize,
    /// The environment file names something else (unusable, absent, or not this kind).
    pub instead_of: Option<String>,
}

/// Chooses an artifact per kind, marks it `used_for`, checks its age against `max_age` at `now`,
/// and marks the other usable ones as not used. `named_paths` is what the environment file names
/// per kind (see `Inventory::named`).
pub fn choose(
    artifacts: &mut [Artifact],
    named_paths: &[(ArtifactKind, String)],
    now: Timestamp,
    max_age: Duration,
) -> BTreeMap<ArtifactKind, Choice> {
    let mut choices = BTreeMap::new();
    for kind in ArtifactKind::NAMED {
        let candidates: Vec<usize> = (0..artifacts.len())
            .filter(|&i| artifacts[i].kind == Some(kind))
            .collect();
        let named = candidates
            .iter()
            .copied()
            .find(|&i| artifacts[i].identified_by == IdentifiedBy::Environment);
        let mut usable: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| artifacts[i].usable())
            .collect();
        // Newest first; among equals, what the content proves before what a name suggests.
        usable.sort_by_key(|&i| {
            (
                Reverse(artifacts[i].taken_at()),
                artifacts[i].identified_by != IdentifiedBy::Content,
            )
        });
        let chosen = match named {
            Some(n) if artifacts[n].usable() => Some(n),
            _ => usable.first().copied().or(named).or_else(|| {
                candidates.iter().copied().min_by_key(|&i| {
                    (
                        artifacts[i].identified_by != IdentifiedBy::Content,
                        Reverse(artifacts[i].taken_at()),
                    )
                })
            }),
        };
        let Some(chosen) = chosen else { continue };
        let instead_of = named_paths
            .iter()
            .find(|(k, p)| *k == kind && *p != artifacts[chosen].path)
            .map(|(_, p)| p.clone());
        artifacts[chosen].used_for = Some(kind);
        if let Some(taken) = artifacts[chosen].taken_at() {
            let age = taken.duration_until(now);
            if age.is_positive() && age.unsigned_abs() > max_age {
                artifacts[chosen].problems.push(Problem::Stale {
                    age: age.unsigned_abs(),
                    max_age,
                });
            }
        }
        let used = artifacts[chosen].path.clone();
        for &i in usable.iter().filter(|&&i| i != chosen) {
            artifacts[i]
                .problems
                .push(Problem::NotUsed { used: used.clone() });
        }
        choices.insert(
            kind,
            Choice {
                artifact: chosen,
                instead_of,
            },
        );
    }
    choices
}
