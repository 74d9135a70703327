//! Libraries: the names `find_library`, `find_path` and `find_file` look for, the items of
//! `target_link_libraries`, and the libraries variables hold (`set(CUDA_LIBS cublas cudnn)`)
//! found where the variable is linked.

use super::arguments::is_imported_target;
use super::parse::{Arg, ArgKind, Command};
use crate::lang::lexer::is_identifier;
use crate::lang::manifest::{Out, basename, shell};
use std::collections::HashMap;

/// Variable → the items its definitions hold: `set(CUDA_LIBS cublas cudnn)`,
/// `list(APPEND CUDA_LIBS cufft)`, and the names `find_library(VAR …)` looks for. Every
/// definition counts (conditionals are not evaluated).
pub(super) type Vars = HashMap<String, Vec<String>>;

pub(super) fn list_vars(commands: &[Command]) -> Vars {
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
pub(super) fn find_names(args: &[Arg]) -> &[Arg] {
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
pub(super) fn library_file_name(t: &str) -> Option<String> {
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
pub(super) fn header_library(header: &str) -> Option<&'static str> {
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

/// `${CUDA_LIBS}` in `target_link_libraries` after `set(CUDA_LIBS cublas cudnn)` or
/// `find_library(CUDA_LIBS cudnn)`: each library it holds, at the use (through a few levels of
/// variables).
pub(super) fn link_through_variable(a: &Arg, vars: &Vars, out: &mut Out) {
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
pub(super) fn link_item(a: &Arg, out: &mut Out) {
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

#[cfg(test)]
mod tests {
    use super::super::tests::facts;

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
}
