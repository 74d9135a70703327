//! pip requirements and constraints files, and the requirement strings every other Python
//! manifest holds (pyproject, setup.cfg, Pipfile, conda's `pip:` list, `pip install` arguments).
//!
//! A requirements file is read the way pip reads it: lines ending with `\` are joined, `#` at the
//! start of a line or after whitespace starts a comment, options (`-r`, `-c`, `-e`, `-i`,
//! `--extra-index-url`, `-f`/`--find-links`, per-requirement `--hash`) are told apart from
//! requirements, and each requirement goes through the PEP 508 parser.

use super::pep508::{self, normalize};
use super::{Mapped, Out, is_url, url_key};

pub(crate) fn extract(text: &str, out: &mut Out) {
    let mut logical = Mapped::default();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some(cont) = body.strip_suffix('\\') {
            logical.push_str(cont, start);
            continue;
        }
        logical.push_str(body, start);
        requirements_line(&strip_comment(&logical), out);
        logical = Mapped::default();
    }
    if !logical.text.is_empty() {
        requirements_line(&strip_comment(&logical), out);
    }
}

/// Drops a `#` comment that starts a line or follows whitespace.
pub(crate) fn strip_comment(m: &Mapped) -> Mapped {
    let b = m.text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return m.slice(0..i);
        }
    }
    m.clone()
}

/// Whitespace-separated words of a mapped string.
pub(crate) fn words(m: &Mapped) -> Vec<Mapped> {
    let b = m.text.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let s = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > s {
            words.push(m.slice(s..i));
        }
    }
    words
}

/// Options that name a package index or a page of links.
pub(crate) fn is_index_option(opt: &str) -> bool {
    matches!(
        opt,
        "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links"
    )
}

/// One logical line of a requirements file (comment already removed).
pub(crate) fn requirements_line(line: &Mapped, out: &mut Out) {
    let line = line.trimmed();
    if line.text.is_empty() {
        return;
    }
    let words = words(&line);
    let first = &words[0].text;
    if first.starts_with('-') {
        let (opt, inline) = match first.split_once('=') {
            Some((o, v)) if first.starts_with("--") => (o, Some(v)),
            _ => (first.as_str(), None),
        };
        // `-ihttps://…`, `-fhttps://…`: a short option glued to its value (an ASCII letter: a
        // multi-byte character after the `-` is no option, and must not be cut in two).
        let (opt, glued) = match opt {
            o if o.len() > 2 && !o.starts_with("--") && o.is_char_boundary(2) => (&o[..2], Some(2)),
            o => (o, None),
        };
        let value = if let Some(v) = inline {
            let start = first.len() - v.len();
            Some(words[0].slice(start..first.len()))
        } else if let Some(at) = glued {
            Some(words[0].slice(at..first.len()))
        } else {
            words.get(1).cloned()
        };
        let Some(value) = value else { return };
        if is_index_option(opt) {
            index_url(&value, out);
        } else if matches!(opt, "-e" | "--editable") && is_url(&value.text) {
            requirement(&value, out, None);
        }
        return;
    }
    // Per-requirement options (`--hash=…`, `--config-settings …`) follow the requirement.
    let end = words
        .iter()
        .skip(1)
        .find(|w| w.text.starts_with('-'))
        .map(|w| line_index(&line, w))
        .unwrap_or(line.text.len());
    requirement(&line.slice(0..end).trimmed(), out, None);
}

fn line_index(line: &Mapped, word: &Mapped) -> usize {
    let target = word.offset(0);
    (0..line.text.len())
        .find(|&i| line.offset(i) == target)
        .unwrap_or(line.text.len())
}

/// A package index or find-links URL.
pub(crate) fn index_url(value: &Mapped, out: &mut Out) {
    let text = value.text.trim_matches(['"', '\'']);
    if !is_url(text) {
        return;
    }
    if let Some(key) = url_key(text) {
        out.entry(text, value.span(0..value.text.len()), vec![key]);
    }
}

/// One requirement: a PEP 508 string, or a direct URL or wheel path. `index` is the key of the
/// package index the requirement is pinned to, if any (a Pipfile `index`, a Poetry `source`).
pub(crate) fn requirement(m: &Mapped, out: &mut Out, index: Option<&str>) {
    let text = m.text.as_str();
    if text.is_empty() {
        return;
    }
    let full = m.span(0..text.len());
    if is_url(text) || text.ends_with(".whl") {
        let Some((name, local)) = pep508::name_from_url(text) else {
            if let Some(key) = is_url(text).then(|| url_key(text)).flatten() {
                out.entry(text, full, vec![key]);
            }
            return;
        };
        let mut keys = package_keys(&name, &[], local.as_deref());
        keys.extend(is_url(text).then(|| url_key(text)).flatten());
        keys.extend(index.map(str::to_string));
        out.entry(text, full, keys);
        return;
    }
    let Some(req) = pep508::parse(text) else {
        return;
    };
    let name = normalize(&text[req.name.clone()]);
    let extras: Vec<String> = req
        .extras
        .iter()
        .map(|e| normalize(&text[e.clone()]))
        .collect();
    let mut local = req.local.clone();
    let mut url = None;
    if let Some(u) = &req.url {
        let u = &text[u.clone()];
        if local.is_none() {
            local = pep508::name_from_url(u).and_then(|(_, l)| l);
        }
        url = url_key(u);
    }
    let mut keys = package_keys(&name, &extras, local.as_deref());
    keys.extend(url);
    keys.extend(index.map(str::to_string));
    let written = text[..req.end].trim_end();
    out.entry(written, m.span(0..written.len()), keys);
}

/// The keys of a Python package: each extra, then the local version label, then the name.
pub(crate) fn package_keys(name: &str, extras: &[String], local: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = extras.iter().map(|e| format!("pip:{name}[{e}]")).collect();
    if let Some(local) = local {
        keys.push(format!("pip:{name}+{local}"));
    }
    keys.push(format!("pip:{name}"));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    fn facts(text: &str) -> Vec<(String, Vec<String>, String)> {
        let mut out = Out::default();
        extract(text, &mut out);
        out.facts
            .into_iter()
            .map(|f| {
                let FactKind::Keys(keys) = f.kind else {
                    unreachable!()
                };
                (f.text, keys, text[f.span].to_string())
            })
            .collect()
    }

    #[test]
    fn lines_options_comments_and_continuations() {
        let text = "# cupy-cuda12x in a comment\n\
            --extra-index-url https://download.pytorch.org/whl/cu121\n\
            torch==2.1.0+cu121 \\\n    --hash=sha256:abc\n\
            numpy>=1.24  # portable\n\
            -r other.txt\n\
            jax[cuda12]==0.4.30 ; sys_platform == 'linux'\n\
            -f https://storage.googleapis.com/jax-releases/jax_cuda_releases.html\n";
        let f = facts(text);
        let texts: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            texts,
            [
                "https://download.pytorch.org/whl/cu121",
                "torch==2.1.0+cu121",
                "numpy>=1.24",
                "jax[cuda12]==0.4.30",
                "https://storage.googleapis.com/jax-releases/jax_cuda_releases.html"
            ]
        );
        assert_eq!(f[1].1, ["pip:torch+cu121", "pip:torch"]);
        assert_eq!(f[1].2, "torch==2.1.0+cu121");
        assert_eq!(f[3].1, ["pip:jax[cuda12]", "pip:jax"]);
    }

    #[test]
    fn wheel_urls_and_editables() {
        let f = facts(
            "https://download.pytorch.org/whl/cu118/torch-2.0.0%2Bcu118-cp310-cp310-linux_x86_64.whl\n-e git+https://github.com/NVIDIA/apex.git#egg=apex\n./local/pkg\n",
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].1[0], "pip:torch+cu118");
        assert_eq!(f[1].1[0], "pip:apex");
    }
}
