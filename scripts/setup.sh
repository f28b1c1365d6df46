#!/usr/bin/env bash
# Idempotent set-up of everything the pipeline and the tests need, on a fresh machine.
#   scripts/setup.sh            Python venv (.venv) with the pinned packages, MathJax for the book
#   scripts/setup.sh --browser  also Debian's headless Chromium (for the book's browser test)
# Re-running is cheap: each step is skipped when its stamp matches its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup.sh: unknown option '$arg' (known: --browser)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup.sh: Python 3.11 is required (found $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

# 1. Python environment. torch==2.13.0 is pinned in pyproject.toml: pip takes the CPU wheel.
stamp=.venv/.iam-repro-installed
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[workflow,test,traffic,atari,bench]'
  # The book executes its pages with this kernel.
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$want" > "$stamp"
fi

# 2. MathJax 3 from the npm registry, served from the book itself (the book must work offline).
mathjax_dir=.cache/mathjax
if [ ! -f "$mathjax_dir/es5/tex-chtml.js" ]; then
  command -v npm >/dev/null || { echo "setup.sh: npm is needed to fetch MathJax (apt-get install npm)" >&2; exit 1; }
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent mathjax@3 >/dev/null && tar -xzf mathjax-3*.tgz)
  mkdir -p "$mathjax_dir"
  rm -rf "$mathjax_dir/es5" && mv "$tmp/package/es5" "$mathjax_dir/es5"
  rm -rf "$tmp"
fi

# 3. Headless Chromium for the browser test (Debian package; Playwright drives it).
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "setup.sh: chromium is missing; install it with: sudo apt-get install chromium" >&2; exit 1
  fi
fi
