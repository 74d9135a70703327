//! HIP sources are not CUDA. A C-family file is HIP when it includes HIP or ROCm headers and no
//! CUDA header, or when it sits in a source directory that only a ROCm build uses (`hip/`,
//! `rocm/`, `hip_kernels/`, `kernels_rocm/`). Its CUDA-looking names (`__global__`,
//! `__shfl_xor`, `<<<…>>>`, which HIP shares with CUDA) are not CUDA coupling: the file is
//! evidence of an existing ROCm port, counted in the summary.

/// Include paths (or their first directory) of HIP and ROCm headers.
const HIP_HEADER_PREFIXES: &[&str] = &[
    "hip/",
    "hipblas",
    "hipblaslt",
    "hipcub",
    "hipfft",
    "hiprand",
    "hipsparse",
    "hipsolver",
    "hiprtc",
    "hipsparselt",
    "rocblas",
    "rocprim",
    "rocrand",
    "rocfft",
    "rocsparse",
    "rocsolver",
    "rocthrust",
    "rocwmma",
    "miopen",
    "rccl",
    "roctracer",
    "rocm_smi",
    "amd_smi",
];

/// Whether an include path names a HIP or ROCm header.
pub fn is_hip_header(include: &str) -> bool {
    let include = include.trim_start_matches("./");
    HIP_HEADER_PREFIXES
        .iter()
        .any(|p| include.starts_with(p) || include.contains(&format!("/{p}")))
}

/// Whether a directory name marks a ROCm-only source tree.
fn is_hip_directory(dir: &str) -> bool {
    let d = dir.to_ascii_lowercase();
    matches!(d.as_str(), "hip" | "rocm" | "amd_hip")
        || d.starts_with("hip_")
        || d.starts_with("rocm_")
        || d.ends_with("_hip")
        || d.ends_with("_rocm")
}

/// Whether a C-family file is HIP: `includes_hip` whether it includes a HIP header
/// ([`includes_hip_header`]), `has_cuda_include` whether it includes a CUDA one (a finding of
/// category include).
pub fn is_hip_source(rel: &str, includes_hip: bool, has_cuda_include: bool) -> bool {
    if has_cuda_include {
        return false;
    }
    let dirs = rel.rsplit_once('/').map_or("", |(d, _)| d);
    dirs.split('/')
        .any(|d| !d.is_empty() && is_hip_directory(d))
        || includes_hip
}

/// Whether a C-family text includes a HIP or ROCm header unconditionally — outside every
/// preprocessor conditional but its include guard. A HIP include inside `#if BNB_HIP … #else …`
/// is one branch of a file written for both platforms, not a HIP file. Read line by line, not
/// from the parse, so that it is known for files the prefilter spares a parse (a HIP file has
/// no CUDA token) exactly as for parsed ones.
pub fn includes_hip_header(text: &str) -> bool {
    // Cheap rejection first, on the header names themselves: most C-family files name none
    // (a bare "roc" would be in every `process`).
    if !HIP_HEADER_PREFIXES.iter().any(|p| text.contains(p)) {
        return false;
    }
    let directives: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('#')?.trim_start();
            let name_end = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            Some((&rest[..name_end], rest[name_end..].trim()))
        })
        .collect();
    // Per open conditional: whether it counts (an include guard does not).
    let mut open: Vec<bool> = Vec::new();
    for (i, &(directive, arg)) in directives.iter().enumerate() {
        match directive {
            "ifndef" => {
                let guard = directives.get(i + 1).is_some_and(|&(d, a)| {
                    d == "define" && a.split_whitespace().next() == arg.split_whitespace().next()
                });
                open.push(!guard);
            }
            "if" | "ifdef" => open.push(true),
            "endif" => {
                open.pop();
            }
            "include" if !open.iter().any(|&counts| counts) => {
                let (close, path) = match arg.chars().next() {
                    Some('<') => ('>', &arg[1..]),
                    Some('"') => ('"', &arg[1..]),
                    _ => continue,
                };
                if path.split(close).next().is_some_and(is_hip_header) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hip_by_includes_and_by_directory() {
        assert!(is_hip_source("csrc/kernels.cpp", true, false));
        assert!(!is_hip_source("csrc/kernels.cpp", true, true));
        assert!(!is_hip_source("csrc/kernels.cpp", false, false));
        assert!(is_hip_source("csrc/hip_kernels/gemm.cu", false, false));
        assert!(is_hip_source("src/rocm/attn.cuh", false, false));
        assert!(!is_hip_source("src/chip/attn.cu", false, false));
        assert!(!is_hip_source("hip_notes.cu", false, false));
        assert!(includes_hip_header(
            "#include <stdio.h>\n  #  include \"hip/hip_runtime.h\"\n"
        ));
        assert!(includes_hip_header("#include <rocblas/rocblas.h>"));
        assert!(!includes_hip_header(
            "// #include <cuda_runtime.h>\nint hip = 1;\n"
        ));
        assert!(!includes_hip_header("#include <ship.h>\n"));
        // Guarded: one branch of a file for both platforms.
        assert!(!includes_hip_header(
            "#if BNB_HIP\n#include <hip/hip_runtime.h>\n#else\n#include <cuda_runtime.h>\n#endif\n"
        ));
        // An include guard is not a platform branch.
        assert!(includes_hip_header(
            "#ifndef OPS_H\n#define OPS_H\n#include <hip/hip_runtime.h>\n#endif\n"
        ));
        assert!(includes_hip_header(
            "#pragma once\n#include \"hip/hip_fp16.h\"\n"
        ));
        assert!(is_hip_header("rocblas/rocblas.h"));
        assert!(is_hip_header("hipcub/hipcub.hpp"));
        assert!(!is_hip_header("cuda_runtime.h"));
        assert!(!is_hip_header("ship/x.h"));
    }
}
