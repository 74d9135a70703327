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
//!
//! The parts: `parse` tokenizes a file into commands; `commands` reads each command by its name;
//! `arguments` reads what any argument holds (references, generator expressions, flags,
//! imported targets, commands run); `libraries` follows the libraries a file links or looks for,
//! through the variables that hold them.

mod arguments;
mod commands;
mod libraries;
mod parse;

use super::Out;
use std::ops::Range;

pub(crate) fn extract(text: &str, out: &mut Out) {
    let commands = parse::parse(text);
    let vars = libraries::list_vars(&commands);
    for cmd in &commands {
        commands::analyze(cmd, &vars, out);
    }
}

/// A variable set, tested or read: `cmake-variable:NAME`.
fn variable(name: &str, span: Range<usize>, out: &mut Out) {
    out.entry(name, span, vec![format!("cmake-variable:{name}")]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    /// The first key and the written text of every fact `text` yields, without the command names
    /// and `-D` flags.
    pub(super) fn facts(text: &str) -> Vec<(String, String)> {
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
