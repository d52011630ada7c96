#!/usr/bin/env bash
# Create, once, a tool's own virtualenv from a requirements file, with a given Python minor version.
#
#   infra/toolvenv.sh VENV_DIR 3.12 REQUIREMENTS_FILE [PYTHON]
#
# The Python is PYTHON if given, else a pyenv one of that version, else pythonX.Y on PATH. The venv
# is stamped with the requirements' hash, so running this again is a no-op until they change.
set -euo pipefail

venv="$(realpath -m "$1")"  # its scripts name this path: not through a symlink that may go
version="$2"
requirements="$3"
python="${4:-}"
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"

if [ -f "$stamp" ]; then
    exit 0
fi

find_python() {
    local candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version"*/bin/python"$version"; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
    if "python$version" -c "" >/dev/null 2>&1; then
        command -v "python$version"
        return
    fi
    echo "infra/toolvenv.sh: no Python $version found; install one or pass its path" >&2
    exit 1
}

if [ -z "$python" ]; then
    python="$(find_python)"
fi
echo "installing $requirements into $venv with $python (a few minutes the first time)"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# (this machine's pip configuration warns about absent local indexes; those lines are dropped)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
touch "$stamp"
