#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, installed
# with `go install` from the Go module proxy into target/tools/bin (pinned version). The
# workflows cannot run on this machine (they need GitHub's macOS/Windows runners and the
# Android NDK); this checks their syntax, expressions, job graph and action inputs.
# Without Go it says so loudly and checks nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VERSION=v1.7.12
BIN="$ROOT/target/tools/bin/actionlint"

if ! "$BIN" -version 2>/dev/null | head -n 1 | grep -qx "$VERSION"; then
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<'MSG'
###########################################################################################
# actionlint: SKIPPED: no `go` on this machine to install actionlint with. The release     #
# workflows in .github/workflows were NOT checked. Install Go (apt-get install golang-go)  #
# and run scripts/actionlint.sh.                                                            #
###########################################################################################
MSG
    exit 0
  fi
  GOBIN="$ROOT/target/tools/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
fi
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#files[@]} -gt 0 ] || { echo "actionlint: no workflows in .github/workflows" >&2; exit 1; }
# With shellcheck installed, actionlint also checks every `run:` script.
if ! command -v shellcheck >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; } || true
fi
command -v shellcheck >/dev/null || echo "actionlint: NOTE: shellcheck is not installed: the run: scripts are not shell-checked"
"$BIN" -no-color "${files[@]}"
echo "actionlint $VERSION: ${#files[@]} workflow file(s) clean: ${files[*]}"
