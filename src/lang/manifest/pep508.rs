//! A hand parser for PEP 508 requirement strings (`name[extra,…] (op version,…|@ url) ; marker`),
//! PEP 503 name normalisation, and the parts of wheel file names that matter here.
//!
//! Only what cuda-audit needs is kept: the name, the extras, a local version label pinned with
//! `==`/`===` (`+cu121`), and a direct URL. Everything is reported as byte ranges of the input.

use std::ops::Range;

/// A parsed requirement; ranges are byte ranges of the parsed string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub name: Range<usize>,
    pub extras: Vec<Range<usize>>,
    /// The local version label of an `==`/`===` pin (`cu121` in `torch==2.1.0+cu121`).
    pub local: Option<String>,
    /// A direct reference (`name @ https://…`).
    pub url: Option<Range<usize>>,
    /// Where the requirement ends (before any marker).
    pub end: usize,
}

/// PEP 503: lowercase, and runs of `-`, `_`, `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
}

/// Parses one requirement. `None` when the string does not start with a valid name.
pub fn parse(s: &str) -> Option<Requirement> {
    let b = s.as_bytes();
    let mut i = skip_ws(b, 0);
    let start = i;
    if i >= b.len() || !b[i].is_ascii_alphanumeric() {
        return None;
    }
    while i < b.len() && is_name_char(b[i]) {
        i += 1;
    }
    // A name ends with a letter or digit.
    let mut name_end = i;
    while name_end > start && !b[name_end - 1].is_ascii_alphanumeric() {
        name_end -= 1;
    }
    let mut req = Requirement {
        name: start..name_end,
        extras: Vec::new(),
        local: None,
        url: None,
        end: i,
    };
    i = skip_ws(b, i);
    if i < b.len() && b[i] == b'[' {
        i += 1;
        loop {
            i = skip_ws(b, i);
            let e = i;
            while i < b.len() && is_name_char(b[i]) {
                i += 1;
            }
            if i > e {
                req.extras.push(e..i);
            }
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => return Some(req),
            }
        }
        req.end = i;
        i = skip_ws(b, i);
    }
    if i < b.len() && b[i] == b'@' {
        i = skip_ws(b, i + 1);
        let u = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b';' {
            i += 1;
        }
        if i > u {
            req.url = Some(u..i);
        }
        req.end = i;
        return Some(req);
    }
    let paren = i < b.len() && b[i] == b'(';
    if paren {
        i += 1;
    }
    // version_many: (op version) (',' op version)*
    loop {
        i = skip_ws(b, i);
        let op_start = i;
        while i < b.len() && matches!(b[i], b'<' | b'>' | b'=' | b'!' | b'~') {
            i += 1;
        }
        if i == op_start {
            break;
        }
        let op = &s[op_start..i];
        i = skip_ws(b, i);
        let v = i;
        while i < b.len()
            && !b[i].is_ascii_whitespace()
            && !matches!(b[i], b',' | b';' | b')' | b'#')
        {
            i += 1;
        }
        let version = &s[v..i];
        if matches!(op, "==" | "===") {
            if let Some((_, local)) = version.split_once('+') {
                if !local.is_empty() && req.local.is_none() {
                    req.local = Some(local.to_ascii_lowercase());
                }
            }
        }
        req.end = i;
        i = skip_ws(b, i);
        if i < b.len() && b[i] == b',' {
            i += 1;
        } else {
            break;
        }
    }
    if paren && i < b.len() && b[i] == b')' {
        req.end = i + 1;
    }
    Some(req)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// The distribution name and local version label of a wheel or sdist URL or file name
/// (`…/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl` → `torch`, `cu121`), or the
/// `#egg=name` of a VCS URL.
pub fn name_from_url(url: &str) -> Option<(String, Option<String>)> {
    if let Some((_, frag)) = url.split_once('#') {
        for part in frag.split('&') {
            if let Some(egg) = part.strip_prefix("egg=") {
                let name_end = egg
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                    .unwrap_or(egg.len());
                if name_end > 0 {
                    return Some((normalize(&egg[..name_end]), None));
                }
            }
        }
    }
    let path = url.split(['?', '#']).next()?;
    let file = path.rsplit('/').next()?;
    let file = file.replace("%2B", "+").replace("%2b", "+");
    let stem = file
        .strip_suffix(".whl")
        .or_else(|| file.strip_suffix(".tar.gz"))
        .or_else(|| file.strip_suffix(".zip"))?;
    let (name, rest) = stem.split_once('-')?;
    if name.is_empty() {
        return None;
    }
    let version = rest.split('-').next().unwrap_or("");
    let local = version
        .split_once('+')
        .map(|(_, l)| l.to_ascii_lowercase())
        .filter(|l| !l.is_empty());
    Some((normalize(name), local))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(normalize("Flash_Attn"), "flash-attn");
        assert_eq!(normalize("nvidia.cudnn--cu12"), "nvidia-cudnn-cu12");
    }

    #[test]
    fn parses_names_extras_and_local_versions() {
        let s = "jax[cuda12, tpu]==0.4.30+cu121 ; python_version >= '3.9'";
        let r = parse(s).unwrap();
        assert_eq!(&s[r.name.clone()], "jax");
        let extras: Vec<&str> = r.extras.iter().map(|e| &s[e.clone()]).collect();
        assert_eq!(extras, ["cuda12", "tpu"]);
        assert_eq!(r.local.as_deref(), Some("cu121"));
        assert_eq!(&s[..r.end], "jax[cuda12, tpu]==0.4.30+cu121");
    }

    #[test]
    fn parses_urls_and_parenthesised_versions() {
        let s = "torch @ https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl";
        let r = parse(s).unwrap();
        assert_eq!(&s[r.name.clone()], "torch");
        let url = &s[r.url.clone().unwrap()];
        assert_eq!(
            name_from_url(url),
            Some(("torch".into(), Some("cu121".into())))
        );
        let r = parse("cupy-cuda12x (>=12.0, <14)").unwrap();
        assert_eq!(r.name, 0..12);
        assert!(parse("-e .").is_none());
        assert!(parse("./local").is_none());
    }

    #[test]
    fn egg_fragments() {
        assert_eq!(
            name_from_url("git+https://github.com/NVIDIA/apex#egg=apex&subdirectory=x"),
            Some(("apex".into(), None))
        );
    }
}
