#!/usr/bin/env bash
# Create, once, the virtualenv that runs LocalStack's core package on a host without docker.
#
# LocalStack 2026.3 needs Python 3.13: $LOCALSTACK_PYTHON, a pyenv 3.13, or python3.13 on PATH.
# localstack/requirements.txt goes into .cache/localstack/venv (infra/toolvenv.sh stamps the venv
# with the requirements' hash, so running this again is a no-op until they change).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
venv="${LOCALSTACK_VENV:-$here/../.cache/localstack/venv}"
exec bash "$here/../infra/toolvenv.sh" "$venv" 3.13 "$here/requirements.txt" "${LOCALSTACK_PYTHON:-}"
