//! CMake: a tokenizer for the CMake language (command invocations; quoted, unquoted and
//! bracket arguments; line and bracket comments; nested parentheses) and what the commands say
//! about CUDA.
//!
//! Facts: every command name (`cmake-command:cuda_add_library`), the CUDA language
//! (`project(… LANGUAGES CUDA)`, `enable_language(CUDA)`, `LANGUAGE CUDA` source properties,
//! `$<COMPILE_LANGUAGE:CUDA>`), packages (`find_package(CUDAToolkit)`), modules
//! (`include(FindCUDA)`), variables set or read (`CMAKE_CUDA_ARCHITECTURES`, `${CUDA_LIBRARIES}`,
//! `$ENV{CUDA_HOME}`), target properties (`CUDA_SEPARABLE_COMPILATION`), imported targets
//! (`CUDA::cudart`), libraries linked by name, commands run with `COMMAND`, compile features
//! (`cuda_std_17`), and nvcc flags inside arguments.

use super::shell;
use super::{Out, basename};
use crate::lang::lexer::is_identifier;
use std::collections::HashMap;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgKind {
    Unquoted,
    Quoted,
    Bracket,
}

#[derive(Debug)]
struct Arg {
    /// The argument's text: raw for unquoted and bracket arguments, the content (without quotes,
    /// escapes kept) for quoted ones.
    text: String,
    /// The span of `text` in the file.
    span: Range<usize>,
    kind: ArgKind,
}

#[derive(Debug)]
struct Command {
    name: String,
    name_span: Range<usize>,
    args: Vec<Arg>,
}

pub(crate) fn extract(text: &str, out: &mut Out) {
    let commands = parse(text);
    let vars = list_vars(&commands);
    for cmd in &commands {
        analyze(cmd, &vars, out);
    }
}

/// Variable → the items its definitions hold: `set(CUDA_LIBS cublas cudnn)`,
/// `list(APPEND CUDA_LIBS cufft)`, and the names `find_library(VAR …)` looks for. Every
/// definition counts (conditionals are not evaluated).
type Vars = HashMap<String, Vec<String>>;

fn list_vars(commands: &[Command]) -> Vars {
    let mut vars = Vars::new();
    for cmd in commands {
        let lower = cmd.name.to_ascii_lowercase();
        let (name, items): (&str, Vec<String>) = match lower.as_str() {
            "set" => {
                let Some(name) = cmd.args.first() else {
                    continue;
                };
                let items = cmd.args[1..]
                    .iter()
                    .take_while(|a| {
                        a.kind != ArgKind::Unquoted
                            || !matches!(a.text.as_str(), "CACHE" | "PARENT_SCOPE")
                    })
                    .filter(|a| a.kind != ArgKind::Bracket)
                    .flat_map(|a| a.text.split(';').map(str::to_string).collect::<Vec<_>>())
                    .collect();
                (name.text.as_str(), items)
            }
            "list"
                if cmd.args.len() > 2
                    && matches!(cmd.args[0].text.as_str(), "APPEND" | "PREPEND") =>
            {
                (
                    cmd.args[1].text.as_str(),
                    cmd.args[2..]
                        .iter()
                        .flat_map(|a| a.text.split(';').map(str::to_string).collect::<Vec<_>>())
                        .collect(),
                )
            }
            "find_library" => {
                let Some(name) = cmd.args.first() else {
                    continue;
                };
                let items = find_names(&cmd.args)
                    .iter()
                    .filter_map(|a| library_file_name(&a.text))
                    .collect();
                (name.text.as_str(), items)
            }
            _ => continue,
        };
        if !is_identifier(name) {
            continue;
        }
        let entry = vars.entry(name.to_string()).or_default();
        for item in items {
            if !item.is_empty() && !entry.contains(&item) {
                entry.push(item);
            }
        }
    }
    vars
}

/// The names `find_library`/`find_path`/`find_file` look for: `find_library(VAR NAMES a b …)`
/// or `find_library(VAR a [paths…])`.
fn find_names(args: &[Arg]) -> &[Arg] {
    match args.get(1) {
        Some(a) if a.kind == ArgKind::Unquoted && a.text == "NAMES" => {
            let rest = &args[2..];
            let end = rest
                .iter()
                .position(|a| a.kind == ArgKind::Unquoted && is_find_keyword(&a.text))
                .unwrap_or(rest.len());
            &rest[..end]
        }
        Some(a) if !(a.kind == ArgKind::Unquoted && is_find_keyword(&a.text)) => &args[1..2],
        _ => &[],
    }
}

fn is_find_keyword(s: &str) -> bool {
    matches!(
        s,
        "NAMES"
            | "NAMES_PER_DIR"
            | "HINTS"
            | "PATHS"
            | "PATH_SUFFIXES"
            | "DOC"
            | "REQUIRED"
            | "OPTIONAL"
            | "ENV"
            | "VALIDATOR"
            | "REGISTRY_VIEW"
            | "NO_CACHE"
            | "NO_DEFAULT_PATH"
            | "NO_PACKAGE_ROOT_PATH"
            | "NO_CMAKE_PATH"
            | "NO_CMAKE_ENVIRONMENT_PATH"
            | "NO_SYSTEM_ENVIRONMENT_PATH"
            | "NO_CMAKE_SYSTEM_PATH"
            | "NO_CMAKE_INSTALL_PREFIX"
            | "NO_CMAKE_FIND_ROOT_PATH"
            | "CMAKE_FIND_ROOT_PATH_BOTH"
            | "ONLY_CMAKE_FIND_ROOT_PATH"
    )
}

/// A library as `find_library` names it (`cudnn`, `libcudnn.so.8`, `libnccl_static.a`): `cudnn`.
fn library_file_name(t: &str) -> Option<String> {
    if t.contains(['$', '<', '>']) {
        return None;
    }
    let file = basename(t);
    let lib = if file.contains('.') {
        let stem = file.strip_prefix("lib").unwrap_or(file);
        stem.split('.').next().unwrap_or(stem)
    } else {
        file
    };
    (!lib.is_empty()
        && lib
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+')))
    .then(|| lib.to_string())
}

/// The CUDA library a header belongs to (`cudnn.h` → `cudnn`, `cublas_v2.h` → `cublas`).
fn header_library(header: &str) -> Option<&'static str> {
    let file = basename(header);
    let stem = file
        .strip_suffix(".h")
        .or_else(|| file.strip_suffix(".hpp"))?;
    let table: &[(&str, &str)] = &[
        ("cudnn", "cudnn"),
        ("nccl", "nccl"),
        ("cutensor", "cutensor"),
        ("cublasLt", "cublasLt"),
        ("cublas", "cublas"),
        ("cufftw", "cufftw"),
        ("cufft", "cufft"),
        ("curand", "curand"),
        ("cusparse", "cusparse"),
        ("cusolver", "cusolver"),
        ("nvrtc", "nvrtc"),
        ("nvToolsExt", "nvToolsExt"),
        ("cuda_runtime", "cudart"),
        ("NvInfer", "nvinfer"),
        ("NvOnnxParser", "nvonnxparser"),
        ("nvml", "nvidia-ml"),
        ("nvjpeg", "nvjpeg"),
        ("nvJitLink", "nvJitLink"),
        ("cupti", "cupti"),
        ("cufile", "cufile"),
        ("npp", "npp"),
    ];
    if stem == "cuda" {
        return Some("cuda");
    }
    table
        .iter()
        .find(|(prefix, _)| {
            stem.strip_prefix(prefix).is_some_and(|rest| {
                rest.is_empty()
                    || rest.starts_with(['_', 'D', 'M', 'S', 'X', 'P'])
                    || (*prefix == "npp" && rest.chars().all(|c| c.is_ascii_lowercase()))
            })
        })
        .map(|(_, lib)| *lib)
}

fn parse(text: &str) -> Vec<Command> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut commands = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            i = skip_comment(text, i);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let name_end = i;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i < b.len() && b[i] == b'(' {
                let (args, end) = parse_args(text, i + 1);
                commands.push(Command {
                    name: text[s..name_end].to_string(),
                    name_span: s..name_end,
                    args,
                });
                i = end;
            } else {
                // Not a command: skip the rest of the line.
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
        } else if c == b'"' || c == b'[' {
            // Stray argument syntax outside a command (malformed file): skip it whole.
            i = if c == b'"' {
                skip_quoted(b, i).1
            } else {
                bracket(text, i).map_or(i + 1, |(_, end)| end)
            };
        } else {
            i += 1;
        }
    }
    commands
}

/// Skips a `#` comment (line or bracket); returns the index after it.
fn skip_comment(text: &str, i: usize) -> usize {
    if let Some((_, end)) = bracket(text, i + 1) {
        return end;
    }
    text[i..].find('\n').map_or(text.len(), |e| i + e)
}

/// A bracket argument or comment body starting at `i` (`[==[ … ]==]`): content range and end.
fn bracket(text: &str, i: usize) -> Option<(Range<usize>, usize)> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && b[j] == b'=' {
        j += 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let level = j - i - 1;
    let close = format!("]{}]", "=".repeat(level));
    let content = j + 1;
    match text[content..].find(&close) {
        Some(e) => Some((content..content + e, content + e + close.len())),
        None => Some((content..text.len(), text.len())),
    }
}

/// A quoted argument at `i`: content range and the index after the closing quote.
fn skip_quoted(b: &[u8], i: usize) -> (Range<usize>, usize) {
    let mut j = i + 1;
    while j < b.len() && b[j] != b'"' {
        if b[j] == b'\\' {
            j += 1;
        }
        j += 1;
    }
    let end = j.min(b.len());
    (i + 1..end, (end + 1).min(b.len()))
}

/// Arguments from `i` (just after the `(`) to the matching `)`.
fn parse_args(text: &str, mut i: usize) -> (Vec<Arg>, usize) {
    let b = text.as_bytes();
    let mut args = Vec::new();
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = skip_comment(text, i),
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                i += 1;
                if depth == 0 {
                    return (args, i);
                }
                depth -= 1;
            }
            b'"' => {
                let (content, end) = skip_quoted(b, i);
                args.push(Arg {
                    text: text[content.clone()].to_string(),
                    span: content,
                    kind: ArgKind::Quoted,
                });
                i = end;
            }
            b'[' if bracket(text, i).is_some() => {
                let (content, end) = bracket(text, i).unwrap_or((i..i, i + 1));
                args.push(Arg {
                    text: text[content.clone()].to_string(),
                    span: content,
                    kind: ArgKind::Bracket,
                });
                i = end;
            }
            _ => {
                let s = i;
                let mut gen_depth = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'$' if b.get(i + 1) == Some(&b'<') => {
                            gen_depth += 1;
                            i += 2;
                        }
                        b'>' if gen_depth > 0 => {
                            gen_depth -= 1;
                            i += 1;
                        }
                        b'"' => i = skip_quoted(b, i).1,
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' if gen_depth == 0 => break,
                        _ => i += 1,
                    }
                }
                let e = i.min(b.len());
                args.push(Arg {
                    text: text[s..e].to_string(),
                    span: s..e,
                    kind: ArgKind::Unquoted,
                });
                i = e;
            }
        }
    }
    (args, i)
}

fn variable(name: &str, span: Range<usize>, out: &mut Out) {
    out.entry(name, span, vec![format!("cmake-variable:{name}")]);
}

fn analyze(cmd: &Command, vars: &Vars, out: &mut Out) {
    let lower = cmd.name.to_ascii_lowercase();
    out.entry(
        &cmd.name,
        cmd.name_span.clone(),
        vec![format!("cmake-command:{lower}")],
    );
    let args = &cmd.args;
    let plain = |i: usize| {
        args.get(i)
            .filter(|a| a.kind == ArgKind::Unquoted)
            .map(|a| a.text.as_str())
    };
    let language = |a: &Arg, out: &mut Out| {
        if a.text == "CUDA" {
            out.entry(&a.text, a.span.clone(), vec!["cmake-language:CUDA".into()]);
        }
    };
    match lower.as_str() {
        "project" => args.iter().skip(1).for_each(|a| language(a, out)),
        "enable_language" | "check_language" => args.iter().for_each(|a| language(a, out)),
        "find_package" | "find_dependency" | "rapids_find_package" | "cpmfindpackage" => {
            if let Some(a) = args.first() {
                out.entry(
                    &a.text,
                    a.span.clone(),
                    vec![format!("cmake-package:{}", a.text.to_ascii_lowercase())],
                );
            }
        }
        "include" => {
            if let Some(a) = args.first().filter(|a| is_identifier(&a.text)) {
                out.entry(
                    &a.text,
                    a.span.clone(),
                    vec![format!("cmake-module:{}", a.text.to_ascii_lowercase())],
                );
            }
        }
        "set" | "unset" | "option" | "cmake_dependent_option" | "mark_as_advanced" => {
            let skip = usize::from(lower == "mark_as_advanced");
            let count = if lower == "mark_as_advanced" {
                args.len()
            } else {
                1
            };
            for a in args.iter().skip(skip).take(count) {
                if a.kind == ArgKind::Unquoted && is_identifier(&a.text) {
                    variable(&a.text, a.span.clone(), out);
                }
            }
        }
        "list" | "string" => {
            if let (Some(_), Some(a)) = (plain(0), args.get(1)) {
                if lower == "list" && a.kind == ArgKind::Unquoted && is_identifier(&a.text) {
                    variable(&a.text, a.span.clone(), out);
                }
            }
        }
        "if" | "elseif" | "while" => {
            for a in args {
                if a.kind == ArgKind::Unquoted && is_identifier(&a.text) && !is_if_keyword(&a.text)
                {
                    variable(&a.text, a.span.clone(), out);
                } else if let Some(name) = a
                    .text
                    .strip_prefix("ENV{")
                    .and_then(|r| r.strip_suffix('}'))
                    .filter(|n| is_identifier(n))
                {
                    let at = a.span.start + 4;
                    shell::env_fact(name, at..at + name.len(), out);
                }
            }
        }
        "set_target_properties"
        | "set_source_files_properties"
        | "set_tests_properties"
        | "set_directory_properties"
        | "set_property"
        | "get_property"
        | "get_target_property"
        | "get_source_file_property" => properties(&lower, args, out),
        "target_link_libraries" | "link_libraries" | "target_link_options" => {
            let start = usize::from(lower != "link_libraries");
            for a in args.iter().skip(start) {
                if a.kind == ArgKind::Unquoted {
                    link_item(a, out);
                    link_through_variable(a, vars, out);
                }
            }
        }
        "find_library" => {
            for a in find_names(args) {
                if let Some(lib) = library_file_name(&a.text) {
                    out.entry(&a.text, a.span.clone(), vec![format!("link-lib:{lib}")]);
                }
            }
        }
        "find_path" | "find_file" => {
            for a in find_names(args) {
                if let Some(lib) = header_library(&a.text) {
                    out.entry(
                        &a.text,
                        a.span.clone(),
                        vec![format!("find-header:{}", a.text), format!("link-lib:{lib}")],
                    );
                }
            }
        }
        _ => {}
    }
    // Throughout the arguments: commands run, imported targets, compile features, variable
    // references, generator expressions and nvcc flags.
    let mut after_command = false;
    for a in args {
        if a.kind == ArgKind::Bracket {
            after_command = false;
            continue;
        }
        if after_command {
            let name = basename(&a.text);
            if !name.is_empty() && !name.starts_with('$') {
                out.entry(&a.text, a.span.clone(), vec![format!("command:{name}")]);
            }
        }
        after_command = a.kind == ArgKind::Unquoted && a.text == "COMMAND";
        if a.kind == ArgKind::Unquoted {
            if is_imported_target(&a.text) {
                out.entry(
                    &a.text,
                    a.span.clone(),
                    vec![format!("cmake-target:{}", a.text)],
                );
            } else if a.text.starts_with("cuda_std_") {
                out.entry(
                    &a.text,
                    a.span.clone(),
                    vec![format!("cmake-feature:{}", a.text)],
                );
            }
        }
        references(a, out);
        generator_languages(a, out);
        arg_flags(a, out);
    }
}

/// `NS::name` (or `a::b::c`): a CMake imported target.
fn is_imported_target(s: &str) -> bool {
    s.contains("::")
        && s.split("::").all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+'))
        })
}

fn is_if_keyword(s: &str) -> bool {
    matches!(
        s,
        "NOT"
            | "AND"
            | "OR"
            | "DEFINED"
            | "COMMAND"
            | "POLICY"
            | "TARGET"
            | "TEST"
            | "EXISTS"
            | "IS_DIRECTORY"
            | "IS_ABSOLUTE"
            | "IS_SYMLINK"
            | "IS_NEWER_THAN"
            | "IS_READABLE"
            | "IS_WRITABLE"
            | "IS_EXECUTABLE"
            | "MATCHES"
            | "LESS"
            | "GREATER"
            | "EQUAL"
            | "LESS_EQUAL"
            | "GREATER_EQUAL"
            | "STRLESS"
            | "STRGREATER"
            | "STREQUAL"
            | "STRLESS_EQUAL"
            | "STRGREATER_EQUAL"
            | "VERSION_LESS"
            | "VERSION_GREATER"
            | "VERSION_EQUAL"
            | "VERSION_LESS_EQUAL"
            | "VERSION_GREATER_EQUAL"
            | "IN_LIST"
            | "PATH_EQUAL"
            | "ON"
            | "OFF"
            | "TRUE"
            | "FALSE"
            | "YES"
            | "NO"
            | "Y"
            | "N"
    )
}

/// Property names (`CUDA_ARCHITECTURES`) and `LANGUAGE CUDA` in the property commands.
fn properties(cmd: &str, args: &[Arg], out: &mut Out) {
    let property = |a: &Arg, out: &mut Out| {
        if a.kind != ArgKind::Bracket && is_identifier(&a.text) {
            out.entry(
                &a.text,
                a.span.clone(),
                vec![format!("cmake-property:{}", a.text)],
            );
        }
    };
    match cmd {
        "get_target_property" | "get_source_file_property" => {
            if let Some(a) = args.get(2) {
                property(a, out);
            }
        }
        _ => {
            if let Some(p) = args.iter().position(|a| a.text == "PROPERTIES") {
                let pairs = &args[p + 1..];
                for pair in pairs.chunks(2) {
                    property(&pair[0], out);
                    if let [name, value] = pair {
                        if name.text == "LANGUAGE" && value.text == "CUDA" {
                            out.entry(
                                &value.text,
                                value.span.clone(),
                                vec!["cmake-language:CUDA".into()],
                            );
                        }
                    }
                }
            } else if let Some(p) = args.iter().position(|a| a.text == "PROPERTY") {
                if let Some(name) = args.get(p + 1) {
                    property(name, out);
                    if name.text == "LANGUAGE" && args.get(p + 2).is_some_and(|v| v.text == "CUDA")
                    {
                        let v = &args[p + 2];
                        out.entry(&v.text, v.span.clone(), vec!["cmake-language:CUDA".into()]);
                    }
                }
            }
        }
    }
}

/// `${CUDA_LIBS}` in `target_link_libraries` after `set(CUDA_LIBS cublas cudnn)` or
/// `find_library(CUDA_LIBS cudnn)`: each library it holds, at the use (through a few levels of
/// variables).
fn link_through_variable(a: &Arg, vars: &Vars, out: &mut Out) {
    fn items<'v>(name: &str, vars: &'v Vars, depth: u8, found: &mut Vec<&'v str>) {
        for item in vars.get(name).into_iter().flatten() {
            match shell::pure_reference(item) {
                Some(inner) if depth < 4 && inner != name => items(inner, vars, depth + 1, found),
                Some(_) => {}
                None => {
                    if !found.contains(&item.as_str()) {
                        found.push(item);
                    }
                }
            }
        }
    }
    let Some(name) = shell::pure_reference(&a.text) else {
        return;
    };
    let mut found = Vec::new();
    items(name, vars, 0, &mut found);
    for item in found {
        if item.starts_with('-') {
            if let Some(lib) = item.strip_prefix("-l").filter(|l| !l.is_empty()) {
                out.entry(item, a.span.clone(), vec![format!("link-lib:{lib}")]);
            }
        } else if is_imported_target(item) {
            out.entry(item, a.span.clone(), vec![format!("cmake-target:{item}")]);
        } else if !matches!(
            item,
            "PUBLIC" | "PRIVATE" | "INTERFACE" | "debug" | "optimized" | "general"
        ) {
            if let Some(lib) = library_file_name(item) {
                out.entry(item, a.span.clone(), vec![format!("link-lib:{lib}")]);
            }
        }
    }
}

/// A library named in `target_link_libraries`: `cudart`, `-lcublas`, `/path/libcudnn.so`.
fn link_item(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    if t.contains(['$', '<', '>']) || t.contains("::") {
        return;
    }
    if matches!(
        t,
        "PUBLIC"
            | "PRIVATE"
            | "INTERFACE"
            | "LINK_PUBLIC"
            | "LINK_PRIVATE"
            | "LINK_INTERFACE_LIBRARIES"
            | "debug"
            | "optimized"
            | "general"
    ) {
        return;
    }
    if t.starts_with('-') {
        return; // `-lcudart` is read with the other flags.
    }
    let file = basename(t);
    let lib = if t.contains('/') {
        let stem = file.strip_prefix("lib").unwrap_or(file);
        stem.split('.').next().unwrap_or(stem)
    } else {
        file
    };
    if !lib.is_empty()
        && lib
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
    {
        out.entry(t, a.span.clone(), vec![format!("link-lib:{lib}")]);
    }
}

/// `${NAME}`, `$ENV{NAME}` and `$CACHE{NAME}` inside an argument.
fn references(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    let b = t.as_bytes();
    let mut i = 0;
    while let Some(rel) = t[i..].find('$') {
        let at = i + rel;
        let rest = &t[at + 1..];
        let (kind, open) = if rest.starts_with('{') {
            ("var", at + 2)
        } else if rest.starts_with("ENV{") {
            ("env", at + 5)
        } else if rest.starts_with("CACHE{") {
            ("var", at + 7)
        } else {
            i = at + 1;
            continue;
        };
        let mut e = open;
        while e < b.len()
            && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'_' | b'.' | b'-' | b'+' | b'/'))
        {
            e += 1;
        }
        if e < b.len() && b[e] == b'}' && e > open {
            let name = &t[open..e];
            let span = a.span.start + open..a.span.start + e;
            if kind == "env" {
                shell::env_fact(name, span, out);
            } else {
                variable(name, span, out);
            }
        }
        i = open.max(at + 1);
    }
}

/// `$<COMPILE_LANGUAGE:CUDA>`, `$<COMPILE_LANG_AND_ID:CUDA,NVIDIA>`, `$<LINK_LANGUAGE:CUDA>`.
fn generator_languages(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    for marker in [
        "$<COMPILE_LANGUAGE:",
        "$<COMPILE_LANG_AND_ID:",
        "$<LINK_LANGUAGE:",
        "$<LINK_LANG_AND_ID:",
    ] {
        let mut from = 0;
        while let Some(rel) = t[from..].find(marker) {
            let s = from + rel + marker.len();
            let e = t[s..].find('>').map_or(t.len(), |x| s + x);
            let mut off = s;
            for lang in t[s..e].split(',') {
                if lang == "CUDA" {
                    out.entry(
                        lang,
                        a.span.start + off..a.span.start + off + 4,
                        vec!["cmake-language:CUDA".into()],
                    );
                }
                off += lang.len() + 1;
                if marker.contains("AND_ID") {
                    break; // The rest are compiler ids.
                }
            }
            from = e;
        }
    }
}

/// nvcc flags and architectures among an argument's words (split at whitespace and `;`).
fn arg_flags(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    if !t.contains(['-', '_']) {
        return;
    }
    let mut words: Vec<(Range<usize>, &str)> = Vec::new();
    let mut i = 0;
    for piece in t.split([' ', '\t', '\n', ';']) {
        if !piece.is_empty() {
            words.push((a.span.start + i..a.span.start + i + piece.len(), piece));
        }
        i += piece.len() + 1;
    }
    let mut k = 0;
    while k < words.len() {
        let (span, w) = words[k].clone();
        let w = w.trim_matches('"');
        // Generator expressions wrap flags: `$<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>`.
        let inner = w.rsplit_once(">:").map_or(w, |(_, f)| f);
        let inner = if t.contains("$<") {
            inner.trim_end_matches('>')
        } else {
            inner
        };
        let next = words.get(k + 1);
        if inner.starts_with('-') || shell::is_arch_name(inner) {
            let delta = w.len() - inner.len().min(w.len());
            let offset = w.find(inner).unwrap_or(delta);
            let s = span.start + offset;
            k += shell::word_flag(
                inner,
                s..s + inner.len(),
                next.map(|n| n.1),
                next.map(|n| n.0.end),
                out,
            );
        } else {
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    fn facts(text: &str) -> Vec<(String, String)> {
        let mut out = Out::default();
        extract(text, &mut out);
        out.facts
            .into_iter()
            .map(|f| {
                let FactKind::Keys(k) = f.kind else {
                    unreachable!()
                };
                (k[0].clone(), text[f.span].to_string())
            })
            .filter(|(k, _)| !k.starts_with("cmake-command:") && !k.starts_with("flag:-D"))
            .collect()
    }

    #[test]
    fn libraries_behind_variables_and_find_commands() {
        let text = r#"set(CUDA_LIBS cublas cudnn)
list(APPEND CUDA_LIBS CUDA::cufft)
find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.8 HINTS ${CUDNN_ROOT} PATH_SUFFIXES lib64)
find_library(NCCL_LIB nccl)
find_library(M_LIB m)
find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS /usr/include)
find_path(CUTENSOR_INCLUDE NAMES cutensor.h)
find_path(ZLIB_INCLUDE zlib.h)
set(ALL_LIBS ${CUDA_LIBS} ${NCCL_LIB} pthread)
target_link_libraries(app PRIVATE ${ALL_LIBS} ${M_LIB} ${CUDNN_LIBRARY})
"#;
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("link-lib:cudnn", "cudnn"), "{f:?}");
        assert!(has("link-lib:cudnn", "libcudnn.so.8"));
        assert!(has("link-lib:nccl", "nccl"));
        assert!(has("link-lib:m", "m"));
        assert!(has("find-header:cudnn.h", "cudnn.h"));
        assert!(has("find-header:cutensor.h", "cutensor.h"));
        assert!(!f.iter().any(|(k, _)| k.contains("zlib")));
        assert!(has("link-lib:cublas", "${ALL_LIBS}"));
        assert!(has("link-lib:cudnn", "${ALL_LIBS}"));
        assert!(has("link-lib:nccl", "${ALL_LIBS}"));
        assert!(has("cmake-target:CUDA::cufft", "${ALL_LIBS}"));
        assert!(has("link-lib:pthread", "${ALL_LIBS}"));
        assert!(has("link-lib:cudnn", "${CUDNN_LIBRARY}"));
        assert!(!f.iter().any(|(k, w)| k == "link-lib:HINTS" || w == "lib64"));
        assert!(
            !has("link-lib:cublas", "cublas"),
            "a set() value is found where it is used"
        );
    }

    #[test]
    fn tokenizer_honours_comments_quotes_and_brackets() {
        let text = "# find_package(CUDA)\n#[[ enable_language(CUDA) ]]\nmessage([=[ project(x LANGUAGES CUDA) ]=])\nset(X \"enable_language(CUDA)\")\nproject(demo LANGUAGES CXX CUDA)\n";
        let f = facts(text);
        assert_eq!(
            f,
            [
                ("cmake-variable:X".to_string(), "X".to_string()),
                ("cmake-language:CUDA".into(), "CUDA".into())
            ]
        );
    }

    #[test]
    fn cuda_constructs() {
        let text = r#"find_package(CUDAToolkit 12 REQUIRED)
set(CMAKE_CUDA_ARCHITECTURES 70 80)
set(CMAKE_CUDA_FLAGS "${CMAKE_CUDA_FLAGS} -gencode arch=compute_80,code=sm_80 --expt-relaxed-constexpr")
target_link_libraries(app PRIVATE CUDA::cudart cudnn ${CUDA_LIBRARIES} /usr/lib/libnvinfer.so)
set_source_files_properties(a.cpp PROPERTIES LANGUAGE CUDA)
set_target_properties(app PROPERTIES CUDA_SEPARABLE_COMPILATION ON)
target_compile_options(app PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--use_fast_math>)
if(DEFINED ENV{CUDA_HOME} AND CUDA_FOUND)
  cuda_add_library(k k.cu)
endif()
target_compile_features(app PUBLIC cuda_std_17)
"#;
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cmake-package:cudatoolkit", "CUDAToolkit"), "{f:?}");
        assert!(has(
            "cmake-variable:CMAKE_CUDA_ARCHITECTURES",
            "CMAKE_CUDA_ARCHITECTURES"
        ));
        assert!(has("cmake-variable:CMAKE_CUDA_FLAGS", "CMAKE_CUDA_FLAGS"));
        assert!(
            has("flag:-gencode", "-gencode arch=compute_80,code=sm_80"),
            "{f:?}"
        );
        assert!(has(
            "flag:--expt-relaxed-constexpr",
            "--expt-relaxed-constexpr"
        ));
        assert!(has("cmake-target:CUDA::cudart", "CUDA::cudart"));
        assert!(has("link-lib:cudnn", "cudnn"));
        assert!(has("link-lib:nvinfer", "/usr/lib/libnvinfer.so"));
        assert!(has("cmake-variable:CUDA_LIBRARIES", "CUDA_LIBRARIES"));
        assert!(has("cmake-language:CUDA", "CUDA"));
        assert!(has(
            "cmake-property:CUDA_SEPARABLE_COMPILATION",
            "CUDA_SEPARABLE_COMPILATION"
        ));
        assert!(has("flag:--use_fast_math", "--use_fast_math"), "{f:?}");
        assert!(has("env:CUDA_HOME", "CUDA_HOME"));
        assert!(has("cmake-variable:CUDA_FOUND", "CUDA_FOUND"));
        assert!(has("cmake-feature:cuda_std_17", "cuda_std_17"));
        assert_eq!(
            f.iter().filter(|(k, _)| k == "cmake-language:CUDA").count(),
            2
        );
    }
}
