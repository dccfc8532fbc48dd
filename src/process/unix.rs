//! Unix: a piped command leads a process group of its own (`process_group(0)`), stopped with one
//! SIGKILL to the group; processes are read from `/proc` (Linux): start time = field 22 of
//! `/proc/PID/stat` (clock ticks since boot), owner = the uid of `/proc/PID`. Without `/proc`
//! (macOS) nothing is recognised later, and a stop still reaches the group.

use super::Identity;
use rustix::process::{Pid, Signal};
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::ExitStatusExt as _;

pub fn prepare(command: &mut tokio::process::Command, console: bool) {
    // A command on the operator's terminal stays in lyncdr's group, the terminal's foreground
    // group, or it could not read the keyboard.
    if !console {
        command.process_group(0);
    }
}

pub fn ended_by_ctrl_c(status: &std::process::ExitStatus) -> bool {
    status.signal() == Some(Signal::INT.as_raw())
}

/// One process as `/proc` shows it.
struct Proc {
    pid: u32,
    ppid: u32,
    pgid: u32,
    start: u64,
    uid: u32,
    /// Ended, not yet reaped by its parent: it runs nothing any more.
    zombie: bool,
}

fn read(pid: u32) -> Option<Proc> {
    let dir = format!("/proc/{pid}");
    let uid = std::fs::metadata(&dir).ok()?.uid();
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold anything, `)` and spaces too:
    // the fields are counted from after the last `)`, where field 3 (the state) is first.
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(Proc {
        pid,
        zombie: matches!(*f.first()?, "Z" | "X"),
        ppid: f.get(1)?.parse().ok()?,
        pgid: f.get(2)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
        uid,
    })
}

fn scan() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(read)
        .collect()
}

pub fn identity(pid: u32) -> Option<Identity> {
    let p = read(pid)?;
    Some(Identity {
        pid,
        group: if p.pgid == pid { pid } else { 0 },
        start: p.start,
        owner: p.uid.to_string(),
    })
}

/// The processes of `id` that still run: the group it leads (every member started after it and
/// owned by its owner), else itself and its descendants.
pub fn members(id: &Identity) -> Vec<u32> {
    let procs = scan();
    let ours = |p: &Proc| !p.zombie && p.uid.to_string() == id.owner && p.start >= id.start;
    // Linux frees a process id only when no process uses it as a process or group id: while
    // another process holds the leader's id, the group it led has ended.
    if procs.iter().any(|p| p.pid == id.pid && p.start != id.start) {
        return Vec::new();
    }
    if id.group != 0 {
        return procs
            .iter()
            .filter(|p| p.pgid == id.group && ours(p))
            .map(|p| p.pid)
            .collect();
    }
    let mut tree: Vec<(u32, u64)> = Vec::new();
    if let Some(p) = procs.iter().find(|p| p.pid == id.pid && ours(p)) {
        tree.push((p.pid, p.start));
    }
    // Descendants through parent links, each started after its parent (a bounded walk: each
    // process joins once).
    let mut i = 0;
    while i < tree.len() {
        let (parent, since) = tree[i];
        for p in procs
            .iter()
            .filter(|p| p.ppid == parent && p.start >= since && ours(p))
        {
            if !tree.iter().any(|t| t.0 == p.pid) {
                tree.push((p.pid, p.start));
            }
        }
        i += 1;
    }
    tree.into_iter().map(|t| t.0).collect()
}

pub struct Tree {
    pid: Option<u32>,
    group: bool,
}

impl Tree {
    pub fn adopt(_child: &tokio::process::Child, pid: Option<u32>, id: Option<&Identity>) -> Tree {
        Tree {
            pid,
            group: id.is_some_and(|i| i.group != 0),
        }
    }

    pub fn stop(&self, id: Option<&Identity>) {
        let Some(id) = id else {
            // No `/proc`: the group, which the command leads unless it took the terminal.
            if let Some(pid) = self.pid.and_then(|p| Pid::from_raw(p as i32)) {
                let _ = rustix::process::kill_process_group(pid, Signal::KILL);
            }
            return;
        };
        let members = members(id);
        if members.is_empty() {
            return;
        }
        // A live member holds the group id, so it cannot have been handed to another group: one
        // SIGKILL to the group also reaches a process being forked right now.
        if self.group
            && let Some(group) = Pid::from_raw(id.group as i32)
        {
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
            return;
        }
        for pid in members.into_iter().filter_map(|p| Pid::from_raw(p as i32)) {
            let _ = rustix::process::kill_process(pid, Signal::KILL);
        }
    }

    pub fn empty(&self, id: Option<&Identity>) -> bool {
        id.is_none_or(|id| members(id).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command name holding `)` and spaces does not shift the fields.
    #[test]
    fn the_fields_count_from_the_last_parenthesis() {
        let me = read(std::process::id()).expect("own /proc entry");
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert_eq!(me.uid, rustix::process::geteuid().as_raw());
        assert!(!me.zombie);
    }

    #[test]
    fn only_sigint_is_ctrl_c() {
        use std::process::ExitStatus;
        // A wait status: the signal number alone for a process killed by it, the code << 8 for
        // an exit.
        assert!(ended_by_ctrl_c(&ExitStatus::from_raw(Signal::INT.as_raw())));
        assert!(!ended_by_ctrl_c(&ExitStatus::from_raw(Signal::KILL.as_raw())));
        assert!(!ended_by_ctrl_c(&ExitStatus::from_raw(2 << 8)));
    }

    #[test]
    fn a_group_of_ours_runs_until_its_last_member_ends() {
        // `sh` leads its group and leaves `sleep` behind it, as powershell.exe leaves sqlcmd.exe.
        let mut c = std::process::Command::new("sh");
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        let leader = c
            .args(["-c", "sleep 30 >/dev/null & echo $!"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh");
        let id = identity(leader.id()).expect("leader");
        assert_eq!(id.group, leader.id());
        let out = leader.wait_with_output().expect("sh ends");
        let sleeper: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().expect("pid");
        assert_eq!(
            members(&id),
            vec![sleeper],
            "the grandchild keeps the group alive"
        );
        Tree {
            pid: Some(id.pid),
            group: true,
        }
        .stop(Some(&id));
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !members(&id).is_empty() {
            assert!(std::time::Instant::now() < until, "the group was stopped");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}
