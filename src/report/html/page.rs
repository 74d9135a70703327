//! The parts every HTML page of cuda-audit shares: the head with its Content-Security-Policy, the
//! stylesheet and script, escaping, gauges, stacked bars and the effort legend. The scan's report
//! ([`super`]) and `cuda-audit merge`'s organisation page are built from them, so they look alike
//! and are safe alike.

use crate::portability::{Effort, Target};
use crate::score::format_score;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

pub const STYLE: &str = include_str!("style.css");
pub const SCRIPT: &str = include_str!("script.js");

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // NUL and other C0 controls (but tab and newline) are not allowed in HTML text.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `sha256-…` of a text, for the Content-Security-Policy.
pub fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The page's `<head>`: the Content-Security-Policy (the one style and the one script, by hash),
/// the stylesheet, and `title` (escaped here).
pub fn head(h: &mut String, title: &str) {
    head_styled(h, title, STYLE);
}

/// [`head`] with another style sheet: the report's [`STYLE`] with a page's own rules after it.
pub fn head_styled(h: &mut String, title: &str, style: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; script-src {}; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"cuda-audit {}\">\n\
<title>{}</title>\n<style>{style}</style>\n</head>\n",
        csp_hash(style),
        csp_hash(SCRIPT),
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
}

/// The end of the page: the footer, the script, and the closing tags.
pub fn foot(h: &mut String) {
    let _ = writeln!(
        h,
        "<footer>cuda-audit {} · scores: <code>cuda-audit explain --scoring</code></footer>",
        env!("CARGO_PKG_VERSION")
    );
    end(h);
}

/// The script and the closing tags, after a page's own footer.
pub fn end(h: &mut String) {
    let _ = writeln!(h, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>");
}

pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The colour band of a score: green from 80, amber from 40, red below.
pub fn band(score: f64) -> &'static str {
    if score >= 80.0 {
        "band-high"
    } else if score >= 40.0 {
        "band-mid"
    } else {
        "band-low"
    }
}

/// A score as a ring gauge: the arc is the score's share of the circle, coloured by [`band`].
pub fn gauge(h: &mut String, id: &str, label: &str, score: f64) {
    // A ring of radius 34: circumference 213.6.
    let circumference = 2.0 * std::f64::consts::PI * 34.0;
    let arc = circumference * score / 100.0;
    let _ = write!(
        h,
        "<svg class=\"gauge {band}\" id=\"{id}\" width=\"88\" height=\"88\" viewBox=\"0 0 88 88\" role=\"img\" aria-label=\"{label} score {score}\">\
<circle class=\"track\" cx=\"44\" cy=\"44\" r=\"34\"/>\
<circle class=\"value\" cx=\"44\" cy=\"44\" r=\"34\" stroke-dasharray=\"{arc:.1} {circumference:.1}\" transform=\"rotate(-90 44 44)\"/>\
<text x=\"44\" y=\"52\" text-anchor=\"middle\">{score}</text></svg>",
        band = band(score),
        id = esc(id),
        label = esc(label),
        score = format_score(score),
    );
}

/// The colour key of the effort classes.
pub fn legend(h: &mut String) {
    h.push_str("<div class=\"legend\">");
    for e in Effort::ALL {
        let _ = write!(h, "<span class=\"l-{e}\">{e}</span>");
    }
    h.push_str("</div>\n");
}

/// Appends the rectangles of one stacked bar: `counts` per effort class over `x..x+width`,
/// scaled so that `total` fills the width. Segments wide enough get their count written in.
pub fn stacked_bar(
    h: &mut String,
    counts: &[usize; 4],
    total: usize,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
) {
    let _ = write!(
        h,
        "<rect class=\"empty\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" rx=\"3\"/>"
    );
    if total == 0 {
        return;
    }
    let mut at = x;
    for e in Effort::ALL {
        let n = counts[e.index()];
        if n == 0 {
            continue;
        }
        let w = width * n as f64 / total as f64;
        let _ = write!(
            h,
            "<rect class=\"e-{e}\" x=\"{at:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{height:.1}\"><title>{e}: {n}</title></rect>"
        );
        if w >= 28.0 && height >= 14.0 {
            let _ = write!(
                h,
                "<text class=\"inbar\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{n}</text>",
                at + w / 2.0,
                y + height / 2.0 + 4.0
            );
        }
        at += w;
    }
}

/// A number as a sort key: zero-padded, so string order is numeric order.
pub fn key(n: u64) -> String {
    format!("{n:020}")
}

/// How many libraries a target's list of blockers shows.
pub const BLOCKER_LIBRARIES: usize = 8;
/// How many names each blocking library shows.
pub const BLOCKER_NAMES: usize = 4;

/// One library in a list of blockers, rendered: its name, what follows it (HTML), and its first
/// names (at most [`BLOCKER_NAMES`], HTML) out of `names` in all.
pub struct BlockerLine {
    pub library: String,
    pub facts: String,
    pub shown: Vec<String>,
    pub names: usize,
}

/// The "Top blockers" section (`heading`, `hint`): per target, its costliest libraries (at most
/// [`BLOCKER_LIBRARIES`]), each as `line` renders it. The report and the organisation's page
/// share it.
pub fn blockers<L>(
    h: &mut String,
    heading: &str,
    hint: &str,
    per_target: &[(Target, Vec<L>)],
    line: impl Fn(&L) -> BlockerLine,
) {
    let _ = write!(
        h,
        "<section id=\"blockers\">\n<h2>{heading}</h2>\n<p class=\"hint\">{hint}</p>\n<div class=\"blockers\">\n"
    );
    for (t, libs) in per_target {
        let _ = writeln!(
            h,
            "<div id=\"blockers-{}\"><h3>{}</h3>",
            t.as_str(),
            crate::report::markdown::target_name(*t)
        );
        if libs.is_empty() {
            h.push_str("<p class=\"hint\">Nothing needs a rewrite.</p></div>\n");
            continue;
        }
        h.push_str("<ol>");
        for lib in libs.iter().take(BLOCKER_LIBRARIES) {
            let line = line(lib);
            let _ = write!(
                h,
                "<li><b><code>{}</code></b> — {}<br>{}",
                esc(&line.library),
                line.facts,
                line.shown.join(", ")
            );
            if line.names > BLOCKER_NAMES {
                let _ = write!(h, ", … {} more", line.names - BLOCKER_NAMES);
            }
            h.push_str("</li>");
        }
        h.push_str("</ol>");
        if libs.len() > BLOCKER_LIBRARIES {
            let _ = write!(
                h,
                "<p class=\"hint\">… and {} more libraries.</p>",
                libs.len() - BLOCKER_LIBRARIES
            );
        }
        h.push_str("</div>\n");
    }
    h.push_str("</div>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
