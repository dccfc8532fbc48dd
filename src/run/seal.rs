//! The seal of a step record in a state file: SHA-256 over what `serde_json` writes for the run
//! the record belongs to and the record itself (without its seal), so that a record changed by
//! hand, or copied from another run's state, does not verify ([`super::state`] seals every
//! record it writes and checks every record it reads).
//!
//! A checksum, not a signature: it catches an edit, not someone who recomputes it on purpose.
//! No key would help: a key lyncdr can read, whoever may write the state file can read too.

use crate::digest::sha256_hex;
use serde::Serialize;
use std::fmt;

/// What a seal covers. Plain structs serialize their fields in declaration order, so the text
/// hashed is fixed by the types, with no format written by hand.
#[derive(Serialize)]
struct Sealed<'a, I, R> {
    run: &'a I,
    step: &'a R,
}

/// The seal of `step` in `run`; `None` if either cannot be serialized (then nothing verifies).
pub fn of<I: Serialize, R: Serialize>(run: &I, step: &R) -> Option<String> {
    let text = serde_json::to_vec(&Sealed { run, step }).ok()?;
    Some(sha256_hex(&text))
}

/// Why a record's seal did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A record of a sealed state file with no seal: a removed seal is an edit too.
    Missing,
    Mismatch,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Missing => "it has no seal",
            Problem::Mismatch => "seal does not match",
        })
    }
}

/// Does `found` (the seal read with `step`) seal `step` in `run`?
pub fn check<I: Serialize, R: Serialize>(run: &I, step: &R, found: Option<&str>) -> Result<(), Problem> {
    let found = found.ok_or(Problem::Missing)?;
    match of(run, step) {
        Some(want) if want == found => Ok(()),
        _ => Err(Problem::Mismatch),
    }
}

/// A new run's id, which every seal of the run covers: 16 random bytes in hex. An identity, not
/// a secret: when the system gives no random bytes, the clock and the process id do.
pub fn new_run_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now();
        let fallback = format!("{now:?} {}", std::process::id());
        return sha256_hex(fallback.as_bytes())[..32].to_owned();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Step {
        id: &'static str,
        status: &'static str,
    }

    const DONE: Step = Step {
        id: "a",
        status: "done",
    };

    /// The text hashed is serde_json's, fields in declaration order: pinned, so a change to it
    /// (which would make every sealed state file look edited) is seen.
    #[test]
    fn the_seal_is_sha256_of_the_serialized_run_and_record() {
        let text = br#"{"run":{"run_id":"r1"},"step":{"id":"a","status":"done"}}"#;
        let run = serde_json::json!({ "run_id": "r1" });
        assert_eq!(of(&run, &DONE), Some(sha256_hex(text)));
    }

    #[test]
    fn an_edited_record_or_another_run_does_not_verify() {
        let run = serde_json::json!({ "run_id": "r1" });
        let seal = of(&run, &DONE).unwrap();
        assert_eq!(check(&run, &DONE, Some(&seal)), Ok(()));
        let failed = Step {
            status: "failed",
            ..DONE
        };
        assert_eq!(check(&run, &failed, Some(&seal)), Err(Problem::Mismatch));
        let other = serde_json::json!({ "run_id": "r2" });
        assert_eq!(check(&other, &DONE, Some(&seal)), Err(Problem::Mismatch));
        assert_eq!(check(&run, &DONE, None), Err(Problem::Missing));
        assert_eq!(check(&run, &DONE, Some("")), Err(Problem::Mismatch));
    }

    #[test]
    fn run_ids_are_new_each_time() {
        let (a, b) = (new_run_id(), new_run_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
