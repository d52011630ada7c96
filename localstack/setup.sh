#!/usr/bin/env bash
# Create, once, the virtualenv that runs LocalStack's core package on a host without docker.
#
# LocalStack 2026.3 needs Python 3.13; this finds one ($LOCALSTACK_PYTHON, a pyenv 3.13, or
# python3.13 on PATH), installs localstack/requirements.txt into .cache/localstack/venv and stamps
# the venv with the requirements' hash, so running it again is a no-op until they change.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
venv="${LOCALSTACK_VENV:-$here/../.cache/localstack/venv}"
requirements="$here/requirements.txt"
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"

if [ -f "$stamp" ]; then
    exit 0
fi

find_python() {
    if [ -n "${LOCALSTACK_PYTHON:-}" ]; then
        echo "$LOCALSTACK_PYTHON"
        return
    fi
    local candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
    if python3.13 -c "" >/dev/null 2>&1; then
        command -v python3.13
        return
    fi
    echo "localstack/setup.sh: no Python 3.13 found; install one or set LOCALSTACK_PYTHON" >&2
    exit 1
}

python="$(find_python)"
echo "localstack/setup.sh: installing LocalStack into $venv with $python (about two minutes)"
rm -rf "$venv"
"$python" -m venv "$venv"
# (this machine's pip configuration warns about absent local indexes; those lines are dropped)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
touch "$stamp"
