//! What a test tells the stand-in through `LYNCSHELL_*` variables (failures, empty answers,
//! fixed points for crashes and Ctrl-C), and the event log it writes for the test to read.

use std::io::Write;

/// Set in the environment of the copy `LYNCSHELL_GRANDCHILD` starts.
const GRANDCHILD: &str = "LYNCSHELL_AS_GRANDCHILD";

pub struct Control {
    pub step: String,
    pub phase: String,
    pub no_lync: bool,
    log: Option<std::path::PathBuf>,
    fail: Vec<String>,
    block: Vec<String>,
    grandchild: Vec<String>,
    kill_parent: Vec<String>,
    stop_parent: Vec<String>,
    flood: Vec<String>,
    empty: Vec<String>,
    match_all: Vec<String>,
    unreachable: Vec<String>,
    sql_cluster: Vec<String>,
    /// `LYNCSHELL_SQL_WITHOUT=DB;DB`: databases the stand-in's SQL Server instance does not hold.
    pub sql_without: Vec<String>,
    /// `LYNCSHELL_LIS=unpublished`: the CMS holds no published E9-1-1 location configuration until
    /// `Publish-CsLisConfiguration` runs (this run's log says whether it did).
    pub lis_unpublished: bool,
    /// `LYNCSHELL_TASKS=NAME;NAME`: the scheduled tasks registered on this server (`schtasks.rs`).
    pub tasks: Vec<String>,
    /// The state of the deployment a test describes (`lync_rules::answer`): `None` where it
    /// says nothing, and the cmdlet answers with the stand-in's two people.
    pub world: World,
    /// `LYNCSHELL_CTRL_C=STEP/PHASE`: the console's Ctrl-C reaches this program as it starts.
    pub ctrl_c: Vec<String>,
    /// `LYNCSHELL_DISK=C:\\folder;...`: folders (Windows paths) whose content this host holds as
    /// the server would, so `Test-Path` under them answers from this host's disk. Elsewhere
    /// (the deployment's own paths, shares) it stays undecided.
    pub disk: Vec<String>,
}

/// What the deployment holds, as a test describes it through `LYNCSHELL_*` variables.
#[derive(Default)]
pub struct World {
    /// `LYNCSHELL_SCP=FQDN[\INSTANCE]` (`/` also separates): the SQL Server the service control
    /// point names.
    pub scp: Option<(String, Option<String>)>,
    /// `LYNCSHELL_SCP_FORM=backslash`: Get-CsConfigurationStoreLocation writes `FQDN\INSTANCE`
    /// instead of the help's `FQDN/INSTANCE`.
    pub scp_backslash: bool,
    /// `LYNCSHELL_POOLS=POOL=FQDN,FQDN;POOL=...`: the servers of each pool in the topology.
    pub pools: Option<Vec<(String, Vec<String>)>>,
    /// `LYNCSHELL_REPLICAS=FQDN=true;FQDN=false`: the replicas that report to the Central
    /// Management store, and whether each is up to date.
    pub replicas: Option<Vec<(String, bool)>>,
    /// `LYNCSHELL_CMS_MASTER=FQDN`: the server whose master replicator is active.
    pub cms_master: Option<String>,
}

impl World {
    fn from_env() -> Self {
        let set = |v: &str| std::env::var(v).ok().filter(|s| !s.trim().is_empty());
        let pairs = |v: &str| -> Option<Vec<(String, String)>> {
            set(v)?;
            Some(
                list(v)
                    .iter()
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .collect(),
            )
        };
        Self {
            scp: set("LYNCSHELL_SCP").map(|s| match s.split_once(['\\', '/']) {
                Some((fqdn, instance)) => (fqdn.to_owned(), Some(instance.to_owned())),
                None => (s, None),
            }),
            scp_backslash: set("LYNCSHELL_SCP_FORM").is_some_and(|f| f == "backslash"),
            pools: pairs("LYNCSHELL_POOLS").map(|ps| {
                ps.into_iter()
                    .map(|(pool, servers)| (pool, servers.split(',').map(|s| s.trim().to_owned()).collect()))
                    .collect()
            }),
            replicas: pairs("LYNCSHELL_REPLICAS").map(|rs| {
                rs.into_iter()
                    .map(|(r, up)| (r, up.eq_ignore_ascii_case("true")))
                    .collect()
            }),
            cms_master: set("LYNCSHELL_CMS_MASTER"),
        }
    }
}

fn list(var: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `*` matches any run of characters; the rest matches itself, ASCII case ignored.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Control {
    pub fn from_env() -> Self {
        let get = |v: &str| {
            std::env::var(v)
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "-".into())
        };
        Self {
            step: get("LYNCDR_STEP"),
            phase: get("LYNCDR_PHASE"),
            no_lync: std::env::var("LYNCSHELL_NO_LYNC").is_ok_and(|v| v == "1"),
            log: std::env::var_os("LYNCSHELL_LOG")
                .filter(|v| !v.is_empty())
                .map(Into::into),
            fail: list("LYNCSHELL_FAIL"),
            block: list("LYNCSHELL_BLOCK"),
            grandchild: list("LYNCSHELL_GRANDCHILD"),
            kill_parent: list("LYNCSHELL_KILL_PARENT"),
            stop_parent: list("LYNCSHELL_STOP_PARENT"),
            flood: list("LYNCSHELL_FLOOD"),
            ctrl_c: list("LYNCSHELL_CTRL_C"),
            empty: list("LYNCSHELL_EMPTY"),
            match_all: list("LYNCSHELL_MATCH"),
            unreachable: list("LYNCSHELL_UNREACHABLE"),
            sql_cluster: list("LYNCSHELL_SQL_CLUSTER"),
            sql_without: list("LYNCSHELL_SQL_WITHOUT"),
            lis_unpublished: std::env::var("LYNCSHELL_LIS").is_ok_and(|v| v == "unpublished"),
            tasks: list("LYNCSHELL_TASKS"),
            disk: list("LYNCSHELL_DISK"),
            world: World::from_env(),
        }
    }

    /// `STEP/PHASE[/rest]` patterns: does one match this step, phase and `rest`?
    fn matches(&self, patterns: &[String], rest: Option<&str>) -> bool {
        patterns.iter().any(|p| {
            let parts: Vec<&str> = p.splitn(3, '/').collect();
            match (parts.as_slice(), rest) {
                ([s, ph], None) => glob(s, &self.step) && glob(ph, &self.phase),
                ([s, ph, r], Some(rest)) => glob(s, &self.step) && glob(ph, &self.phase) && glob(r, rest),
                _ => false,
            }
        })
    }

    /// Is the command `name` told to fail? A native program matches by file name or stem.
    pub fn fails(&self, name: &str) -> bool {
        let stem = name
            .rsplit_once('.')
            .filter(|(_, ext)| ext.eq_ignore_ascii_case("exe"))
            .map_or(name, |(s, _)| s);
        self.matches(&self.fail, Some(name)) || self.matches(&self.fail, Some(stem))
    }

    /// `LYNCSHELL_EMPTY=STEP/PHASE/NAME`: the command `NAME` answers with no object at all (a
    /// Lync cmdlet that finds nothing, a `Where-Object` that matches nothing).
    pub fn empties(&self, name: &str) -> bool {
        self.matches(&self.empty, Some(name))
    }

    /// `LYNCSHELL_MATCH=STEP/PHASE/NAME`: every object matches the filter of `NAME`
    /// (`Where-Object`, or a cmdlet's `-Filter`). The stand-in does not evaluate filters: without
    /// this their result is unknown. Where it knows every value a `Where-Object` block reads (the
    /// objects of a `World` answer, `expr.rs`), it computes the filter and this order does not
    /// apply.
    pub fn matches_all(&self, name: &str) -> bool {
        self.matches(&self.match_all, Some(name))
    }

    /// `LYNCSHELL_UNREACHABLE=STEP/PHASE/COMPUTER`: the computer (a glob on the text of
    /// `-ComputerName`; empty where the stand-in cannot know it, as inside a `foreach`, so `*`
    /// names every one) does not answer: a Front End server that is down.
    pub fn unreachable(&self, computer: &str) -> bool {
        self.matches(&self.unreachable, Some(computer))
    }

    /// `LYNCSHELL_SQL_CLUSTER=STEP/PHASE`: the SQL Server the step installs databases on is a
    /// failover cluster.
    pub fn sql_cluster(&self) -> bool {
        self.matches(&self.sql_cluster, None)
    }

    pub fn blocks(&self) -> bool {
        self.matches(&self.block, None)
    }

    pub fn kills_parent(&self, when: &str) -> bool {
        self.matches(&self.kill_parent, Some(when))
    }

    /// `LYNCSHELL_CTRL_C`: end as a console program ends when Ctrl-C reaches it and it has no
    /// handler of its own (SetConsoleCtrlHandler: the default handler calls
    /// ExitProcess(STATUS_CONTROL_C_EXIT), 0xC000013A); on Unix, SIGINT's default action. Only
    /// this program gets it: lyncdr must tell an interruption from a failure by the ending alone.
    pub fn end_by_ctrl_c_if_asked(&self) {
        if !self.matches(&self.ctrl_c, None) {
            return;
        }
        self.log("ctrl-c", "");
        end_by_ctrl_c();
    }

    pub fn stops_parent(&self) -> bool {
        self.matches(&self.stop_parent, None)
    }

    /// Has a process of this run (sharing `LYNCSHELL_LOG`) logged `detail` for `event`? Reads at
    /// most 8 MiB of the log.
    pub fn logged(&self, event: &str, detail: &str) -> bool {
        use std::io::Read;
        let Some(path) = &self.log else { return false };
        let mut text = String::new();
        let read = std::fs::File::open(path).and_then(|f| f.take(8 << 20).read_to_string(&mut text));
        read.is_ok()
            && text.lines().any(|l| {
                let f: Vec<&str> = l.splitn(5, '\t').collect();
                f.get(3) == Some(&event) && f.get(4) == Some(&detail)
            })
    }

    /// One event line, appended and flushed at once so that a SIGKILL loses nothing.
    pub fn log(&self, event: &str, detail: &str) {
        let Some(path) = &self.log else { return };
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        let line = format!(
            "{}\t{}\t{}\t{}\t{}\n",
            std::process::id(),
            clean(&self.step),
            clean(&self.phase),
            event,
            clean(detail)
        );
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
            let _ = f.flush();
        }
    }

    /// `LYNCSHELL_BLOCK`: a command that never ends, until Ctrl-C or a kill (at most 120 s).
    pub fn block_if_asked(&self) -> Option<i32> {
        if !self.blocks() {
            return None;
        }
        self.log("blocked", "");
        for _ in 0..2400 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(99)
    }

    /// `LYNCSHELL_GRANDCHILD=STEP/PHASE`, before the blocking fixed point: start a copy of this
    /// program that outlives it, as powershell.exe leaves sqlcmd.exe or DBImpExp.exe running when
    /// it is ended ("Terminating a process does not cause child processes to be terminated":
    /// Microsoft, Win32 docs, "Terminating a Process"; on Unix a signal to one process leaves its
    /// children). The copy logs `grandchild` (its pid is the log line's first field) and sleeps
    /// (at most 120 s). Like a native program under powershell.exe it inherits the standard
    /// output and error, so it holds lyncdr's pipes open while it runs.
    pub fn leave_grandchild_if_asked(&self) {
        if !self.matches(&self.grandchild, None) {
            return;
        }
        let Ok(me) = std::env::current_exe() else { return };
        // Not waited for: it is meant to outlive this process.
        #[allow(clippy::zombie_processes)]
        let started = std::process::Command::new(me)
            .env(GRANDCHILD, "1")
            .stdin(std::process::Stdio::null())
            .spawn();
        if let Err(e) = started {
            self.log("grandchild-failed", &e.to_string());
        }
    }

    /// The copy started by `LYNCSHELL_GRANDCHILD`: log, sleep, end. `false` for any other run.
    pub fn sleep_if_grandchild(&self) -> bool {
        if std::env::var_os(GRANDCHILD).is_none_or(|v| v != "1") {
            return false;
        }
        self.log("grandchild", "");
        for _ in 0..2400 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        true
    }

    /// `LYNCSHELL_FLOOD=STEP/PHASE/LINES`: before the script, write LINES lines as a chatty
    /// native program would (DBImpExp's progress): in the console's code page, the one a native
    /// program writes whatever PowerShell's setting, then one 200 KB line with no line break.
    /// Written blocking, as a real child does: if lyncdr stopped reading, this never ends.
    pub fn flood_if_asked(&self) {
        let lines = self.flood.iter().find_map(|p| {
            let parts: Vec<&str> = p.splitn(3, '/').collect();
            match parts.as_slice() {
                [s, ph, n] if glob(s, &self.step) && glob(ph, &self.phase) => n.parse::<usize>().ok(),
                _ => None,
            }
        });
        let Some(lines) = lines else { return };
        self.log("flood", &lines.to_string());
        let mut out = std::io::stdout().lock();
        // A name 437 lacks (`?` there) and 850 has: read in the wrong code page it is `¥ystein`.
        let _ = out.write_all(&crate::console::oem("Konto: Øystein Sørensen\r\n"));
        for i in 0..lines {
            let mut line =
                crate::console::oem(&format!("Fortschritt {i}: Benutzer Jürgen Müller übertragen"));
            line.extend_from_slice(b"\r\n");
            if out.write_all(&line).is_err() {
                return;
            }
        }
        // A name from the directory holding terminal control sequences (clear the screen, write
        // the clipboard with OSC 52): what a hostile account name would make a cmdlet print.
        let _ = out.write_all(b"Benutzer \x1b]52;c;aGk=\x07\x1b[2J\x1b[1Aready\r\n");
        let _ = out.write_all(&vec![b'x'; 200 << 10]);
        let _ = out.write_all(b"\r\n");
        let _ = out.flush();
    }

    /// `LYNCSHELL_KILL_PARENT`: SIGKILL lyncdr at a fixed point (`before` or `after`).
    pub fn kill_parent_if_asked(&self, when: &str) {
        if self.kills_parent(when) {
            self.log("killed-parent", when);
            signal_parent("-KILL");
        }
    }

    /// `LYNCSHELL_STOP_PARENT`: SIGSTOP lyncdr after the script, so a test can send Ctrl-C
    /// "between two commands" and then SIGCONT.
    pub fn stop_parent_if_asked(&self) {
        if self.stops_parent() {
            self.log("stopped-parent", "");
            signal_parent("-STOP");
        }
    }
}

#[cfg(unix)]
fn end_by_ctrl_c() {
    let _ = std::process::Command::new("kill")
        .args(["-INT", &std::process::id().to_string()])
        .status();
    // SIGINT's default action ends the process before `kill` returns here, normally.
    std::thread::sleep(std::time::Duration::from_secs(5));
    std::process::exit(1);
}

#[cfg(windows)]
fn end_by_ctrl_c() {
    const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;
    std::process::exit(STATUS_CONTROL_C_EXIT.cast_signed());
}

#[cfg(unix)]
fn signal_parent(signal: &str) {
    let parent = std::os::unix::process::parent_id();
    if parent > 1 {
        let _ = std::process::Command::new("kill")
            .args([signal, &parent.to_string()])
            .stdin(std::process::Stdio::null())
            .status();
    }
}

/// Windows has no signals: a kill is TerminateProcess, as Task Manager's "End process" and a
/// closed RDP session's forced end do; there is no SIGSTOP (the tests that need it are Unix-only).
#[cfg(windows)]
fn signal_parent(signal: &str) {
    if signal == "-KILL" {
        crate::process::terminate_parent();
    }
}
