//! The part of a finding's source line a report shows: long lines (minified code) are windowed
//! around the finding's span, so one huge line cannot make every diagnostic or row huge; tabs are
//! expanded to four spaces. One implementation for every reporter that shows source.

/// A window of a line, split around the span, in characters.
#[derive(Debug, PartialEq, Eq)]
pub struct Window {
    pub before: String,
    pub span: String,
    pub after: String,
    /// Text was cut before the window (show `…`).
    pub cut_start: bool,
    /// Text was cut after the window (show `…`).
    pub cut_end: bool,
    /// Where the window ends in the line (characters, exclusive).
    pub to: usize,
}

impl Window {
    /// `line` shown in at most `max` characters, starting `lead` characters before the span
    /// `[start, end)` (character offsets, clamped to the line) when the line is longer than `max`.
    pub fn around(line: &str, start: usize, end: usize, max: usize, lead: usize) -> Window {
        let chars: Vec<char> = line.chars().collect();
        let start = start.min(chars.len());
        let end = end.clamp(start, chars.len());
        let (from, to) = if chars.len() > max {
            let from = start.saturating_sub(lead);
            (from, (from + max).min(chars.len()))
        } else {
            (0, chars.len())
        };
        let text = |a: usize, b: usize| -> String {
            let a = a.clamp(from, to);
            let b = b.clamp(a, to);
            chars[a..b].iter().collect::<String>().replace('\t', "    ")
        };
        Window {
            before: text(from, start),
            span: text(start, end),
            after: text(end, to),
            cut_start: from > 0,
            cut_end: to < chars.len(),
            to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn short_lines_are_whole_and_long_lines_windowed() {
        let w = Window::around("\tcudaMalloc(x);", 1, 11, 120, 40);
        assert_eq!((w.before.as_str(), w.span.as_str()), ("    ", "cudaMalloc"));
        assert!(!w.cut_start && !w.cut_end);
        let long = format!("{}cudaMalloc{}", "x".repeat(200), "y".repeat(200));
        let w = Window::around(&long, 200, 210, 120, 40);
        assert!(w.cut_start && w.cut_end);
        assert_eq!(w.before.len(), 40);
        assert_eq!(w.span, "cudaMalloc");
        assert_eq!(w.before.len() + w.span.len() + w.after.len(), 120);
    }
}
