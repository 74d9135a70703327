//! The cmake command line: `-D` cache variables, and nvcc flags and architectures in their
//! values.

use super::flags::{is_arch_name, word_flag};
use super::tokenizer::Word;
use crate::lang::lexer::is_identifier;
use crate::lang::manifest::Out;
use std::ops::Range;

/// `cmake -DCMAKE_CUDA_ARCHITECTURES=90 -D CUDA_TOOLKIT_ROOT_DIR=… ..`: the cache variables, as
/// the CMake front end names them in `set(…)` (`cmake-variable:NAME`), and nvcc flags or
/// architectures in their values (`-DCMAKE_CUDA_FLAGS="-gencode …"`).
pub(super) fn cmake_defines(args: &[Word], out: &mut Out) {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{has, keys};

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
}
