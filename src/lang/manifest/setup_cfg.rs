//! `setup.cfg`: `install_requires`, `setup_requires`, `tests_require` in `[options]` and every
//! key of `[options.extras_require]`, read as INI the way setuptools' configparser reads it
//! (`#`/`;` comment lines, indented continuation lines, `key = value` or `key: value`).
//! `file:` and `attr:` directives are left alone.

use super::{Mapped, Out, requirements};

pub(crate) fn extract(text: &str, out: &mut Out) {
    let mut section = String::new();
    // The key whose (multi-line) value is being read, if it holds requirements.
    let mut reading = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indented = body.starts_with([' ', '\t']);
        if indented {
            if reading {
                let lead = body.len() - trimmed.len();
                value(&Mapped::verbatim(trimmed, start + lead), out);
            }
            continue;
        }
        reading = false;
        if let Some(name) = trimmed.strip_prefix('[') {
            section = name
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            continue;
        }
        let Some(sep) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = trimmed[..sep].trim().to_ascii_lowercase();
        let holds_requirements = match section.as_str() {
            "options" => matches!(
                key.as_str(),
                "install_requires" | "setup_requires" | "tests_require"
            ),
            "options.extras_require" => true,
            _ => false,
        };
        if !holds_requirements {
            continue;
        }
        let rest = &trimmed[sep + 1..];
        if rest.trim_start().starts_with("file:") || rest.trim_start().starts_with("attr:") {
            continue;
        }
        reading = true;
        let lead = body.len() - trimmed.len() + sep + 1;
        value(&Mapped::verbatim(rest, start + lead), out);
    }
}

/// One line of a requirements value: requirements separated by `;`-free lines (setuptools also
/// accepts a `;`-separated single line only for markers, so lines are the unit).
fn value(m: &Mapped, out: &mut Out) {
    let line = requirements::strip_comment(m).trimmed();
    if !line.text.is_empty() {
        requirements::requirement(&line, out, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_extras() {
        let text = "[metadata]\nname = x\ninstall_requires = not-this\n[options]\ninstall_requires =\n    numpy\n    cupy-cuda12x>=12  # gpu\n    ; comment\npython_requires = >=3.9\n[options.extras_require]\ngpu = nvidia-cudnn-cu12\n    pycuda\n";
        let mut out = Out::default();
        extract(text, &mut out);
        let written: Vec<&str> = out.facts.iter().map(|f| &text[f.span.clone()]).collect();
        assert_eq!(
            written,
            ["numpy", "cupy-cuda12x>=12", "nvidia-cudnn-cu12", "pycuda"]
        );
    }
}
