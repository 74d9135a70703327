//! One simple command: its variables, its command word (past assignments, reserved words and
//! prefix commands such as `sudo`; a Make variable resolved to the command it names), and its
//! arguments handed to the reader of that program.

use super::CommandVars;
use super::cmake_cli::cmake_defines;
use super::docker::docker;
use super::flags::flags;
use super::installs::{conda_install, os_install, pip_install};
use super::tokenizer::{Flavor, Word, commands};
use crate::lang::lexer::is_identifier;
use crate::lang::manifest::{Mapped, Out, basename};
use std::ops::Range;

/// How deep commands nested in strings (`bash -c "…"`, `docker exec … sh -c '…'`) are read.
const MAX_NESTING: u8 = 3;

/// Reserved words and prefix commands that come before the real command word.
fn is_prefix(word: &str) -> bool {
    matches!(
        word,
        "if" | "then"
            | "else"
            | "elif"
            | "do"
            | "while"
            | "until"
            | "!"
            | "{"
            | "}"
            | "time"
            | "exec"
            | "command"
            | "nohup"
            | "sudo"
            | "env"
            | "builtin"
            | "eval"
            | "xargs"
            | "timeout"
            | "nice"
            | "stdbuf"
    )
}

/// Reads what cuda-audit cares about from one simple command.
pub(crate) fn analyze(words: &[Word], out: &mut Out) {
    analyze_with(words, out, None, 0);
}

/// `$(NAME)` or `${NAME}` and nothing else: NAME.
pub(crate) fn pure_reference(v: &str) -> Option<&str> {
    let inner = v
        .strip_prefix("$(")
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| v.strip_prefix("${").and_then(|r| r.strip_suffix('}')))?;
    is_identifier(inner).then_some(inner)
}

/// [`analyze`], with the Make variables a command word may stand for, at a nesting depth.
pub(crate) fn analyze_with(words: &[Word], out: &mut Out, vars: Option<&CommandVars>, depth: u8) {
    for w in words {
        for (name, span) in &w.refs {
            env_fact(name, span.clone(), out);
        }
    }
    flags(words, out);
    let Some(i) = command_word(words, out) else {
        return;
    };
    let Some(cmd) = words.get(i) else { return };
    // `$(NVCC) …` with `NVCC ?= nvcc`: the command the variable names, at the use.
    let resolved = vars
        .zip(pure_reference(&cmd.value.text))
        .and_then(|(vars, var)| vars.get(var))
        .filter(|names| !names.is_empty());
    if let Some(names) = resolved {
        for n in names {
            out.entry(
                &cmd.value.text,
                cmd.raw.clone(),
                vec![format!("command:{n}")],
            );
        }
    }
    let name = match resolved {
        Some(names) => names[0].as_str(),
        None => basename(&cmd.value.text),
    };
    match name {
        "export" | "declare" | "local" | "readonly" | "typeset" => {
            declared_variables(&words[i + 1..], out);
            return;
        }
        "" => return,
        _ => {}
    }
    if resolved.is_none() && !name.starts_with('$') && !name.starts_with('-') {
        out.entry(
            &cmd.value.text,
            cmd.raw.clone(),
            vec![format!("command:{name}")],
        );
    }
    arguments(name, &words[i + 1..], out, vars, depth);
}

/// The index of the command word: past assignments (each a variable fact), reserved words and
/// prefix commands with their options. `None` for a compound command (`for`, `case` …), whose
/// words are not a command.
fn command_word(words: &[Word], out: &mut Out) -> Option<usize> {
    let mut i = 0;
    while i < words.len() {
        let v = words[i].value.text.as_str();
        if let Some((name, _)) = assignment(v) {
            let start = words[i].value.offset(0);
            env_fact(name, start..start + name.len(), out);
            i += 1;
        } else if is_prefix(v) {
            i += 1;
            // Options of `sudo`/`env`/`timeout` and `timeout`'s duration.
            while i < words.len()
                && (words[i].value.text.starts_with('-')
                    || (v == "timeout"
                        && words[i]
                            .value
                            .text
                            .starts_with(|c: char| c.is_ascii_digit())))
            {
                i += 1;
            }
        } else if matches!(v, "for" | "case" | "select" | "function") {
            return None;
        } else {
            break;
        }
    }
    Some(i)
}

/// The variables `export`, `declare`, `local`, `readonly` or `typeset` names (with or without
/// a value).
fn declared_variables(args: &[Word], out: &mut Out) {
    for w in args {
        let v = w.value.text.as_str();
        let name = assignment(v).map_or(v, |(n, _)| n);
        if is_identifier(name) {
            let start = w.value.offset(0);
            env_fact(name, start..start + name.len(), out);
        }
    }
}

/// The arguments of the command `name`, read by the reader of that program: package installs,
/// the command a container runs, the script of `bash -c`, cmake's cache variables.
fn arguments(name: &str, rest: &[Word], out: &mut Out, vars: Option<&CommandVars>, depth: u8) {
    if is_pip(name) {
        pip_install(rest, out);
    } else if name.starts_with("python") && rest.len() >= 2 && rest[0].value.text == "-m" {
        if is_pip(&rest[1].value.text) {
            pip_install(&rest[2..], out);
        }
    } else if name == "uv" && rest.first().is_some_and(|w| w.value.text == "pip") {
        pip_install(&rest[1..], out);
    } else if matches!(name, "docker" | "podman" | "nvidia-docker") {
        // The command run in the container: `docker exec c bash -c "…"`, `docker run img nvcc …`.
        if let Some(at) = docker(rest, out) {
            if depth < MAX_NESTING {
                analyze_with(&rest[at..], out, vars, depth + 1);
            }
        }
    } else if matches!(name, "sh" | "bash" | "zsh" | "dash" | "ash" | "ksh") {
        if let Some(script) = shell_c_script(rest) {
            if depth < MAX_NESTING {
                nested(&script.value, out, vars, depth + 1);
            }
        }
    } else if matches!(name, "cmake" | "cmake3") {
        cmake_defines(rest, out);
    } else if matches!(name, "conda" | "mamba" | "micromamba") {
        conda_install(rest, out);
    } else if matches!(
        name,
        "apt-get" | "apt" | "aptitude" | "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" | "apk"
    ) {
        os_install(rest, out);
    }
}

fn is_pip(name: &str) -> bool {
    name.strip_prefix("pip")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// `NAME=value` → (NAME, value).
fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let name = name.strip_suffix('+').unwrap_or(name);
    is_identifier(name).then_some((name, value))
}

pub(crate) fn env_fact(name: &str, span: Range<usize>, out: &mut Out) {
    out.entry(name, span, vec![format!("env:{name}")]);
}

/// The script of `bash -c '…'`, `sh -ec "…"`, `bash -lc "…"`: the first operand after an
/// option cluster holding `c`.
fn shell_c_script(args: &[Word]) -> Option<&Word> {
    let mut saw_c = false;
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.text.as_str();
        if v == "--" {
            i += 1;
            break;
        }
        if let Some(opts) = v.strip_prefix('-').filter(|o| !o.starts_with('-')) {
            saw_c |= opts.contains('c');
            if opts.ends_with('o') {
                i += 1; // `-o pipefail`
            }
        } else if v.starts_with('+') || v.starts_with("--") {
            // `+e`, `--login`, `--norc`
        } else {
            break;
        }
        i += 1;
    }
    args.get(i).filter(|_| saw_c)
}

/// A command line held in a string (`bash -c "apt-get install …"`), read as commands at the
/// string's real positions.
fn nested(script: &Mapped, out: &mut Out, vars: Option<&CommandVars>, depth: u8) {
    for cmd in commands(&script.text, 0, Flavor::Shell) {
        let words: Vec<Word> = cmd
            .into_iter()
            .map(|w| Word {
                raw: script.span(w.raw),
                value: w.value.through(script),
                refs: w
                    .refs
                    .into_iter()
                    .map(|(n, r)| (n, script.span(r)))
                    .collect(),
            })
            .collect();
        analyze_with(&words, out, vars, depth);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{has, keys};

    #[test]
    fn commands_nested_in_strings() {
        let src = "docker exec -it gpu bash -c \"apt-get install -y nvidia-container-toolkit && nvidia-smi\"\nsh -c 'nvcc -arch=sm_80 k.cu'\nbash -lc \"pip install \\\"cupy-cuda12x\\\"\"\nbash -c \"echo hello\"\ndocker run --rm img:1 nvidia-smi -L\nbash script.sh -c x\n";
        let f = keys(src);
        assert!(
            has(
                &f,
                "os-package:nvidia-container-toolkit",
                "nvidia-container-toolkit"
            ),
            "{f:?}"
        );
        assert!(has(&f, "command:nvidia-smi", "nvidia-smi"));
        assert!(has(&f, "command:nvcc", "nvcc"));
        assert!(has(&f, "flag:-arch", "-arch=sm_80"));
        assert!(has(&f, "pip:cupy-cuda12x", "cupy-cuda12x"));
        assert!(has(&f, "command:echo", "echo"));
        assert!(!f.iter().any(|(k, _)| k == "image:gpu"));
        assert_eq!(
            f.iter().filter(|(k, _)| k == "command:nvidia-smi").count(),
            2
        );
        assert!(!f.iter().any(|(k, _)| k == "command:x"));
    }
}
