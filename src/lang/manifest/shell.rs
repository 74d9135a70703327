//! A POSIX shell tokenizer and what cuda-audit reads from the commands it finds. It serves shell
//! scripts, Makefile recipes, Dockerfile `RUN` instructions and GitHub workflow `run:` steps.
//!
//! The tokenizer splits a script into simple commands (at newlines, `;`, `&&`, `||`, `|`, `&`,
//! parentheses), and each command into words, honouring single and double quotes, backslash
//! escapes, line continuations, `$(…)`, `${…}` and backquotes; `#` at the start of a word starts
//! a comment, redirection targets and here-document bodies are skipped. Each word keeps its
//! unquoted value, mapped back to file offsets, and the variables it references.
//!
//! From each command: its command word (`nvcc`, `nvidia-smi`), packages installed with
//! pip, conda/mamba or the system package manager, variables set and referenced, nvcc-only
//! flags (`-gencode`, `-arch=sm_80`), GPU architecture names and `-l` libraries.

use super::requirements::{self, is_index_option};
use super::{Mapped, Out, basename};
/// Identifiers are lexed in [`crate::lang::lexer`]; re-exported for the Rust front end, which
/// checks `env!` and `rerun-if-env-changed=` names through this module.
pub(crate) use crate::lang::lexer::is_identifier;
use std::collections::HashMap;
use std::ops::Range;

/// What a variable used as a command word stands for: Make variable name → the basenames of the
/// commands its definitions name (`NVCC ?= nvcc` → `nvcc`).
pub(crate) type CommandVars = HashMap<String, Vec<String>>;

/// How deep commands nested in strings (`bash -c "…"`, `docker exec … sh -c '…'`) are read.
const MAX_NESTING: u8 = 3;

/// One shell word.
#[derive(Clone, Debug)]
pub(crate) struct Word {
    /// The span of the word as written (quotes included).
    pub raw: Range<usize>,
    /// The unquoted value, mapped to file offsets.
    pub value: Mapped,
    /// Variables referenced in the word (`$NAME`, `${NAME…}`, and `$(NAME)` in Makefiles).
    pub refs: Vec<(String, Range<usize>)>,
}

/// Tokenizer flavour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Shell,
    /// A Makefile: `$$` is a literal `$`, `$(NAME)` and `${NAME}` are make variables.
    Make,
}

/// Reads a whole script found at `base` in the file.
pub(crate) fn extract_script(src: &str, base: usize, out: &mut Out) {
    for cmd in commands(src, base, Flavor::Shell) {
        analyze(&cmd, out);
    }
}

/// Splits `src` (found at file offset `base`) into simple commands.
pub(crate) fn commands(src: &str, base: usize, flavor: Flavor) -> Vec<Vec<Word>> {
    let mut t = Tokenizer {
        src,
        b: src.as_bytes(),
        base,
        i: 0,
        flavor,
        commands: Vec::new(),
        current: Vec::new(),
        heredocs: Vec::new(),
    };
    t.run();
    t.commands
}

struct Tokenizer<'a> {
    src: &'a str,
    b: &'a [u8],
    base: usize,
    i: usize,
    flavor: Flavor,
    commands: Vec<Vec<Word>>,
    current: Vec<Word>,
    /// Pending here-document delimiters (delimiter, strip leading tabs).
    heredocs: Vec<(String, bool)>,
}

impl Tokenizer<'_> {
    fn end_command(&mut self) {
        if !self.current.is_empty() {
            self.commands.push(std::mem::take(&mut self.current));
        }
    }

    fn run(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.b.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'\\'
                    if self.b.get(self.i + 1) == Some(&b'\r')
                        && self.b.get(self.i + 2) == Some(&b'\n') =>
                {
                    self.i += 3
                }
                b'\n' => {
                    self.i += 1;
                    self.end_command();
                    self.skip_heredocs();
                }
                b'#' => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b';' | b'&' | b'|' | b'(' | b')' => {
                    self.i += 1;
                    self.end_command();
                }
                b'<' | b'>' => self.redirection(),
                _ => {
                    let word = self.word();
                    if self.b.get(self.i).is_some_and(|&c| c == b'<' || c == b'>')
                        && word.value.text.bytes().all(|c| c.is_ascii_digit())
                    {
                        // `2>&1`: a file descriptor number, not a word.
                        continue;
                    }
                    if !word.value.text.is_empty() || word.raw.end > word.raw.start {
                        self.current.push(word);
                    }
                }
            }
        }
        self.end_command();
    }

    fn redirection(&mut self) {
        let start = self.i;
        while self.i < self.b.len() && matches!(self.b[self.i], b'<' | b'>' | b'&' | b'|') {
            self.i += 1;
        }
        let op = &self.src[start..self.i];
        let strip = self.b.get(self.i) == Some(&b'-') && op == "<<";
        if strip {
            self.i += 1;
        }
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t') {
            self.i += 1;
        }
        if self.i >= self.b.len() || matches!(self.b[self.i], b'\n' | b';' | b'|' | b'&') {
            return;
        }
        if op.ends_with('&') && self.b[self.i].is_ascii_digit() {
            // `>&2`: a descriptor.
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            return;
        }
        // The target (a file name, or a here-document delimiter) is not a word of the command.
        let target = self.word();
        if op == "<<" {
            self.heredocs.push((target.value.text, strip));
        }
    }

    fn skip_heredocs(&mut self) {
        for (delim, strip) in std::mem::take(&mut self.heredocs) {
            while self.i < self.b.len() {
                let end = self.src[self.i..]
                    .find('\n')
                    .map_or(self.b.len(), |e| self.i + e);
                let mut line = self.src[self.i..end].trim_end_matches('\r');
                if strip {
                    line = line.trim_start_matches('\t');
                }
                self.i = (end + 1).min(self.b.len());
                if line == delim {
                    break;
                }
            }
        }
    }

    /// Reads one word starting at `self.i`.
    fn word(&mut self) -> Word {
        let start = self.i;
        let mut value = Mapped::default();
        let mut refs = Vec::new();
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => {
                    break;
                }
                b'\\' => {
                    match self.b.get(self.i + 1) {
                        Some(b'\n') => {}
                        Some(_) => {
                            let ch = self.char_at(self.i + 1);
                            value.push_str(ch, self.base + self.i + 1);
                        }
                        None => {}
                    }
                    self.i += 1 + self.char_len(self.i + 1);
                }
                b'\'' => {
                    self.i += 1;
                    let s = self.i;
                    while self.i < self.b.len() && self.b[self.i] != b'\'' {
                        self.i += 1;
                    }
                    value.push_str(&self.src[s..self.i], self.base + s);
                    self.i = (self.i + 1).min(self.b.len());
                }
                b'"' => {
                    self.i += 1;
                    while self.i < self.b.len() && self.b[self.i] != b'"' {
                        match self.b[self.i] {
                            b'\\'
                                if self
                                    .b
                                    .get(self.i + 1)
                                    .is_some_and(|c| b"\"\\$`\n".contains(c)) =>
                            {
                                if self.b[self.i + 1] != b'\n' {
                                    value.push_str(
                                        &self.src[self.i + 1..self.i + 2],
                                        self.base + self.i + 1,
                                    );
                                }
                                self.i += 2;
                            }
                            b'$' => self.dollar(&mut value, &mut refs),
                            b'`' => self.backquote(&mut value),
                            _ => {
                                let n = self.char_len(self.i);
                                value.push_str(&self.src[self.i..self.i + n], self.base + self.i);
                                self.i += n;
                            }
                        }
                    }
                    self.i = (self.i + 1).min(self.b.len());
                }
                b'$' => self.dollar(&mut value, &mut refs),
                b'`' => self.backquote(&mut value),
                _ => {
                    let n = self.char_len(self.i);
                    value.push_str(&self.src[self.i..self.i + n], self.base + self.i);
                    self.i += n;
                }
            }
        }
        Word {
            raw: self.base + start..self.base + self.i,
            value,
            refs,
        }
    }

    fn char_len(&self, i: usize) -> usize {
        self.src[i..].chars().next().map_or(1, char::len_utf8)
    }

    fn char_at(&self, i: usize) -> &str {
        &self.src[i..i + self.char_len(i)]
    }

    /// `$NAME`, `${…}`, `$(…)`, `$((…))`, `$'…'`, `$$` (Make); the text is kept as written.
    fn dollar(&mut self, value: &mut Mapped, refs: &mut Vec<(String, Range<usize>)>) {
        let start = self.i;
        let next = self.b.get(self.i + 1).copied();
        match next {
            Some(b'$') if self.flavor == Flavor::Make => {
                // `$$NAME` in a recipe is the shell variable NAME.
                self.i += 2;
                let s = self.i;
                while self.i < self.b.len()
                    && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
                {
                    self.i += 1;
                }
                if self.i > s && !self.b[s].is_ascii_digit() {
                    refs.push((
                        self.src[s..self.i].to_string(),
                        self.base + start..self.base + self.i,
                    ));
                }
            }
            Some(open @ (b'(' | b'{')) => {
                let close = if open == b'(' { b')' } else { b'}' };
                let mut depth = 0usize;
                let mut closed = false;
                while self.i < self.b.len() {
                    let c = self.b[self.i];
                    if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                        if depth == 0 {
                            self.i += 1;
                            closed = true;
                            break;
                        }
                    } else if c == b'\n' && open == b'{' {
                        break;
                    }
                    self.i += 1;
                }
                // Unterminated (end of line or text), the inner text runs to where the scan
                // stopped; `self.i - 1` could be inside a multi-byte character.
                let inner_end = if closed { self.i - 1 } else { self.i }.max(start + 2);
                let inner = &self.src[start + 2..inner_end.min(self.b.len())];
                let name_end = inner
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(inner.len());
                let name = &inner[..name_end];
                let is_var = !name.is_empty()
                    && !name.as_bytes()[0].is_ascii_digit()
                    && (open == b'{' || (self.flavor == Flavor::Make && name_end == inner.len()));
                if is_var {
                    refs.push((name.to_string(), self.base + start..self.base + self.i));
                }
            }
            Some(b'@' | b'<' | b'^' | b'?' | b'*' | b'+' | b'%' | b'|')
                if self.flavor == Flavor::Make =>
            {
                // Make's automatic variables.
                self.i += 2;
            }
            Some(b'@' | b'?' | b'*' | b'#' | b'!' | b'-' | b'0'..=b'9')
                if self.flavor == Flavor::Shell =>
            {
                // Special parameters.
                self.i += 2;
            }
            Some(b'$') => self.i += 2,
            Some(b'\'') => {
                self.i += 2;
                while self.i < self.b.len() && self.b[self.i] != b'\'' {
                    if self.b[self.i] == b'\\' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                self.i = (self.i + 1).min(self.b.len());
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.i += 1;
                let s = self.i;
                while self.i < self.b.len()
                    && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
                {
                    self.i += 1;
                }
                refs.push((
                    self.src[s..self.i].to_string(),
                    self.base + start..self.base + self.i,
                ));
            }
            _ => self.i += 1,
        }
        let end = self.i.min(self.b.len());
        value.push_str(&self.src[start..end], self.base + start);
    }

    fn backquote(&mut self, value: &mut Mapped) {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() && self.b[self.i] != b'`' {
            if self.b[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        self.i = (self.i + 1).min(self.b.len());
        value.push_str(&self.src[start..self.i], self.base + start);
    }
}

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
    // The command word: past assignments, reserved words and prefix commands.
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
            return;
        } else {
            break;
        }
    }
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
            for w in &words[i + 1..] {
                let v = w.value.text.as_str();
                let name = assignment(v).map_or(v, |(n, _)| n);
                if is_identifier(name) {
                    let start = w.value.offset(0);
                    env_fact(name, start..start + name.len(), out);
                }
            }
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
    let rest = &words[i + 1..];
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
pub(crate) fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let name = name.strip_suffix('+').unwrap_or(name);
    is_identifier(name).then_some((name, value))
}

pub(crate) fn env_fact(name: &str, span: Range<usize>, out: &mut Out) {
    out.entry(name, span, vec![format!("env:{name}")]);
}

fn pip_install(args: &[Word], out: &mut Out) {
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
                } else if matches!(opt, "-e" | "--editable") && super::is_url(&value.text) {
                    requirements::requirement(&value, out, None);
                }
            }
        } else if !v.contains("$(") && !v.starts_with('.') && !v.starts_with('/') {
            requirements::requirement(&w.value.trimmed(), out, None);
        }
        i += 1;
    }
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

/// `docker run|create|pull|exec`: `--runtime=nvidia`, `--gpus`, and the image; the index in
/// `args` of the command run in the container, if any.
fn docker(args: &[Word], out: &mut Out) -> Option<usize> {
    let sub = args.first()?;
    let sub = sub.value.text.as_str();
    if !matches!(sub, "run" | "create" | "pull" | "exec") {
        return None;
    }
    let mut i = 1;
    while i < args.len() {
        let w = &args[i];
        let v = w.value.text.as_str();
        if let Some(opt) = v.strip_prefix("--").or_else(|| v.strip_prefix('-')) {
            let (name, inline) = match opt.split_once('=') {
                Some((n, val)) => (n, Some(val.to_string())),
                None => (opt, None),
            };
            let takes_value = matches!(
                name,
                "e" | "v"
                    | "p"
                    | "w"
                    | "u"
                    | "m"
                    | "h"
                    | "l"
                    | "c"
                    | "env"
                    | "volume"
                    | "publish"
                    | "name"
                    | "workdir"
                    | "user"
                    | "network"
                    | "net"
                    | "entrypoint"
                    | "gpus"
                    | "runtime"
                    | "shm-size"
                    | "ipc"
                    | "memory"
                    | "cpus"
                    | "device"
                    | "mount"
                    | "label"
                    | "env-file"
                    | "platform"
                    | "pull"
                    | "hostname"
                    | "add-host"
                    | "cap-add"
                    | "cap-drop"
                    | "ulimit"
                    | "security-opt"
                    | "tmpfs"
                    | "log-driver"
                    | "restart"
                    | "cidfile"
                    | "pid"
                    | "uts"
                    | "group-add"
                    | "expose"
                    | "link"
                    | "volumes-from"
                    | "storage-opt"
                    | "cpuset-cpus"
                    | "memory-swap"
                    | "stop-signal"
                    | "detach-keys"
            );
            let value = match inline {
                Some(val) => Some(val),
                None if takes_value => {
                    i += 1;
                    args.get(i).map(|n| n.value.text.clone())
                }
                None => None,
            };
            match (name, value) {
                ("runtime", Some(rt)) => out.entry(
                    v,
                    w.raw.clone(),
                    vec![format!("container-runtime:{}", rt.to_ascii_lowercase())],
                ),
                ("gpus", value) => out.entry(
                    v,
                    w.raw.clone(),
                    vec![
                        format!("compose-gpus:{}", value.unwrap_or_default()),
                        "compose-gpus".into(),
                    ],
                ),
                _ => {}
            }
        } else {
            if sub != "exec" && !v.contains('$') && !v.is_empty() {
                out.entry(v, w.raw.clone(), vec![super::image_key(v)]);
            }
            return (sub != "pull" && i + 1 < args.len()).then_some(i + 1);
        }
        i += 1;
    }
    None
}

/// `cmake -DCMAKE_CUDA_ARCHITECTURES=90 -D CUDA_TOOLKIT_ROOT_DIR=… ..`: the cache variables, as
/// the CMake front end names them in `set(…)` (`cmake-variable:NAME`), and nvcc flags or
/// architectures in their values (`-DCMAKE_CUDA_FLAGS="-gencode …"`).
fn cmake_defines(args: &[Word], out: &mut Out) {
    let mut i = 0;
    while i < args.len() {
        let v = &args[i].value;
        let (def, at) = if v.text == "-D" {
            i += 1;
            match args.get(i) {
                Some(next) => (&next.value, 0),
                None => break,
            }
        } else if v.text.starts_with("-D") {
            (v, 2)
        } else {
            i += 1;
            continue;
        };
        i += 1;
        let body = &def.text[at..];
        let Some((name_type, value)) = body.split_once('=') else {
            continue;
        };
        let name = name_type.split_once(':').map_or(name_type, |(n, _)| n);
        if !is_identifier(name) {
            continue;
        }
        out.entry(
            name,
            def.span(at..at + name.len()),
            vec![format!("cmake-variable:{name}")],
        );
        // Flags and architectures in the value, word by word.
        let value_at = at + name_type.len() + 1;
        let mut words: Vec<(Range<usize>, &str)> = Vec::new();
        let mut k = value_at;
        for piece in value.split([' ', '\t', '\n', ';']) {
            if !piece.is_empty() {
                words.push((def.span(k..k + piece.len()), piece));
            }
            k += piece.len() + 1;
        }
        let mut w = 0;
        while w < words.len() {
            let (span, piece) = words[w].clone();
            if piece.starts_with('-') || is_arch_name(piece) {
                let next = words.get(w + 1);
                w += word_flag(piece, span, next.map(|n| n.1), next.map(|n| n.0.end), out);
            } else {
                w += 1;
            }
        }
    }
}

fn conda_install(args: &[Word], out: &mut Out) {
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
                super::conda::channel(&value, out);
            }
        } else {
            super::conda::spec(&w.value, out);
        }
        i += 1;
    }
}

fn os_install(args: &[Word], out: &mut Out) {
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

/// nvcc-only flags, GPU architecture names and `-l` libraries among a command's words.
pub(crate) fn flags(words: &[Word], out: &mut Out) {
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let next = words.get(i + 1).map(|n| n.value.text.as_str());
        i += word_flag(
            &w.value.text,
            w.raw.clone(),
            next,
            words.get(i + 1).map(|n| n.raw.end),
            out,
        );
    }
}

/// Classifies one word (with a peek at the next); returns how many words it used (1 or 2).
pub(crate) fn word_flag(
    v: &str,
    span: Range<usize>,
    next: Option<&str>,
    next_end: Option<usize>,
    out: &mut Out,
) -> usize {
    let (flag, inline) = match v.split_once('=') {
        Some((f, val)) if v.starts_with('-') => (f, Some(val)),
        _ => (v, None),
    };
    match flag {
        // Flags that take a GPU architecture.
        "-arch" | "--gpu-architecture" | "-code" | "--gpu-code" | "-gencode"
        | "--generate-code" | "--cuda-gpu-arch" | "--offload-arch" => {
            let (value, used) = match (inline, next) {
                (Some(val), _) => (Some(val), 1),
                (None, Some(n)) => (Some(n), 2),
                (None, None) => (None, 1),
            };
            let nvcc_only = !matches!(flag, "-arch" | "-code" | "--offload-arch");
            let is_cuda_arch = value.is_some_and(is_cuda_arch_value);
            if is_cuda_arch || (nvcc_only && flag != "--offload-arch") {
                let end = if used == 2 {
                    next_end.unwrap_or(span.end)
                } else {
                    span.end
                };
                let written = match (inline, used) {
                    (None, 2) => format!("{v} {}", next.unwrap_or("")),
                    _ => v.to_string(),
                };
                out.entry(&written, span.start..end, vec![format!("flag:{flag}")]);
                return used;
            }
            1
        }
        // `-lineinfo` is nvcc's line-information flag, not the library `ineinfo`.
        _ if flag.starts_with("-l")
            && flag.len() > 2
            && inline.is_none()
            && flag != "-lineinfo" =>
        {
            let lib = &flag[2..];
            if lib
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == '-')
            {
                out.entry(v, span, vec![format!("link-lib:{lib}")]);
            }
            1
        }
        _ if flag.starts_with('-') => {
            out.entry(v, span, vec![format!("flag:{flag}")]);
            1
        }
        _ => {
            if is_arch_name(v) {
                out.entry(v, span, vec![format!("cuda-arch:{v}")]);
            }
            1
        }
    }
}

/// `sm_80`, `compute_90a`, `lto_86`.
pub(crate) fn is_arch_name(v: &str) -> bool {
    ["sm_", "compute_", "lto_"].iter().any(|p| {
        v.strip_prefix(p).is_some_and(|rest| {
            let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
            !digits.is_empty()
                && digits.len() <= 3
                && digits.chars().all(|c| c.is_ascii_digit())
                && rest.len() - digits.len() <= 1
        })
    })
}

/// A value of `-arch`/`-code`/`-gencode`: a CUDA architecture or `arch=…,code=…`.
fn is_cuda_arch_value(v: &str) -> bool {
    let v = v.trim_matches(['"', '\'']);
    v.starts_with("arch=")
        || matches!(v, "native" | "all" | "all-major")
        || v.split([',', '=', '[', ']']).any(is_arch_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    fn keys(src: &str) -> Vec<(String, String)> {
        let mut out = Out::default();
        extract_script(src, 0, &mut out);
        out.facts
            .into_iter()
            .map(|f| {
                let FactKind::Keys(k) = f.kind else {
                    unreachable!()
                };
                (k[0].clone(), src[f.span].to_string())
            })
            .collect()
    }

    fn has(facts: &[(String, String)], key: &str, written: &str) -> bool {
        facts.iter().any(|(k, w)| k == key && w == written)
    }

    #[test]
    fn words_quotes_and_comments() {
        let cmds = commands("echo 'a b' \"c $X\" d\\ e # nvcc\nfoo", 0, Flavor::Shell);
        assert_eq!(cmds.len(), 2);
        let v: Vec<&str> = cmds[0].iter().map(|w| w.value.text.as_str()).collect();
        assert_eq!(v, ["echo", "a b", "c $X", "d e"]);
        assert_eq!(cmds[0][2].refs[0].0, "X");
    }

    #[test]
    fn commands_installs_and_flags() {
        let src = "export CUDA_HOME=/usr/local/cuda\n\
            sudo -E apt-get install -y --no-install-recommends cuda-toolkit-12-4 libcudnn8=8.9.7.29-1+cuda12.2 \\\n  curl\n\
            pip install --extra-index-url https://download.pytorch.org/whl/cu121 'torch==2.3.0+cu121' \"cupy-cuda12x>=13\"\n\
            $CUDA_HOME/bin/nvcc -gencode arch=compute_80,code=sm_80 -arch=sm_90 -o k k.cu -lcudart 2>&1 | tee log\n\
            conda install -c nvidia cuda-nvcc pytorch-cuda=12.1\n\
            # nvcc -arch=sm_70 in a comment\n\
            cat <<EOF > x\nnvcc inside heredoc\nEOF\n";
        let f = keys(src);
        assert!(has(&f, "env:CUDA_HOME", "CUDA_HOME"));
        assert!(has(&f, "os-package:cuda-toolkit-12-4", "cuda-toolkit-12-4"));
        assert!(has(
            &f,
            "os-package:libcudnn8",
            "libcudnn8=8.9.7.29-1+cuda12.2"
        ));
        assert!(has(&f, "pip:torch+cu121", "torch==2.3.0+cu121"));
        assert!(has(&f, "pip:cupy-cuda12x", "cupy-cuda12x>=13"));
        assert!(has(
            &f,
            "pip-index:download.pytorch.org/whl/cu121",
            "https://download.pytorch.org/whl/cu121"
        ));
        assert!(has(&f, "command:nvcc", "$CUDA_HOME/bin/nvcc"));
        assert!(has(
            &f,
            "flag:-gencode",
            "-gencode arch=compute_80,code=sm_80"
        ));
        assert!(has(&f, "flag:-arch", "-arch=sm_90"));
        assert!(has(&f, "link-lib:cudart", "-lcudart"));
        assert!(has(&f, "conda-channel:nvidia", "nvidia"));
        assert!(has(&f, "conda:pytorch-cuda", "pytorch-cuda=12.1"));
        assert!(!has(&f, "flag:-arch", "-arch=sm_70"));
        assert!(!f.iter().any(|(_, w)| w.contains("heredoc")));
        assert_eq!(f.iter().filter(|(k, _)| k == "command:nvcc").count(), 1);
    }

    #[test]
    fn docker_cli() {
        let f = keys(
            "docker run --runtime=nvidia --rm -e X=1 --gpus all nvcr.io/nvidia/pytorch:24.01-py3 python -c 1\n",
        );
        assert!(
            has(&f, "container-runtime:nvidia", "--runtime=nvidia"),
            "{f:?}"
        );
        assert!(has(&f, "compose-gpus:all", "--gpus"));
        assert!(has(
            &f,
            "image:nvcr.io/nvidia/pytorch:24.01-py3",
            "nvcr.io/nvidia/pytorch:24.01-py3"
        ));
        assert!(!f.iter().any(|(k, _)| k.starts_with("image:python")));
    }

    #[test]
    fn cmake_cache_variables_on_the_command_line() {
        let f = keys(
            "cmake -S . -B build -DCMAKE_CUDA_ARCHITECTURES=90 -D CUDA_TOOLKIT_ROOT_DIR=/usr/local/cuda \\\n  -DCMAKE_CUDA_FLAGS:STRING=\"-gencode arch=compute_80,code=sm_80 --use_fast_math\" -DCMAKE_BUILD_TYPE=Release ..\necho -DCMAKE_CUDA_ARCHITECTURES=80\n",
        );
        assert!(
            has(
                &f,
                "cmake-variable:CMAKE_CUDA_ARCHITECTURES",
                "CMAKE_CUDA_ARCHITECTURES"
            ),
            "{f:?}"
        );
        assert!(has(
            &f,
            "cmake-variable:CUDA_TOOLKIT_ROOT_DIR",
            "CUDA_TOOLKIT_ROOT_DIR"
        ));
        assert!(has(
            &f,
            "cmake-variable:CMAKE_CUDA_FLAGS",
            "CMAKE_CUDA_FLAGS"
        ));
        assert!(has(
            &f,
            "flag:-gencode",
            "-gencode arch=compute_80,code=sm_80"
        ));
        assert!(has(&f, "flag:--use_fast_math", "--use_fast_math"));
        assert!(has(
            &f,
            "cmake-variable:CMAKE_BUILD_TYPE",
            "CMAKE_BUILD_TYPE"
        ));
        assert_eq!(
            f.iter()
                .filter(|(k, _)| k == "cmake-variable:CMAKE_CUDA_ARCHITECTURES")
                .count(),
            1
        );
    }

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

    #[test]
    fn darwin_arch_is_not_cuda() {
        let f = keys("clang -arch arm64 -o x x.c\n");
        assert!(!f.iter().any(|(k, _)| k == "flag:-arch"));
    }

    #[test]
    fn lineinfo_is_a_flag_not_a_library() {
        let f = keys("nvcc -lineinfo -lcudart k.cu\n");
        assert!(has(&f, "flag:-lineinfo", "-lineinfo"));
        assert!(has(&f, "link-lib:cudart", "-lcudart"));
        assert!(!f.iter().any(|(k, _)| k == "link-lib:ineinfo"));
    }
}
