#!/bin/sh
# Installs cuda-audit for the GitHub Action (action.yml): the prebuilt binary of the action's own
# release when the action is used at a version tag, otherwise a build from the action's source.
#
#   tools/install-action.sh ROOT      installs ROOT/bin/cuda-audit (cuda-audit.exe on Windows),
#                                     the layout of `cargo install --root ROOT`
#
# Which version: the ref the action was used at (`uses: OWNER/REPO@REF`), read from the action's
# directory, which the runner names .../_actions/OWNER/REPO/REF (GITHUB_ACTION_REF and
# GITHUB_ACTION_REPOSITORY are empty in composite actions, so they are only a fallback).
#   - REF is a version tag, vX.Y.Z[-pre]: download release vX.Y.Z's asset for this runner, check it
#     against the release's SHA256SUMS, install it. A missing asset or sums file, or a checksum
#     mismatch, is an error: a pinned release never silently turns into a build of other code.
#   - REF is a moving major or minor tag, vX or vX.Y: the release named by the version in the
#     action's Cargo.toml (the commit the tag points at), as above.
#   - anything else (a branch, a commit SHA, a local `uses: ./`), or a runner with no prebuilt
#     binary: `cargo install --locked --path ACTION_PATH` (needs a Rust toolchain).
#
# Environment (all optional):
#   CUDA_AUDIT_ACTION_PATH        the action's directory (default: GITHUB_ACTION_PATH, else the
#                                 directory above this script)
#   CUDA_AUDIT_ACTION_REF         the ref, instead of working it out as above
#   CUDA_AUDIT_ACTION_REPOSITORY  OWNER/REPO of the releases, likewise
#   CUDA_AUDIT_RELEASES_URL       base URL of the releases (default
#                                 https://github.com/OWNER/REPO/releases/download); assets are
#                                 fetched from BASE/TAG/NAME; file:// URLs work with curl
#   RUNNER_OS, RUNNER_ARCH        the platform (as GitHub sets them; default: from uname)
#
# Needs curl or wget, sha256sum or shasum, tar (unzip on Windows). Exit status 0 installed, 1 not.
set -eu

say() { printf '%s\n' "$*" >&2; }
warn() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then say "::warning title=cuda-audit install::$*"; else say "warning: $*"; fi
}
die() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then say "::error title=cuda-audit install::$*"; else say "error: $*"; fi
  exit 1
}

if [ $# -ne 1 ] || [ -z "$1" ]; then die "usage: $0 ROOT (installs ROOT/bin/cuda-audit)"; fi
root=$1

# --- the action: its directory, repository and ref -------------------------------------------
action_path=${CUDA_AUDIT_ACTION_PATH:-${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}}
# Windows runners give D:\a\_actions\OWNER\REPO\REF.
path_slashes=$(printf '%s' "$action_path" | tr '\134' '/')
path_repo=""
path_ref=""
case $path_slashes in
  */_actions/*/*/*)
    rest=${path_slashes##*/_actions/}
    owner=${rest%%/*}
    rest=${rest#*/}
    name=${rest%%/*}
    path_repo="$owner/$name"
    path_ref=${rest#*/}
    path_ref=${path_ref%/}
    ;;
esac
ref=${CUDA_AUDIT_ACTION_REF:-${path_ref:-${GITHUB_ACTION_REF:-}}}
repo=${CUDA_AUDIT_ACTION_REPOSITORY:-${path_repo:-${GITHUB_ACTION_REPOSITORY:-}}}

build_from_source() {
  command -v cargo >/dev/null 2>&1 ||
    die "building cuda-audit from source ($1) needs cargo: add a Rust toolchain step (e.g. dtolnay/rust-toolchain@stable) before the action, or use the action at a release tag (vX.Y.Z) for a prebuilt binary"
  say "cuda-audit: building from source ($1): cargo install --locked --path $action_path"
  cargo install --locked --quiet --path "$action_path" --root "$root"
  exit 0
}

# The version to download, or a build from source.
cargo_version() {
  # The first `version = "…"` line: [package] comes first in Cargo.toml.
  sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" 2>/dev/null | head -n 1
}
case $ref in
  v[0-9]*.[0-9]*.[0-9]*)
    tag=$ref
    ;;
  v[0-9] | v[0-9][0-9] | v[0-9].[0-9]* | v[0-9][0-9].[0-9]*)
    v=$(cargo_version)
    case $v in
      "${ref#v}".*) tag="v$v" ;;
      *) die "the action is used at $ref, but its Cargo.toml has version '${v:-none}': $ref should point at a release whose version starts with ${ref#v}." ;;
    esac
    ;;
  "") build_from_source "no version tag: a local action or an unknown ref" ;;
  *) build_from_source "ref '$ref' is not a release tag" ;;
esac
case $tag in
  *[!A-Za-z0-9._+-]*) die "'$tag' is not a version tag this script can download" ;;
esac
version=${tag#v}

# --- the platform ------------------------------------------------------------------------------
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case $os in
  Linux | linux) os=linux ;;
  macOS | Darwin) os=macos ;;
  Windows | MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
esac
case $arch in
  X64 | x86_64 | amd64 | AMD64) arch=x86_64 ;;
  ARM64 | aarch64 | arm64) arch=aarch64 ;;
esac
exe=""
ext=tar.gz
case $os/$arch in
  linux/x86_64) target=x86_64-unknown-linux-musl ;;
  linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macos/x86_64) target=x86_64-apple-darwin ;;
  macos/aarch64) target=aarch64-apple-darwin ;;
  windows/x86_64) target=x86_64-pc-windows-msvc exe=.exe ext=zip ;;
  *)
    warn "cuda-audit $tag has no prebuilt binary for $os/$arch: building it from the action's source"
    build_from_source "no prebuilt binary for $os/$arch"
    ;;
esac

# --- download, verify, unpack ------------------------------------------------------------------
if [ -n "${CUDA_AUDIT_RELEASES_URL:-}" ]; then
  base=${CUDA_AUDIT_RELEASES_URL%/}
else
  [ -n "$repo" ] || die "cannot tell which repository the action comes from (its directory is $action_path): set CUDA_AUDIT_ACTION_REPOSITORY=OWNER/REPO or CUDA_AUDIT_RELEASES_URL"
  base="https://github.com/$repo/releases/download"
fi
stem="cuda-audit-$version-$target"
asset="$stem.$ext"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cuda-audit-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --retry 3 --connect-timeout 30 --output "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --tries=3 --timeout=30 --output-document="$2" "$1"
  else
    die "neither curl nor wget is installed"
  fi
}
sha256() { # from standard input, so that no file name can change the output's format
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 | cut -d ' ' -f 1
  else
    die "neither sha256sum nor shasum is installed"
  fi
}

say "cuda-audit: downloading $base/$tag/$asset"
fetch "$base/$tag/$asset" "$tmp/$asset" ||
  die "cuda-audit $tag: could not download $base/$tag/$asset. The release may still be building (its assets appear a few minutes after the tag is pushed) or it has no binary for $target. Use the action at a published release tag, or at a branch or commit SHA to build from source."
fetch "$base/$tag/SHA256SUMS" "$tmp/SHA256SUMS" ||
  die "cuda-audit $tag: could not download $base/$tag/SHA256SUMS, so $asset cannot be verified"

expected=$(awk -v f="$asset" '{ n = $2; sub(/^\*/, "", n); if (n == f) { print tolower($1); exit } }' "$tmp/SHA256SUMS")
case $expected in
  "") die "cuda-audit $tag: SHA256SUMS has no line for $asset" ;;
  *[!0-9a-f]*) die "cuda-audit $tag: SHA256SUMS has a malformed checksum for $asset: $expected" ;;
esac
[ ${#expected} -eq 64 ] || die "cuda-audit $tag: SHA256SUMS has a malformed checksum for $asset: $expected"
actual=$(sha256 <"$tmp/$asset" | tr 'A-F' 'a-f')
[ "$actual" = "$expected" ] ||
  die "cuda-audit $tag: checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual. Nothing was installed."

mkdir "$tmp/unpacked"
case $ext in
  tar.gz) tar -xzf "$tmp/$asset" -C "$tmp/unpacked" ;;
  zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$tmp/$asset" -d "$tmp/unpacked"
    else
      tar -xf "$tmp/$asset" -C "$tmp/unpacked"
    fi
    ;;
esac
bin="$tmp/unpacked/$stem/cuda-audit$exe"
[ -f "$bin" ] || die "cuda-audit $tag: $asset has no $stem/cuda-audit$exe"
chmod +x "$bin"
# The binary must run here and be the version asked for, before it replaces anything.
out=$("$bin" --version 2>&1) || die "cuda-audit $tag: the downloaded binary does not run on this runner ($target): $out"
[ "$out" = "cuda-audit $version" ] || die "cuda-audit $tag: the downloaded binary says '$out', not 'cuda-audit $version'"

mkdir -p "$root/bin"
cp "$bin" "$root/bin/.cuda-audit$exe.part"
mv -f "$root/bin/.cuda-audit$exe.part" "$root/bin/cuda-audit$exe"
say "cuda-audit: installed $version ($target) in $root/bin, checksum verified"
