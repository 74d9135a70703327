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
            let (opt, inline) = match v.split_once('=') {
                Some((o, val)) if v.starts_with("--") => (o, Some(val)),
                _ => (v, None),
            };
            let takes_value = is_index_option(opt)
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
                );
            let value = match inline {
                Some(val) => Some(w.value.slice(v.len() - val.len()..v.len())),
                None if takes_value => {
                    i += 1;
                    args.get(i).map(|n| n.value.clone())
                }
                None => None,
            };
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
            let (opt, inline) = match v.split_once('=') {
                Some((o, val)) if v.starts_with("--") => (o, Some(val)),
                _ => (v, None),
            };
            let takes_value = matches!(
                opt,
                "-c" | "--channel"
                    | "-n"
                    | "--name"
                    | "-p"
                    | "--prefix"
                    | "--file"
                    | "--repodata-fn"
            );
            let value = match inline {
                Some(val) => Some(w.value.slice(v.len() - val.len()..v.len())),
                None if takes_value => {
                    i += 1;
                    args.get(i).map(|n| n.value.clone())
                }
                None => None,
            };
            if let (Some(value), true) = (value, matches!(opt, "-c" | "--channel")) {
                conda::channel(&value, out);
            }
        } else {
            conda::spec(&w.value, out);
        }
        i += 1;
    }
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
