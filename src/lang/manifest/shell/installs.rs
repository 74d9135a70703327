//! Package installs on a command line: `pip install` (and `python -m pip`, `uv pip`), `conda`/
//! `mamba install` and the system package managers (`apt-get`, `yum`, `dnf`, `apk` …).

use super::tokenizer::Word;
use crate::lang::manifest::requirements::{self, is_index_option};
use crate::lang::manifest::{Out, conda, is_url};

pub(super) fn pip_install(args: &[Word], out: &mut Out) {
    let Some(sub) = args.first() else { return };
    if !matches!(sub.value.text.as_str(), "install" | "download" | "wheel") {
        return;
    }
    let mut i = 1;
    while i < args.len() {
        let w = &args[i];
        let v = w.value.text.as_str();
        if v.starts_with('-') {
            let value = option_value(args, &mut i, |opt| {
                is_index_option(opt)
                    || matches!(
                        opt,
                        "-r" | "--requirement"
                            | "-c"
                            | "--constraint"
                            | "-e"
                            | "--editable"
                            | "-t"
                            | "--target"
                            | "--prefix"
                            | "--root"
                            | "--src"
                            | "--platform"
                            | "--python-version"
                            | "--implementation"
                            | "--abi"
                            | "--progress-bar"
                            | "--upgrade-strategy"
                            | "-C"
                            | "--config-settings"
                            | "--global-option"
                            | "--no-binary"
                            | "--only-binary"
                            | "--trusted-host"
                            | "--cache-dir"
                            | "--log"
                            | "--proxy"
                            | "--timeout"
                            | "--retries"
                            | "--exists-action"
                            | "--cert"
                            | "--client-cert"
                            | "--python"
                            | "--report"
                            | "--root-user-action"
                            | "-d"
                            | "--dest"
                            | "-w"
                            | "--wheel-dir"
                    )
            });
            let opt = option_name(v);
            if let Some(value) = value {
                if is_index_option(opt) {
                    requirements::index_url(&value, out);
                } else if matches!(opt, "-e" | "--editable") && is_url(&value.text) {
                    requirements::requirement(&value, out, None);
                }
            }
        } else if !v.contains("$(") && !v.starts_with('.') && !v.starts_with('/') {
            requirements::requirement(&w.value.trimmed(), out, None);
        }
        i += 1;
    }
}

pub(super) fn conda_install(args: &[Word], out: &mut Out) {
    let Some(sub) = args.first() else { return };
    if !matches!(
        sub.value.text.as_str(),
        "install" | "create" | "update" | "upgrade"
    ) {
        return;
    }
    let mut i = 1;
    while i < args.len() {
        let w = &args[i];
        let v = w.value.text.as_str();
        if v.starts_with('-') {
            let value = option_value(args, &mut i, |opt| {
                matches!(
                    opt,
                    "-c" | "--channel"
                        | "-n"
                        | "--name"
                        | "-p"
                        | "--prefix"
                        | "--file"
                        | "--repodata-fn"
                )
            });
            let opt = option_name(v);
            if let (Some(value), true) = (value, matches!(opt, "-c" | "--channel")) {
                conda::channel(&value, out);
            }
        } else {
            conda::spec(&w.value, out);
        }
        i += 1;
    }
}

/// An option's name: `--index-url=URL` is `--index-url`; short options are never split.
fn option_name(word: &str) -> &str {
    match word.split_once('=') {
        Some((name, _)) if word.starts_with("--") => name,
        _ => word,
    }
}

/// The value of the option at `args[*i]`: after `=` in `--opt=value`, else the next word when
/// `takes_value(name)` (then `*i` moves past it), else none.
fn option_value(
    args: &[Word],
    i: &mut usize,
    takes_value: impl Fn(&str) -> bool,
) -> Option<crate::lang::manifest::Mapped> {
    let w = &args[*i];
    let v = w.value.text.as_str();
    let name = option_name(v);
    if name.len() < v.len() {
        return Some(w.value.slice(name.len() + 1..v.len()));
    }
    if takes_value(name) {
        *i += 1;
        return args.get(*i).map(|n| n.value.clone());
    }
    None
}

pub(super) fn os_install(args: &[Word], out: &mut Out) {
    let Some(pos) = args
        .iter()
        .position(|w| matches!(w.value.text.as_str(), "install" | "in" | "add"))
    else {
        return;
    };
    let mut i = pos + 1;
    while i < args.len() {
        let w = &args[i];
        let v = w.value.text.as_str();
        if v.starts_with('-') {
            if matches!(
                v,
                "-o" | "--option" | "-t" | "--target-release" | "--repo" | "-X"
            ) {
                i += 1;
            }
        } else if !v.contains('$') && !v.contains('/') {
            let name = v
                .split(['=', ':'])
                .next()
                .unwrap_or(v)
                .trim_end_matches(['*']);
            if !name.is_empty() {
                out.entry(
                    v,
                    w.raw.clone(),
                    vec![format!("os-package:{}", name.to_ascii_lowercase())],
                );
            }
        }
        i += 1;
    }
}
