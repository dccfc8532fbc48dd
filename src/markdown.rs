//! Text from outside (an operator's note, evidence, a file name, a step title from a custom
//! runbook, a command's output) placed into Markdown so that it stays text: it can neither end
//! the construct it sits in (a table cell, a list item, a code fence) nor add a heading, a link
//! or an image. CommonMark 0.31: any ASCII punctuation may be backslash-escaped (section 2.4);
//! a code span ends at a backtick run of the same length as the one that opened it (6.1); a
//! fenced block ends at a fence at least as long as its opening one (4.5).

/// The characters that start or end an inline construct, or a table cell (`|`). A newline would
/// start a new block (a heading, a list item), so it becomes a space.
const INLINE_SPECIAL: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '!', '#'];

/// One line of plain text, e.g. a note in a table cell: every Markdown character escaped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            c if INLINE_SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// An inline code span holding `s` verbatim, on one line (an identifier, a path): delimited by
/// a backtick run longer than any inside it.
pub fn code(s: &str) -> String {
    let one_line = s.replace(['\r', '\n'], " ");
    let ticks = "`".repeat(longest_backtick_run(&one_line) + 1);
    // A span that starts or ends with a backtick needs a space inside its delimiters.
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{one_line}{pad}{ticks}")
}

/// The fence for a code block holding `s`: longer than any backtick run inside it, at least 3.
pub fn fence(s: &str) -> String {
    "`".repeat((longest_backtick_run(s) + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_open_a_construct() {
        assert_eq!(
            text("done | [ok](http://x) ![i](y) <b>\n# Result: ready"),
            r"done \| \[ok\](http://x) \!\[i\](y) \<b\> \# Result: ready"
        );
        assert_eq!(text("pool01.contoso.com"), "pool01.contoso.com");
    }

    #[test]
    fn code_spans_and_fences_outlast_their_content() {
        assert_eq!(code("rtc.bak"), "`rtc.bak`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("````\nx"), "`````");
    }
}
