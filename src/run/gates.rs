//! Prerequisites: the readiness summary at the start, and the gate before each step. A backup is
//! looked up in the `--backups` folder, event 30024 in the `--evidence` exports; a confirmation
//! asks the operator. What the operator attested or confirmed is recorded on the step and
//! remembered on resume, so it is not asked again. A dry run collects what is unmet.

use super::backup;
use super::error::RunError;
use super::evidence;
use super::operator::Blocked;
use super::session::{Flow, Session};
use super::state::Status;
use crate::render::plan::{Plan, PlannedPrerequisite, PlannedStep};
use crate::runbook::{PrereqKind, StepRef};

pub(super) enum Gate {
    Ok(String),
    Problem(String),
    Ask,
}

impl Session<'_> {
    pub(super) fn readiness(&mut self, plan: &Plan, resumed: bool) {
        let mut out = format!("{}: {}\n", plan.runbook, plan.title);
        if resumed {
            let done = self.state.steps.iter().filter(|r| r.status.is_settled()).count();
            out.push_str(&format!(
                "Resuming the run started {}: {done} of {} steps already done or skipped.\n",
                self.state.started_at,
                plan.steps.len()
            ));
        }
        out.push_str("\nReadiness (prerequisites checked now; each is checked again before its step):\n");
        // A step already done or skipped needs nothing now; a prerequisite several steps share
        // (the same backup) is checked and listed once, with the steps that need it.
        let settled = |s: &PlannedStep| self.state.step(&s.id).is_some_and(|r| r.status.is_settled());
        let mut rows: Vec<(&PlannedPrerequisite, Vec<String>)> = Vec::new();
        let all = plan.prerequisites.iter().map(|p| (None, p)).chain(
            plan.steps
                .iter()
                .filter(|s| !s.skipped && !settled(s))
                .flat_map(|s| s.prerequisites.iter().map(move |p| (Some(s), p))),
        );
        for (step, p) in all {
            let name = step.map(|s| {
                if s.label.is_empty() {
                    s.id.clone()
                } else {
                    s.label.clone()
                }
            });
            match rows.iter_mut().find(|(q, _)| q.description == p.description) {
                Some((_, steps)) => steps.extend(name),
                None => rows.push((p, name.into_iter().collect())),
            }
        }
        for (p, steps) in &rows {
            let at = match steps.as_slice() {
                [] => String::new(),
                [one] => format!(" [step {one}]"),
                more => format!(" [steps {}]", more.join(", ")),
            };
            let verdict = match self.gate(p) {
                Gate::Ok(e) => format!("ok      {}{at}: {e}", p.description),
                Gate::Problem(why) => format!("MISSING {}{at}: {why}", p.description),
                Gate::Ask => format!("ASK     {}{at}", p.description),
            };
            out.push_str(&format!("  {verdict}\n"));
        }
        if rows.is_empty() {
            out.push_str("  (none)\n");
        }
        self.op.show(&out);
    }
    pub(super) fn prerequisites(&mut self, step: &PlannedStep) -> Result<Option<Flow>, RunError> {
        let mut list: Vec<_> = step.prerequisites.clone();
        if !self.runbook_prerequisites_checked {
            self.runbook_prerequisites_checked = true;
            list.extend(self.plan()?.prerequisites);
        }
        for p in &list {
            loop {
                match self.gate(p) {
                    Gate::Ok(evidence) => {
                        self.op.show(&format!("  ok: {} -- {evidence}\n", p.description));
                        let line = format!("{}: {evidence}", p.description);
                        self.record(&step.id, |r| {
                            if !r.evidence.contains(&line) {
                                r.evidence.push(line);
                            }
                        })?;
                        break;
                    }
                    Gate::Ask => {
                        let PrereqKind::Confirm { statement } = &p.kind else {
                            break;
                        };
                        if self.cfg.dry_run {
                            break;
                        }
                        if let Some(earlier) = self.remembered(&step.id, &p.description, "confirmed") {
                            self.op.show(&format!("  confirmed earlier: {earlier}\n"));
                            break;
                        }
                        if self.cfg.yes || self.op.confirm(statement) {
                            let how = if self.cfg.yes {
                                "confirmed (--yes)"
                            } else {
                                "confirmed by the operator"
                            };
                            let line = format!("{}: {how}", p.description);
                            self.decide(Some(&step.id), line.clone());
                            self.record(&step.id, |r| r.evidence.push(line))?;
                            break;
                        }
                        return Ok(Some(self.stopped(step)));
                    }
                    Gate::Problem(why) if matches!(p.kind, PrereqKind::NotAfter { .. }) => {
                        // A guard, not a missing piece of evidence: nobody attests it away.
                        self.op.show(&format!("  REFUSED: {} -- {why}\n", p.description));
                        if self.cfg.dry_run {
                            self.unmet(p, step, &why);
                            break;
                        }
                        return Err(RunError::Refused {
                            step: step.id.clone(),
                            why,
                            hint: hint_for(&p.kind, false),
                        });
                    }
                    Gate::Problem(why) => {
                        if let Some(earlier) = self.remembered(&step.id, &p.description, "ATTESTED") {
                            self.op.show(&format!("  attested earlier: {earlier}\n"));
                            break;
                        }
                        // Option A (the SQL restore) is only advice where the runbook offers it.
                        let option_a = self
                            .plan()?
                            .steps
                            .iter()
                            .any(|s| s.options.iter().any(|o| o.info.id == "A"));
                        let hint = hint_for(&p.kind, option_a);
                        self.op.show(&format!(
                            "  BLOCKED: {} -- {why}\n  How to satisfy it: {hint}\n",
                            p.description
                        ));
                        if self.cfg.dry_run {
                            self.unmet(p, step, &why);
                            break;
                        }
                        if self.cfg.yes {
                            return Err(RunError::Blocked {
                                step: step.id.clone(),
                                prerequisite: p.description.clone(),
                                why,
                                hint,
                            });
                        }
                        let wants_event = matches!(p.kind, PrereqKind::Event { .. });
                        match self.op.blocked(step, std::slice::from_ref(&why), wants_event) {
                            Blocked::Recheck => continue,
                            Blocked::Evidence(path) => {
                                // A file that cannot be read is refused here, so it cannot
                                // spoil every later check.
                                match evidence::read(&path, &|_| false) {
                                    Ok(_) => self.cfg.evidence.push(path),
                                    Err(why) => self.op.show(&format!("  Not used: {why}\n")),
                                }
                                continue;
                            }
                            Blocked::Attest => {
                                let line = format!(
                                    "{}: ATTESTED by the operator, not proven ({why})",
                                    p.description
                                );
                                self.decide(Some(&step.id), line.clone());
                                self.record(&step.id, |r| r.evidence.push(line))?;
                                break;
                            }
                            Blocked::Stop => return Ok(Some(self.stopped(step))),
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    /// A dry run's record of a prerequisite unmet now (listed at its end, exit 4).
    fn unmet(&mut self, p: &PlannedPrerequisite, step: &PlannedStep, why: &str) {
        let line = format!(
            "{} [step {}]: {why}",
            p.description,
            super::step::display_name(step)
        );
        self.unmet.push(line);
    }

    /// An attestation or confirmation this step already holds (from before a stop or crash).
    fn remembered(&self, step: &str, description: &str, how: &str) -> Option<String> {
        let prefix = format!("{description}: {how}");
        self.state
            .step(step)?
            .evidence
            .iter()
            .find(|e| e.starts_with(&prefix))
            .cloned()
    }

    /// A prerequisite checked now. Its words quote file names and event fields from outside:
    /// they are made printable before anyone shows or records them.
    fn gate(&self, p: &PlannedPrerequisite) -> Gate {
        match self.gate_raw(p) {
            Gate::Ok(s) => Gate::Ok(crate::decode::printable(&s)),
            Gate::Problem(s) => Gate::Problem(crate::decode::printable(&s)),
            Gate::Ask => Gate::Ask,
        }
    }

    fn gate_raw(&self, p: &PlannedPrerequisite) -> Gate {
        match &p.kind {
            PrereqKind::NotAfter { step: other } => match self.state.step(other) {
                Some(r) if r.attempts > 0 || !matches!(r.status, Status::Pending | Status::Skipped) => {
                    Gate::Problem(format!(
                        "step `{other}` has already {} in this run ({}); this step must never run after it",
                        if r.status == Status::Done {
                            "run"
                        } else {
                            "started"
                        },
                        r.status.name()
                    ))
                }
                _ => Gate::Ok("checked in this run's state".into()),
            },
            PrereqKind::Backup { artifact } => {
                let Some(path) = &p.path else {
                    return Gate::Problem(format!("`{}` is not set", artifact.env_key()));
                };
                if self.cfg.backups.is_none() && artifact.read_by_sql_server() {
                    return Gate::Ok(format!(
                        "`{path}` is read by SQL Server on the Back End; its backup sets are read and verified there before the restore"
                    ));
                }
                // On Windows the path itself may be reachable; elsewhere a local copy stands in.
                let native = std::path::Path::new(path.as_str());
                let dir = match (&self.cfg.backups, native.parent()) {
                    (Some(dir), _) => dir.clone(),
                    (None, Some(parent)) if cfg!(windows) && native.exists() => parent.to_path_buf(),
                    _ => {
                        return Gate::Problem(format!(
                            "cannot see `{path}` from here: give --backups DIR, a local copy of the backup folder"
                        ));
                    }
                };
                let dir = &dir;
                match backup::check(*artifact, path, dir, &self.env.max_backup_age()) {
                    Ok(found) => Gate::Ok(format!(
                        "{} ({} bytes{}){}",
                        found.path.display(),
                        found.size,
                        found
                            .age
                            .map(|a| format!(", {} old", crate::audit::format_duration(a)))
                            .unwrap_or_default(),
                        if found.compressed {
                            "; compressed, so UNVERIFIED here: SQL Server verifies it (RESTORE VERIFYONLY) before the restore"
                        } else {
                            ""
                        }
                    )),
                    Err(why) => Gate::Problem(why),
                }
            }
            PrereqKind::Event {
                id,
                provider,
                after_step,
                computers,
                ..
            } => {
                let (after, since) = self.event_threshold(after_step.as_ref());
                if self.cfg.evidence.is_empty() {
                    return Gate::Problem(format!(
                        "no event log evidence given (--evidence FILE); the event must be newer than {since}"
                    ));
                }
                let mut events = Vec::new();
                for f in &self.cfg.evidence {
                    match evidence::read(f, &|e| e.id == *id) {
                        Ok(e) => events.extend(e),
                        Err(why) => return Gate::Problem(why),
                    }
                }
                let list = |key: &str| match self.env.get(key).map(|e| &e.value) {
                    Some(crate::env::Value::List(items)) => items.clone(),
                    _ => Vec::new(),
                };
                let servers = computers.as_deref().map(|k| (k, list(k)));
                let domains = list("user_domains");
                match evidence::find_all(&events, *id, provider, after) {
                    fresh if !fresh.is_empty() => match sync_complete(&fresh, servers, &domains) {
                        Ok(what) => Gate::Ok(format!("event {id} from {provider}: {what}")),
                        Err(why) => Gate::Problem(format!("{why} (events newer than {since})")),
                    },
                    _ => {
                        let older = events.iter().filter(|e| e.id == *id).count();
                        let files = self
                            .cfg
                            .evidence
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ");
                        Gate::Problem(if older > 0 {
                            format!(
                                "{files} holds event {id} only from before {since}: that sync is not the one after the rebuild"
                            )
                        } else {
                            format!("no event {id} from {provider} in {files}")
                        })
                    }
                }
            }
            PrereqKind::Confirm { .. } => Gate::Ask,
        }
    }

    /// Events count only when newer than the start of the step named by `after_step` (the
    /// checker resolved it to its full id; a fast sync can end within the second it started), or
    /// the start of the recovery (`recovery.started_at`, else the start of this run).
    fn event_threshold(&self, after_step: Option<&StepRef>) -> (Option<jiff::Timestamp>, String) {
        if let Some(target) = after_step
            && let Some(r) = self.state.step(target)
            && let Some(at) = r.started_at.as_deref()
            && let Ok(t) = at.parse()
        {
            return (Some(t), format!("the start of step `{target}` ({at})"));
        }
        if let Some(e) = self.env.get("recovery.started_at")
            && let crate::env::Value::Timestamp(t) = e.value
        {
            return (Some(t), format!("the start of the recovery ({t})"));
        }
        let t = self.state.started_at.parse().ok();
        (t, format!("the start of this run ({})", self.state.started_at))
    }
}
fn hint_for(kind: &PrereqKind, option_a: bool) -> String {
    match kind {
        PrereqKind::Backup { artifact } => format!(
            "put the backup where `{}` says (or in the --backups folder), not empty, of the right kind and newer than backups.max_age",
            artifact.env_key()
        ),
        PrereqKind::Event { .. } => {
            let mut hint = "run Update-CsUserDatabase on a Front End server and wait for event 30024 from LS User Replicator in the Lync Server log; export it (wevtutil qe \"Lync Server\" /q:\"*[System[(EventID=30024)]]\" /f:xml > 30024.xml) and give it with --evidence.".to_owned();
            if option_a {
                hint.push_str(" Or take option A, the SQL restore of rtc, which does not need it.");
            }
            hint
        }
        PrereqKind::Confirm { .. } => "confirm it".into(),
        PrereqKind::NotAfter { step } => format!(
            "none: once `{step}` has run, running this step would undo it. If it must really run again, do it by hand, knowing what it removes"
        ),
    }
}

/// Did User Replicator finish its sync where it matters? `fresh` are the 30024 events newer than
/// the threshold. With `servers` (an environment key and its FQDNs), only events logged by those
/// computers (the Front End servers of the pool the import goes to) count: a 30024 from another
/// pool says nothing of this one. With `domains` (`user_domains`), each domain needs its own
/// event: User Replicator logs 30024 once per Active Directory domain (the source procedure).
/// Which words of the event name the domain is unconfirmed: its data and message text is
/// searched for the domain's FQDN or its exact distinguished name (`names_domain`).
fn sync_complete(
    fresh: &[&evidence::Event],
    servers: Option<(&str, Vec<String>)>,
    domains: &[String],
) -> Result<String, String> {
    let (from_pool, source): (Vec<&evidence::Event>, String) = match &servers {
        Some((key, list)) if !list.is_empty() => {
            let mine: Vec<_> = fresh
                .iter()
                .copied()
                .filter(|e| list.iter().any(|s| same_computer(&e.computer, s)))
                .collect();
            if mine.is_empty() {
                let seen: Vec<&str> = fresh.iter().map(|e| e.computer.as_str()).collect();
                return Err(format!(
                    "event 30024 came only from {}, not from a Front End of the pool (`{key}`: {})",
                    seen.join(", "),
                    list.join(", ")
                ));
            }
            (mine, format!("from {}", list.join(", ")))
        }
        Some((key, _)) => (
            fresh.to_vec(),
            format!("from any computer (`{key}` is not set, so the pool is not checked)"),
        ),
        None => (fresh.to_vec(), "from any computer".to_owned()),
    };
    let newest = from_pool
        .iter()
        .filter_map(|e| e.time)
        .max()
        .map(|t| t.to_string())
        .unwrap_or_default();
    if domains.is_empty() {
        return Ok(format!("at {newest}, {source}"));
    }
    let missing: Vec<&str> = domains
        .iter()
        .filter(|d| !from_pool.iter().any(|e| names_domain(&e.text, d)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "no event 30024 yet for domain(s) {} (User Replicator logs one per domain as it finishes it; `user_domains` lists {})",
            missing.join(", "),
            domains.join(", ")
        ));
    }
    Ok(format!(
        "one for each of {} domain(s) ({}), newest at {newest}, {source}",
        domains.len(),
        domains.join(", ")
    ))
}

/// `fe01.contoso.com` is `FE01.contoso.com` and `FE01` (a log may hold the short name).
fn same_computer(logged: &str, fqdn: &str) -> bool {
    let logged = logged.trim();
    logged.eq_ignore_ascii_case(fqdn)
        || (!logged.contains('.')
            && fqdn
                .split('.')
                .next()
                .is_some_and(|short| short.eq_ignore_ascii_case(logged)))
}

/// Does the event's text name `domain`? Its FQDN standing alone (not inside a longer name:
/// `contoso.com` is not `emea.contoso.com` nor `contoso.community`), or its exact distinguished
/// name (`DC=contoso,DC=com`, not the tail of `DC=emea,DC=contoso,DC=com`). A first label alone
/// (`contoso`) is not enough: it stands alone inside the child domain's DN too (issue 19 item 4).
fn names_domain(text: &str, domain: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    // After the name: nothing, or a `.` that ends a sentence, or any other non-name character.
    let ends = |rest: &str, more: &dyn Fn(char) -> bool| {
        let mut after = rest.chars();
        match after.next() {
            None => true,
            Some('.') => !after.next().is_some_and(name_char),
            Some(c) => !(name_char(c) || more(c)),
        }
    };
    let fqdn = text.match_indices(&domain).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        !before.is_some_and(|c| name_char(c) || c == '.') && ends(&text[i + domain.len()..], &|_| false)
    });
    let dn = format!(
        "dc={}",
        domain
            .split('.')
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(",dc=")
    );
    let exact_dn = text.match_indices(&dn).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        !before.is_some_and(|c| name_char(c) || c == '=' || c == ',')
            && ends(&text[i + dn.len()..], &|c| c == ',')
    });
    fqdn || exact_dn
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(computer: &str, text: &str) -> evidence::Event {
        evidence::Event {
            id: 30024,
            provider: "LS User Replicator".into(),
            time: "2026-11-25T10:00:00Z".parse().ok(),
            computer: computer.into(),
            channel: "Lync Server".into(),
            text: text.into(),
        }
    }

    #[test]
    fn one_event_per_domain_from_the_pool() {
        let a = event("FE01.contoso.com", "domain contoso.com");
        let b = event("fe02", "domain DC=emea,DC=contoso,DC=com");
        let other = event("fe09.contoso.com", "domain emea.contoso.com");
        let servers = || {
            Some((
                "pools.failed_front_ends",
                vec!["fe01.contoso.com".to_owned(), "fe02.contoso.com".to_owned()],
            ))
        };
        let domains = ["contoso.com".to_owned(), "emea.contoso.com".to_owned()];
        assert!(sync_complete(&[&a, &b], servers(), &domains).is_ok());
        let e = sync_complete(&[&a, &other], servers(), &domains).expect_err("emea only from another pool");
        assert!(e.contains("emea.contoso.com"), "{e}");
        let e = sync_complete(&[&other], servers(), &[]).expect_err("wrong pool");
        assert!(
            e.contains("fe09.contoso.com") && e.contains("pools.failed_front_ends"),
            "{e}"
        );
        assert!(sync_complete(&[&other], None, &[]).is_ok());
        assert!(!names_domain("domain contoso.community", "contoso.com"));
    }

    /// A parent and a child domain (issue 19 item 4): the child's event names the parent's first
    /// label and the tail of its DN, and satisfies only the child.
    #[test]
    fn a_child_domain_does_not_satisfy_its_parent() {
        let child = "Initial synchronization of domain DC=emea,DC=contoso,DC=com finished.";
        assert!(names_domain(child, "emea.contoso.com"));
        assert!(!names_domain(child, "contoso.com"));
        assert!(names_domain("domain DC=contoso,DC=com.", "contoso.com"));
        assert!(names_domain("domain emea.contoso.com", "emea.contoso.com"));
        assert!(!names_domain("domain emea.contoso.com", "contoso.com"));
        assert!(!names_domain("domain contoso", "contoso.com"));
        let domains = ["contoso.com".to_owned(), "emea.contoso.com".to_owned()];
        let e = sync_complete(&[&event("fe01", child)], None, &domains).expect_err("parent missing");
        assert!(e.contains("domain(s) contoso.com "), "{e}");
    }
}
