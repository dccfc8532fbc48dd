//! Word wrapping, one rule for every text lyncdr lays out (the plan on the terminal, the bundle's
//! README and comments, the backup script's notes): words fill a line up to `width` columns,
//! and a word longer than that stands alone on its line, whole (a path or a URL is never cut).

/// The words of `text` (split at whitespace) in lines of at most `width` bytes.
pub fn words(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_lines_and_keeps_long_words_whole() {
        assert_eq!(words("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(
            words(r"see \\fs01\share\a-very-long-path now", 10),
            ["see", r"\\fs01\share\a-very-long-path", "now"]
        );
        assert!(words("  \n ", 10).is_empty());
    }
}
