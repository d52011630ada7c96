#!/usr/bin/env bash
# Run LocalStack on this host (no docker) with S3 checking presigned signatures and expiry.
#
#   LOCALSTACK_PORT=4566 LOCALSTACK_VOLUME_DIR=/tmp/ls localstack/host.sh
#
# Listens on 127.0.0.1 only. The test session starts it this way on a free port (see
# tests/localstack.py); run localstack/setup.sh (or `make localstack`) first.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
venv="${LOCALSTACK_VENV:-$here/../.cache/localstack/venv}"
port="${LOCALSTACK_PORT:-4566}"
volume="${LOCALSTACK_VOLUME_DIR:-$here/../.cache/localstack/volume}"

if [ ! -x "$venv/bin/python" ]; then
    echo "localstack/host.sh: $venv is missing; run localstack/setup.sh" >&2
    exit 1
fi
mkdir -p "$volume"

export GATEWAY_LISTEN="127.0.0.1:$port"
export GATEWAY_SERVER=hypercorn
export DNS_ADDRESS=0
export SKIP_SSL_CERT_DOWNLOAD=1
export DISABLE_EVENTS=1
export S3_SKIP_SIGNATURE_VALIDATION=0
export LOCALSTACK_VOLUME_DIR="$volume"
export PYTHONUNBUFFERED=1
exec "$venv/bin/python" -m localstack.runtime.main
