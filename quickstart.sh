#!/usr/bin/env bash
# Hotline's two commands (see README): `bash quickstart.sh demo` and `bash quickstart.sh test`.
# Works on a fresh Debian 12 with Python 3.11 as root: installs what is missing, says what it does.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n==> %s\n' "$*"; }

# HOTLINE_QUICKSTART_DRY_RUN=1: only say what uv would install or remove, then stop (tests/test_quickstart.py).
DRY_RUN=${HOTLINE_QUICKSTART_DRY_RUN:-}

apt_packages_needed() {
    # Debian packages the project uses at run or test time: a CJK font (screens, shipping notes) and
    # whatever the caller adds. python3-venv only matters when this python cannot make venvs already.
    local wanted=(fonts-wqy-microhei "$@") missing=()
    python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || wanted+=(python3-venv)
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "Installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

python_env() {
    if [ -n "$DRY_RUN" ]; then
        UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --python .venv/bin/python \
            --dry-run "$@"
        exit 0
    fi
    if [ ! -x .venv/bin/python ]; then
        say "Creating the Python virtual environment in .venv"
        python3 -m venv .venv
    fi
    if [ ! -x .venv/bin/uv ]; then
        say "Installing uv (the lock-file installer) into .venv"
        .venv/bin/python -m pip install -q --disable-pip-version-check uv
    fi
    say "Installing Hotline and its locked dependencies (uv.lock)"
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --quiet \
        --python .venv/bin/python "$@"
}

case "${1:-}" in
    demo)
        [ -n "$DRY_RUN" ] || apt_packages_needed
        # --inexact: leave what `quickstart.sh test` installed (pytest, Playwright…) where it is
        python_env --no-dev --inexact
        say "Starting the demo (SQLite in ./data); open http://127.0.0.1:8000/ — Ctrl+C stops it"
        exec .venv/bin/hotline demo
        ;;
    test)
        # SIPp and baresip: real SIP callers and phones for the engine's tests; chromium: the browser tests;
        # poppler-utils: reading printed shipping forms back (pdftotext) and their screenshots (pdftoppm)
        [ -n "$DRY_RUN" ] || apt_packages_needed sip-tester baresip chromium sipvicious poppler-utils
        python_env
        say "Running the test suite on ${DATABASE_URL:-SQLite}"
        .venv/bin/python -m pytest -n 2 -q -p no:cacheprovider
        ;;
    *)
        echo "usage: bash quickstart.sh demo | test" >&2
        exit 2
        ;;
esac
