#!/usr/bin/env python3
"""Benchmark harness: cuda-audit against ripgrep (and ast-grep / semgrep when installed).

    python3 bench/run.py [OPTIONS] DIR [DIR ...]

For each corpus directory, runs ripgrep searching a CUDA token alternation over the file kinds
cuda-audit reads, then cuda-audit on the same directory, back to back, `--runs` times each
(after one warm-up run of each, so the page cache is warm), and prints one table row with the
medians: wall time, user+sys CPU time, CPU/wall and peak RSS (from /usr/bin/time).

Nothing is downloaded: the corpora are directories you already have (see bench/gen_corpus.py
for a synthetic one). The machine's load average is printed with the table, because other
processes on a small machine move every number.

Modes:
  (default)      a cold scan: `cuda-audit DIR -f json --no-progress > /dev/null` plus any
                 `--ca-arg`s (with `--no-cache` when the binary knows it).
  --rescan       also time re-scans with the result cache warm (binaries with a cache only), in a
                 temporary cache directory: "unchanged" (nothing changed since the last run:
                 the report is replayed) and "1 changed" (a copy of the corpus in a temporary
                 directory where one source file gets a new comment line before each run: every
                 other file's analysis comes from the cache, the report is rebuilt).
  --startup      time a 2-file repository (generated in a temporary directory), many runs.
  --exhaustive   also time `--exhaustive` (every fast path off), for comparison.

Options:
  --bin PATH     the cuda-audit binary (default: target/release/cuda-audit next to this script)
  --runs N       measured runs per tool and corpus (default 5)
  --format F     cuda-audit report format (default json)
  --ca-arg ARG   extra argument for cuda-audit (repeatable)
  --json FILE    also write every measurement as JSON
  --markdown     print the table as Markdown (default: aligned text)
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# The token alternation ripgrep searches for: the kind of thing a grep-based audit would use.
RG_PATTERN = r"__global__|cuda[A-Z]|<<<|torch\.cuda|nccl"


def file_globs():
    """The file-name patterns cuda-audit reads, taken from the FILES table in src/lang/mod.rs so
    ripgrep searches the same files. Falls back to the source extensions if the table is missing."""
    path = os.path.join(REPO, "src", "lang", "mod.rs")
    try:
        text = open(path, encoding="utf-8").read()
        start = text.index("pub const FILES")
        end = text.index("];", start)
        globs = re.findall(r'\("([^"]+)",\s*Lang::', text[start:end])
        if globs:
            return globs
    except (OSError, ValueError):
        pass
    exts = "cu cuh c h cc cpp cxx hpp hh hxx inl py pyi ipynb rs".split()
    return ["*." + e for e in exts]


def time_cmd(cmd, cwd=None):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, max RSS MiB, exit code, stderr).
    Wall time is measured here (microsecond resolution; /usr/bin/time's is 10 ms, too coarse
    for ripgrep); CPU time and peak RSS come from /usr/bin/time."""
    import time

    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M"] + cmd
        t0 = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        line = open(tf.name).read().strip().splitlines()
        # /usr/bin/time writes "Command exited with non-zero status N" before the numbers.
        _, user, sys_, rss = line[-1].split()
        return wall, float(user) + float(sys_), int(rss) / 1024.0, proc.returncode, proc.stderr


def wall_clock(cmd, runs):
    """Median wall time in ms of a very short command, measured in-process (more precise than
    /usr/bin/time's 10 ms resolution)."""
    import time

    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


def median_of(samples, i):
    return statistics.median(s[i] for s in samples)


def corpus_size(root, globs):
    """Files and bytes ripgrep would search (the same walk rules as cuda-audit, roughly)."""
    cmd = ["rg", "--files", "--no-messages"] + sum((["-g", g] for g in globs), []) + [root]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    files = [f for f in out.decode("utf-8", "replace").splitlines() if f]
    size = 0
    for f in files:
        try:
            size += os.path.getsize(f)
        except OSError:
            pass
    return len(files), size


def which_ast_grep():
    for name in ("ast-grep", "sg"):
        path = shutil.which(name)
        if not path:
            continue
        try:
            out = subprocess.run([path, "--version"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=10).stdout.decode()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if "ast-grep" in out:  # `sg` is often shadow-utils' newgrp
            return path
    return None


def ca_supports(binary, flag):
    out = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return flag.encode() in out.stdout


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?", "?", "?"]


def make_two_file_repo(path):
    with open(os.path.join(path, "kernel.cu"), "w") as f:
        f.write("#include <cuda_runtime.h>\n__global__ void k(float *x) { x[threadIdx.x] = 0; }\n"
                "int main() { float *d; cudaMalloc(&d, 64); k<<<1, 16>>>(d); return 0; }\n")
    with open(os.path.join(path, "train.py"), "w") as f:
        f.write("import torch\nx = torch.zeros(3).cuda()\ntorch.cuda.synchronize()\n")


def rescan_one_changed(corpus, ca_base, runs):
    """Median of re-scans of a copy of `corpus` in which one C-family source file changes (a
    comment line appended) before each run: per-file results come from the cache, the report is
    rebuilt. The copy lives in a temporary directory and is removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache_dir:
        copy = os.path.join(tmp, os.path.basename(corpus.rstrip("/")))
        shutil.copytree(corpus, copy, symlinks=True, ignore_dangling_symlinks=True)
        victim = None
        for root, dirs, files in os.walk(copy):
            dirs[:] = sorted(x for x in dirs if not x.startswith("."))
            for f in sorted(files):
                if f.endswith((".cu", ".cpp", ".cc", ".h", ".hpp", ".cuh")):
                    victim = os.path.join(root, f)
                    break
            if victim:
                break
        cmd = ca_base + ["--cache-dir", cache_dir, copy]
        time_cmd(cmd)  # fills the cache
        samples = []
        for i in range(runs):
            if victim:
                with open(victim, "a") as fh:
                    fh.write(f"\n// bench run {i}\n")
            samples.append(time_cmd(cmd)[:3])
        return {"wall": median_of(samples, 0), "cpu": median_of(samples, 1),
                "rss": median_of(samples, 2), "changed": os.path.relpath(victim, copy) if victim else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "cuda-audit"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--format", default="json")
    ap.add_argument("--ca-arg", action="append", default=[])
    ap.add_argument("--rescan", action="store_true")
    ap.add_argument("--startup", action="store_true")
    ap.add_argument("--exhaustive", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    if not shutil.which("rg"):
        sys.exit("ripgrep (rg) is required")
    if not os.path.exists(args.bin):
        sys.exit(f"no cuda-audit binary at {args.bin} (cargo build --release, or --bin)")
    if not args.dirs and not args.startup:
        ap.error("give corpus directories, or --startup")

    globs = file_globs()
    rg_base = ["rg", "-c", "--no-messages", "-e", RG_PATTERN] + sum((["-g", g] for g in globs), [])
    has_cache = ca_supports(args.bin, "--no-cache")
    has_exhaustive = ca_supports(args.bin, "--exhaustive")
    # The report goes to standard output, discarded by the harness. (Not `-o /dev/null`: before the
    # fix to atomic writes, that replaced /dev/null with a regular file when run as root.)
    ca_base = [args.bin, "-f", args.format, "--no-progress"] + args.ca_arg
    cold_extra = ["--no-cache"] if has_cache else []
    ast_grep = which_ast_grep()
    semgrep = shutil.which("semgrep")

    load_before = loadavg()
    results = []
    for d in args.dirs:
        d = os.path.abspath(d)
        files, size = corpus_size(d, globs)
        row = {"corpus": os.path.basename(d.rstrip("/")), "path": d, "files": files, "bytes": size}
        rg_cmd = rg_base + [d]
        ca_cmd = ca_base + cold_extra + [d]
        # Warm-up: page cache, and the binary itself.
        time_cmd(rg_cmd)
        _, _, _, code, err = time_cmd(ca_cmd)
        if code not in (0, 1):
            print(f"cuda-audit failed on {d} (exit {code}): {err.decode(errors='replace')[:500]}",
                  file=sys.stderr)
            continue
        rg_s, ca_s, ex_s = [], [], []
        for _ in range(args.runs):
            rg_s.append(time_cmd(rg_cmd)[:3])
            ca_s.append(time_cmd(ca_cmd)[:3])
            if args.exhaustive and has_exhaustive:
                ex_s.append(time_cmd(ca_cmd[:-1] + ["--exhaustive", d])[:3])
        row["rg"] = {"wall": median_of(rg_s, 0), "cpu": median_of(rg_s, 1), "rss": median_of(rg_s, 2)}
        row["ca"] = {"wall": median_of(ca_s, 0), "cpu": median_of(ca_s, 1), "rss": median_of(ca_s, 2)}
        row["ca"]["samples"] = ca_s
        row["rg"]["samples"] = rg_s
        if ex_s:
            row["exhaustive"] = {"wall": median_of(ex_s, 0), "cpu": median_of(ex_s, 1),
                                 "rss": median_of(ex_s, 2)}
        if args.rescan and has_cache:
            with tempfile.TemporaryDirectory() as cache_dir:
                warm = ca_base + ["--cache-dir", cache_dir, d]
                time_cmd(warm)  # fills the cache
                re_s = [time_cmd(warm)[:3] for _ in range(args.runs)]
            row["rescan"] = {"wall": median_of(re_s, 0), "cpu": median_of(re_s, 1),
                             "rss": median_of(re_s, 2)}
            row["rescan1"] = rescan_one_changed(d, ca_base, args.runs)
        if ast_grep:
            cmd = [ast_grep, "run", "--lang", "cpp", "-p", "cudaMalloc($$$)", d]
            time_cmd(cmd)
            s = [time_cmd(cmd)[:3] for _ in range(args.runs)]
            row["ast-grep"] = {"wall": median_of(s, 0), "rss": median_of(s, 2)}
        if semgrep:
            cmd = [semgrep, "--metrics=off", "--quiet", "-e", "cudaMalloc(...)", "--lang", "cpp", d]
            s = [time_cmd(cmd)[:3] for _ in range(max(1, args.runs // 2))]
            row["semgrep"] = {"wall": median_of(s, 0), "rss": median_of(s, 2)}
        results.append(row)
        print_row(row, args, first=len(results) == 1, ast_grep=ast_grep, semgrep=semgrep)

    startup = None
    if args.startup:
        with tempfile.TemporaryDirectory() as tmp:
            make_two_file_repo(tmp)
            runs = max(30, args.runs * 6)
            rg_ms = wall_clock(rg_base + [tmp], 5)  # warm-up
            ca_ms = wall_clock(ca_base + cold_extra + [tmp], 5)
            rg_ms = wall_clock(rg_base + [tmp], runs)
            ca_ms = wall_clock(ca_base + cold_extra + [tmp], runs)
            _, _, ca_rss, _, _ = time_cmd(ca_base + cold_extra + [tmp])
            startup = {"rg_ms": rg_ms, "ca_ms": ca_ms, "ratio": ca_ms / rg_ms, "ca_rss": ca_rss}
            print(f"\nstart-up (2-file repository, median of {runs}): rg {rg_ms:.1f} ms, "
                  f"cuda-audit {ca_ms:.1f} ms, ratio {ca_ms / rg_ms:.1f}x, peak {ca_rss:.0f} MiB")
            if has_cache:
                with tempfile.TemporaryDirectory() as cache_dir:
                    warm = ca_base + ["--cache-dir", cache_dir, tmp]
                    wall_clock(warm, 2)
                    warm_ms = wall_clock(warm, runs)
                startup["ca_warm_ms"] = warm_ms
                print(f"start-up, unchanged re-run: cuda-audit {warm_ms:.1f} ms, "
                      f"ratio {warm_ms / rg_ms:.1f}x")

    load_after = loadavg()
    print(f"\nload average before: {' '.join(load_before)}, after: {' '.join(load_after)}; "
          f"{os.cpu_count()} CPUs; medians of {args.runs} runs; binary {args.bin}")
    if not ast_grep:
        print("ast-grep: not installed (skipped)")
    if not semgrep:
        print("semgrep: not installed (skipped)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": results, "startup": startup, "load_before": load_before,
                       "load_after": load_after, "runs": args.runs, "binary": args.bin,
                       "cpus": os.cpu_count()}, f, indent=1)


def print_row(row, args, first, ast_grep, semgrep):
    cols = ["corpus", "MB", "files", "rg s", "cuda-audit s", "ratio", "CPU/wall", "peak MiB"]
    if "exhaustive" in row:
        cols += ["exhaustive s", "exh. ratio"]
    if "rescan" in row:
        cols += ["unchanged s", "unchanged ratio", "1 changed s", "1 changed ratio"]
    if ast_grep:
        cols += ["ast-grep s"]
    if semgrep:
        cols += ["semgrep s"]
    rg, ca = row["rg"], row["ca"]
    rg_wall = max(rg["wall"], 1e-4)
    vals = [row["corpus"], f"{row['bytes'] / 1e6:.1f}", str(row["files"]), f"{rg['wall']:.3f}",
            f"{ca['wall']:.2f}", f"{ca['wall'] / rg_wall:.0f}x",
            f"{ca['cpu'] / max(ca['wall'], 0.01):.2f}", f"{ca['rss']:.0f}"]
    if "exhaustive" in row:
        ex = row["exhaustive"]
        vals += [f"{ex['wall']:.2f}", f"{ex['wall'] / rg_wall:.0f}x"]
    if "rescan" in row:
        re_, one = row["rescan"], row["rescan1"]
        vals += [f"{re_['wall']:.3f}", f"{re_['wall'] / rg_wall:.1f}x",
                 f"{one['wall']:.2f}", f"{one['wall'] / rg_wall:.1f}x"]
    if ast_grep:
        vals += [f"{row['ast-grep']['wall']:.2f}"]
    if semgrep:
        vals += [f"{row['semgrep']['wall']:.2f}"]
    if args.markdown:
        if first:
            print("| " + " | ".join(cols) + " |")
            print("|" + "|".join(" --- " for _ in cols) + "|")
        print("| " + " | ".join(vals) + " |", flush=True)
    else:
        widths = [max(len(c), 12 if i == 0 else 8) for i, c in enumerate(cols)]
        if first:
            print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
        print("  ".join(v.ljust(w) for v, w in zip(vals, widths)), flush=True)


if __name__ == "__main__":
    main()
