//! The history as one self-contained HTML page in the style of the scan's report
//! ([`crate::report::html`]: its style sheet and escaping): per target an SVG line chart of the
//! score across the charted commits (the jumps marked, every point with a tooltip), the jumps
//! with the libraries that moved, and a table of every commit. No script at all: the
//! Content-Security-Policy allows the one style sheet and nothing else. Everything from the
//! repository goes through [`esc`]; the page is a pure function of the series.

use super::Series;
use super::markdown::{describe, moved_libraries, signed};
use super::series::{Move, Point, jumps};
use crate::gate::format_delta;
use crate::portability::Target;
use crate::provenance::{SHORT_COMMIT, utc_date};
use crate::report::html::page::{STYLE, csp_hash, esc};
use crate::report::markdown::target_name;
use crate::score::format_score;
use std::fmt::Write as _;

/// What the history page adds to the report's style sheet.
const HISTORY_STYLE: &str = "
.trend { margin: 0 0 18px; }
.trend h3 { font-size: 15px; margin: 0 0 4px; }
.trend svg { width: 100%; height: auto; display: block; }
svg .grid { stroke: #e9ecf1; stroke-width: 1; }
svg .axis { stroke: var(--line); stroke-width: 1; }
svg .area { fill: var(--automatic); opacity: 0.08; }
svg .line { fill: none; stroke: var(--automatic); stroke-width: 2; stroke-linejoin: round; }
svg .pt { fill: var(--card); stroke: var(--automatic); stroke-width: 1.5; }
svg .pt.fell { fill: var(--rewrite); stroke: var(--rewrite); }
svg .pt.rose { fill: var(--none); stroke: var(--none); }
.fell { color: var(--rewrite); font-weight: 600; }
.rose { color: var(--none); font-weight: 600; }
.legend .l-fell { --swatch: var(--rewrite); } .legend .l-rose { --swatch: var(--none); }
.legend .l-line { --swatch: var(--automatic); }
td.date { white-space: nowrap; }
";

/// The chart's drawing area, in SVG user units.
const WIDTH: f64 = 1200.0;
const HEIGHT: f64 = 230.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;
/// Dates written under a chart's x axis, at most.
const X_LABELS: usize = 8;
/// Libraries named per commit in the table.
const ROW_LIBRARIES: usize = 3;

pub fn render(series: &Series) -> String {
    let style = format!("{STYLE}{HISTORY_STYLE}");
    let mut h = String::with_capacity(32 * 1024 + series.points.len() * 2048);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"cuda-audit {}\">\n\
<title>cuda-audit: CUDA coupling over time in {}</title>\n<style>{style}</style>\n</head>\n<body>\n<main>\n",
        csp_hash(&style),
        env!("CARGO_PKG_VERSION"),
        esc(&series.name)
    );
    header(&mut h, series);
    if !series.points.is_empty() {
        charts(&mut h, series);
        jumps_section(&mut h, series);
        commits_table(&mut h, series);
    }
    let _ = writeln!(
        h,
        "<footer>cuda-audit {} · scores: <code>cuda-audit explain --scoring</code></footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", esc(s))
}

fn short(id: &str) -> &str {
    id.get(..SHORT_COMMIT).unwrap_or(id)
}

fn header(h: &mut String, series: &Series) {
    let branch = series
        .branch
        .as_deref()
        .map(|b| format!(" on {}", code(b)))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<header>\n<h1>CUDA coupling over time</h1>\n<p class=\"source\" id=\"source\">{}{branch}</p>\n<p class=\"meta\">{}</p>",
        code(&series.name),
        describe(series, code)
    );
    h.push_str(
        "<p class=\"hint\">One point per commit, oldest on the left. The portability score is 100 when there is \
nothing to port and falls as effort points grow: a falling line is coupling added. Commits where a score \
moved most are marked, <span class=\"fell\">red</span> where it fell and <span class=\"rose\">green</span> \
where it rose; hover over a point for its commit.</p>\n</header>\n",
    );
    if series.points.is_empty() {
        h.push_str("<section><p>No commit to chart.</p></section>\n");
    }
}

fn charts(h: &mut String, series: &Series) {
    let moves = jumps(&series.points);
    h.push_str("<section id=\"trend\">\n<h2>Portability score per commit</h2>\n");
    for &t in &series.targets {
        let (first, last) = (&series.points[0], &series.points[series.points.len() - 1]);
        let change = ((last.score(t) - first.score(t)) * 10.0).round() / 10.0;
        let _ = writeln!(
            h,
            "<div class=\"trend\"><h3>{} <span class=\"meta\">{} → {} ({})</span></h3>",
            target_name(t),
            format_score(first.score(t)),
            format_score(last.score(t)),
            format_delta(change)
        );
        chart(h, &series.points, t, &moves);
        h.push_str("</div>\n");
    }
    h.push_str(
        "<div class=\"legend\"><span class=\"l-line\">score</span><span class=\"l-fell\">score fell (coupling added)</span>\
<span class=\"l-rose\">score rose (coupling removed)</span></div>\n</section>\n",
    );
}

/// The y axis: from `lo` to `hi` in steps of `step`, a few points around the scores.
fn y_range(points: &[Point], t: Target) -> (f64, f64, f64) {
    let (min, max) = points
        .iter()
        .map(|p| p.score(t))
        .fold((100.0f64, 0.0f64), |(a, b), s| (a.min(s), b.max(s)));
    let mut lo = ((min - 2.0) / 10.0).floor() * 10.0;
    let mut hi = ((max + 2.0) / 10.0).ceil() * 10.0;
    lo = lo.max(0.0);
    hi = hi.min(100.0);
    if hi - lo < 10.0 {
        if hi >= 100.0 {
            lo = hi - 10.0;
        } else {
            hi = lo + 10.0;
        }
    }
    let span = hi - lo;
    let step = [2.0, 5.0, 10.0, 20.0, 25.0]
        .into_iter()
        .find(|s| span / s <= 6.0)
        .unwrap_or(25.0);
    (lo, hi, step)
}

/// One target's line chart.
fn chart(h: &mut String, points: &[Point], t: Target, moves: &[Move]) {
    let (lo, hi, step) = y_range(points, t);
    let n = points.len();
    let x = |i: usize| {
        if n == 1 {
            (LEFT + WIDTH - RIGHT) / 2.0
        } else {
            LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |score: f64| TOP + (HEIGHT - TOP - BOTTOM) * (hi - score) / (hi - lo);
    let name = target_name(t);
    let _ = writeln!(
        h,
        "<svg id=\"chart-{}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{name} score per commit\">",
        t.as_str()
    );
    let mut tick = lo;
    while tick <= hi + 1e-9 {
        let ty = y(tick);
        let _ = writeln!(
            h,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\"/>\
<text class=\"small\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{tick:.0}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            ty + 4.0,
        );
        tick += step;
    }
    let base = HEIGHT - BOTTOM;
    let _ = writeln!(
        h,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\"/>",
        WIDTH - RIGHT
    );
    for i in x_labels(n) {
        // The first and last dates stay inside the drawing.
        let anchor = match i {
            0 if n > 1 => "start",
            i if i + 1 == n && n > 1 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            h,
            "<text class=\"small\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            x(i),
            base + 18.0,
            utc_date(points[i].commit.time)
        );
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.score(t))))
        .collect();
    if n > 1 {
        let _ = writeln!(
            h,
            "<polygon class=\"area\" points=\"{:.1},{base} {} {:.1},{base}\"/>\n<polyline class=\"line\" points=\"{}\"/>",
            x(0),
            line.join(" "),
            x(n - 1),
            line.join(" ")
        );
    }
    for (i, p) in points.iter().enumerate() {
        let delta = i.checked_sub(1).map(|j| p.score(t) - points[j].score(t));
        let marked = moves.iter().find(|m| m.index == i).and_then(|m| {
            let d = m.deltas.iter().find(|(mt, _)| *mt == t)?.1;
            (d != 0.0).then_some(if d < 0.0 { " fell" } else { " rose" })
        });
        let change = delta.map_or_else(String::new, |d| {
            format!(" ({})", format_delta((d * 10.0).round() / 10.0))
        });
        let _ = writeln!(
            h,
            "<circle class=\"pt{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\"><title>{} · {} · {name} {}{change}\n{}</title></circle>",
            marked.unwrap_or(""),
            x(i),
            y(p.score(t)),
            if marked.is_some() { 5 } else { 3 },
            short(&p.commit.id),
            utc_date(p.commit.time),
            format_score(p.score(t)),
            esc(&p.commit.subject)
        );
    }
    h.push_str("</svg>\n");
}

/// Which points get a date under the axis: the first, the last and evenly between, at most
/// [`X_LABELS`].
fn x_labels(n: usize) -> Vec<usize> {
    let k = X_LABELS.min(n);
    let mut idx: Vec<usize> = (0..k)
        .map(|j| {
            if k == 1 {
                0
            } else {
                (j * (n - 1) + (k - 1) / 2) / (k - 1)
            }
        })
        .collect();
    idx.dedup();
    idx
}

/// A score change, coloured: red when the score fell (coupling added), green when it rose.
fn delta_cell(d: f64) -> String {
    let class = if d < 0.0 {
        " fell"
    } else if d > 0.0 {
        " rose"
    } else {
        ""
    };
    format!("<td class=\"num{class}\">{}</td>", format_delta(d))
}

fn jumps_section(h: &mut String, series: &Series) {
    if series.points.len() < 2 {
        return;
    }
    h.push_str("<section id=\"jumps\">\n<h2>Where coupling jumped</h2>\n");
    let moves = jumps(&series.points);
    if moves.is_empty() {
        h.push_str("<p>Nothing moved between the charted commits.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"hint\">Score changes of {} points or more (or else the largest moves), and the libraries whose finding counts moved.</p>",
        super::series::JUMP
    );
    h.push_str(
        "<div class=\"wide\"><table id=\"jump-table\">\n<thead><tr><th>commit</th><th>date</th>",
    );
    for &t in &series.targets {
        let _ = write!(h, "<th class=\"num\">{}</th>", target_name(t));
    }
    h.push_str("<th>libraries that moved</th><th>subject</th></tr></thead>\n<tbody>\n");
    for m in &moves {
        let p = &series.points[m.index];
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"date\">{}</td>",
            code(short(&p.commit.id)),
            utc_date(p.commit.time)
        );
        for (_, d) in &m.deltas {
            h.push_str(&delta_cell(*d));
        }
        let _ = writeln!(
            h,
            "<td>{}</td><td>{}</td></tr>",
            moved_libraries(m, code),
            esc(&p.commit.subject)
        );
    }
    h.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn commits_table(h: &mut String, series: &Series) {
    h.push_str("<section id=\"commits\">\n<h2>Every charted commit</h2>\n<div class=\"wide\"><table id=\"commit-table\">\n<thead><tr><th>commit</th><th>date</th>");
    for &t in &series.targets {
        let _ = write!(
            h,
            "<th class=\"num\">{}</th><th class=\"num\">Δ</th>",
            target_name(t)
        );
    }
    h.push_str("<th class=\"num\">findings</th><th class=\"num\">Δ</th><th>top libraries</th></tr></thead>\n<tbody>\n");
    for (i, p) in series.points.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| &series.points[j]);
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"date\">{}</td>",
            code(short(&p.commit.id)),
            utc_date(p.commit.time)
        );
        for &t in &series.targets {
            let _ = write!(h, "<td class=\"num\">{}</td>", format_score(p.score(t)));
            match before {
                Some(b) => h.push_str(&delta_cell(
                    ((p.score(t) - b.score(t)) * 10.0).round() / 10.0,
                )),
                None => h.push_str("<td></td>"),
            }
        }
        let delta = before.map_or_else(String::new, |b| {
            signed(p.findings as i64 - b.findings as i64)
        });
        let libraries: Vec<String> = p
            .top_libraries(ROW_LIBRARIES)
            .iter()
            .map(|(l, n)| format!("{} {n}", code(l)))
            .collect();
        let _ = writeln!(
            h,
            "<td class=\"num\">{}</td><td class=\"num\">{delta}</td><td>{}</td></tr>",
            p.findings,
            libraries.join(", ")
        );
    }
    h.push_str("</tbody>\n</table></div>\n</section>\n");
}
