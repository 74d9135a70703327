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
//!
//! The parts: `tokenizer` splits a script into commands and words; `command` finds each
//! command's command word and hands its arguments to the reader of that program (`installs`
//! for pip, conda and system packages, `docker`, `cmake_cli`, or a script nested in a string);
//! `flags` classifies compiler flags, architecture names and libraries.

mod cmake_cli;
mod command;
mod docker;
mod flags;
mod installs;
mod tokenizer;

pub(crate) use command::{analyze, analyze_with, env_fact, pure_reference};
pub(crate) use flags::{flags, is_arch_name, word_flag};
pub(crate) use tokenizer::{Flavor, Word, commands};

use super::Out;
use std::collections::HashMap;

/// What a variable used as a command word stands for: Make variable name → the basenames of the
/// commands its definitions name (`NVCC ?= nvcc` → `nvcc`).
pub(crate) type CommandVars = HashMap<String, Vec<String>>;

/// Reads a whole script found at `base` in the file.
pub(crate) fn extract_script(src: &str, base: usize, out: &mut Out) {
    for cmd in commands(src, base, Flavor::Shell) {
        analyze(&cmd, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    /// The first key and the written text of every fact `src` yields.
    pub(super) fn keys(src: &str) -> Vec<(String, String)> {
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

    pub(super) fn has(facts: &[(String, String)], key: &str, written: &str) -> bool {
        facts.iter().any(|(k, w)| k == key && w == written)
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
}
