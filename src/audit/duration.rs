//! Ages and maximum ages as people write them: `7d`, `9d 2h`, `36h`, `90m`.
//! (Parsing is `env::value::parse_duration`, jiff's friendly format, shared with the environment
//! file; what this writes reads back through it.)

use std::time::Duration;

/// The largest unit and the next one if it is not zero, rounded down: `9d 2h`, `1d 12h`, `1h 30m`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let Some(i) = units.iter().position(|(size, _)| secs >= *size) else {
        return "0s".into();
    };
    let (size, name) = units[i];
    let mut text = format!("{}{name}", secs / size);
    if let Some((next, next_name)) = units.get(i + 1) {
        let n = secs % size / next;
        if n > 0 {
            text.push_str(&format!(" {n}{next_name}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for (secs, text) in [
            (7 * 86_400, "7d"),
            (9 * 86_400 + 7200 + 59, "9d 2h"),
            (36 * 3600, "1d 12h"),
            (86_400 + 30 * 60, "1d"),
            (90 * 60, "1h 30m"),
            (45, "45s"),
            (0, "0s"),
        ] {
            assert_eq!(format_duration(Duration::from_secs(secs)), text, "{secs}");
        }
    }
}
