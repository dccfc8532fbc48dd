//! "Did you mean" suggestions: for an unknown environment key, runbook name, field or step id,
//! the known name the user most likely meant. A name the user began (`backend` for
//! `backend-restore`) wins over a near miss; a near miss is measured by `strsim`'s optimal string
//! alignment distance (a swapped pair of letters, `editoin`, counts as one edit).

/// Longer words get no suggestion: the distance costs time in the product of both lengths, and
/// nobody mistypes a name of this length.
const MAX_LEN: usize = 200;

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_len = word.chars().count();
    if word.is_empty() || word_len > MAX_LEN {
        return None;
    }
    let lower = word.to_lowercase();
    let mut best: Option<(usize, usize, &'a str)> = None;
    for c in candidates {
        // The word itself is no suggestion (a derived key is explained, not offered as a typo).
        if c == word {
            continue;
        }
        let c_lower = c.to_lowercase();
        // 0: same but for case; 1: the user typed the start of it (at least 3 characters);
        // 2: a near miss.
        let rank = if c_lower == lower {
            (0, 0)
        } else if word_len >= 3 && c_lower.starts_with(&lower) {
            (1, c.len().saturating_sub(word.len()))
        } else {
            let d = strsim::osa_distance(&lower, &c_lower);
            if d > (c.chars().count() / 3).max(2) {
                continue;
            }
            (2, d)
        };
        if best.is_none_or(|(r, d, _)| rank < (r, d)) {
            best = Some((rank.0, rank.1, c));
        }
    }
    best.map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["pools.failed", "pools.target", "edition"];
        assert_eq!(closest("pools.faild", keys), Some("pools.failed"));
        assert_eq!(closest("editoin", keys), Some("edition"));
        assert_eq!(closest("zzzzzz", keys), None);
    }

    #[test]
    fn a_name_begun_is_completed() {
        let runbooks = ["backend-restore", "cms-move", "cms-restore", "rgs-restore"];
        assert_eq!(closest("backend", runbooks), Some("backend-restore"));
        assert_eq!(closest("cms", runbooks), Some("cms-move"));
        assert_eq!(closest("RGS-Restore", runbooks), Some("rgs-restore"));
        // Two letters begin too many names to be a guess.
        assert_eq!(closest("rg", runbooks), None);
    }

    #[test]
    fn a_word_is_never_its_own_suggestion() {
        assert_eq!(closest("sql.backend.server", ["sql.backend.server"]), None);
    }

    #[test]
    fn a_huge_word_costs_nothing() {
        let huge = "x".repeat(1_000_000);
        assert_eq!(closest(&huge, ["edition"]), None);
    }
}
