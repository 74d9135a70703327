//! What each command says by its name: the CUDA language in `project`/`enable_language`,
//! packages, modules, variables set or tested, properties, libraries linked or looked for.

use super::arguments::argument_facts;
use super::libraries::{
    Vars, find_names, header_library, library_file_name, link_item, link_through_variable,
};
use super::parse::{Arg, ArgKind, Command};
use super::variable;
use crate::lang::lexer::is_identifier;
use crate::lang::manifest::{Out, shell};

pub(super) fn analyze(cmd: &Command, vars: &Vars, out: &mut Out) {
    let lower = cmd.name.to_ascii_lowercase();
    out.entry(
        &cmd.name,
        cmd.name_span.clone(),
        vec![format!("cmake-command:{lower}")],
    );
    command_facts(&lower, &cmd.args, vars, out);
    argument_facts(&cmd.args, out);
}

/// The facts a command's name gives its arguments (`lower` is the name in lowercase).
fn command_facts(lower: &str, args: &[Arg], vars: &Vars, out: &mut Out) {
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
    match lower {
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
            variables_set(lower, args, out);
        }
        "list" | "string" => {
            if let (Some(_), Some(a)) = (plain(0), args.get(1)) {
                if lower == "list" && a.kind == ArgKind::Unquoted && is_identifier(&a.text) {
                    variable(&a.text, a.span.clone(), out);
                }
            }
        }
        "if" | "elseif" | "while" => condition_variables(args, out),
        "set_target_properties"
        | "set_source_files_properties"
        | "set_tests_properties"
        | "set_directory_properties"
        | "set_property"
        | "get_property"
        | "get_target_property"
        | "get_source_file_property" => properties(lower, args, out),
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
}

/// The variable `set`, `unset`, `option` or `cmake_dependent_option` names; every variable
/// `mark_as_advanced` names.
fn variables_set(lower: &str, args: &[Arg], out: &mut Out) {
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

/// The variables (`CUDA_FOUND`) and environment variables (`ENV{CUDA_HOME}`) an `if`,
/// `elseif` or `while` condition tests.
fn condition_variables(args: &[Arg], out: &mut Out) {
    for a in args {
        if a.kind == ArgKind::Unquoted && is_identifier(&a.text) && !is_if_keyword(&a.text) {
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
