"""The deployed stack on a laptop: MiniStack runs infra/template.yaml with its Lambdas.

    python -m infra.stack deploy   # make deploy-local: start MiniStack, package, sam deploy
    python -m infra.stack sample   # make run-stack: upload the sample catalog, print curls
    python -m infra.stack stop     # make stop-local

MiniStack (a local AWS emulator, its own process on a free loopback port) runs each function as a
process of its own interpreter, so it runs from a Python 3.12 venv (``make ministack``), like the
Lambda runtime, and the zips are built for this machine's architecture. The template is deployed
with the SAM CLI of ``make stack-tools``. The HTTP API answers on MiniStack's path-style URL
``<endpoint>/_aws/execute-api/<api id>/``: its id is pinned before deploying (``LocalApiId``), so
that the functions' links can use it (``PublicUrl``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from infra import package

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".stacsift-stack.json"
WORK = REPO / ".cache" / "stack"
MINISTACK_PYTHON = REPO / ".cache" / "ministack" / "venv" / "bin" / "python"
SAM = REPO / ".cache" / "sam" / "venv" / "bin" / "sam"
REGION = "us-east-1"
ARTIFACTS = "stacsift-artifacts"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@dataclass(frozen=True)
class Emulator:
    """A running MiniStack: where it answers, its process (a session leader) and its log."""

    endpoint: str
    pid: int
    log: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    """Set in the process that started it, which reaps it."""

    def state(self) -> dict[str, Any]:
        """What another process needs to find and stop it."""
        return {"Endpoint": self.endpoint, "pid": self.pid, "log": self.log}

    def env(self) -> dict[str, str]:
        """The variables that point AWS clients (boto3, the SAM CLI, stacsift) at it."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": REGION, **CREDENTIALS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_ministack(work: Path, port: int | None = None, timeout: float = 60.0) -> Emulator:
    """MiniStack on ``127.0.0.1:port`` (a free one by default), ready to answer."""
    if not MINISTACK_PYTHON.exists():
        raise SystemExit(f"{MINISTACK_PYTHON} is missing: run `make ministack`")
    port = port or free_port()
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"ministack-{port}.log"
    env = os.environ | {
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "MINISTACK_REGION": REGION,
        "S3_DATA_DIR": str(work / f"s3-{port}"),
        "TMPDIR": str(work),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(MINISTACK_PYTHON), "-m", "ministack"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its Lambda workers stop with it
        )
    emulator = Emulator(f"http://127.0.0.1:{port}", process.pid, str(log), process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"MiniStack exited ({process.returncode}); see {log}")
        try:
            health = f"{emulator.endpoint}/_ministack/health"  # http://127.0.0.1:port, ours
            with urllib.request.urlopen(health, timeout=2):  # noqa: S310
                return emulator
        except OSError:
            time.sleep(0.2)
    stop(emulator)
    raise SystemExit(f"MiniStack did not answer within {timeout:.0f} s; see {log}")


def stop(emulator: Emulator, grace: float = 10.0) -> None:
    """Stop a MiniStack that :func:`start_ministack` started, and its function processes."""
    try:
        os.killpg(emulator.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if emulator.process is not None:  # ours to reap
        try:
            emulator.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(emulator.pid, signal.SIGKILL)
            emulator.process.wait()
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(emulator.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(emulator.pid, signal.SIGKILL)


def deploy(
    emulator: Emulator,
    zips: Mapping[str, Path],
    work: Path,
    *,
    arch: str,
    stack_name: str = "stacsift",
    parameters: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``sam deploy`` of infra/template.yaml with ``zips``; the stack's outputs, plus the
    emulator's ``Endpoint`` and the API's local ``ApiUrl``."""
    if not SAM.exists():
        raise SystemExit(f"{SAM} is missing: run `make stack-tools`")
    layout = work / "deploy"
    (layout / "infra").mkdir(parents=True, exist_ok=True)
    (layout / "dist" / "lambda").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "infra" / "template.yaml", layout / "infra" / "template.yaml")
    for name, path in zips.items():
        shutil.copyfile(path, layout / "dist" / "lambda" / f"{name}.zip")
    clients = _session()
    s3 = clients.client("s3", endpoint_url=emulator.endpoint)
    if ARTIFACTS not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=ARTIFACTS)
    api_id = secrets.token_hex(4)
    api_url = f"{emulator.endpoint}/_aws/execute-api/{api_id}"
    overrides = {
        "Architecture": "arm64" if arch == "aarch64" else "x86_64",
        "LocalApiId": api_id,
        "PublicUrl": api_url,
        **(parameters or {}),
    }
    command = [
        str(SAM), "deploy", "--template-file", str(layout / "infra" / "template.yaml"),
        "--stack-name", stack_name, "--s3-bucket", ARTIFACTS, "--region", REGION,
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
        "--no-confirm-changeset", "--no-fail-on-empty-changeset",
        "--parameter-overrides", *[f"{k}={v}" for k, v in overrides.items()],
    ]  # fmt: skip
    log = work / "sam-deploy.log"
    with log.open("w") as out:
        done = subprocess.run(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ | emulator.env() | {"SAM_CLI_TELEMETRY": "0"},
            check=False,
        )
    if done.returncode:
        raise SystemExit(f"sam deploy failed; see {log}:\n" + _tail(log))
    cfn = clients.client("cloudformation", endpoint_url=emulator.endpoint)
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return outputs | {"ApiUrl": f"{api_url}/", "Endpoint": emulator.endpoint}


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def host_arch() -> str:
    return "aarch64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def build_zips(out: Path) -> dict[str, Path]:
    """The functions' zips for this machine (MiniStack runs them with its own CPython)."""
    cache = REPO / ".cache" / "lambda-deps"
    built = {}
    for function in package.FUNCTIONS:
        sizes = package.package(function, host_arch(), out, cache)
        print(sizes.line(), flush=True)
        built[function.name] = sizes.path
    return built


def s3_client(state: Mapping[str, Any]) -> Any:
    return _session().client("s3", endpoint_url=state["Endpoint"])


def upload_folder(s3: Any, folder: Path, bucket: str, prefix: str) -> int:
    """Every file under ``folder`` to ``s3://bucket/prefix…``, STAC JSON last (its assets first)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.suffix == ".json")
    for path in files:
        s3.upload_file(str(path), bucket, prefix + path.relative_to(folder).as_posix())
    return len(files)


def cmd_deploy() -> int:
    if STATE.exists():
        running = json.loads(STATE.read_text())
        print(f"a local stack is running at {running['ApiUrl']}: `make stop-local` first")
        return 1
    zips = build_zips(WORK / "dist" / "lambda")
    emulator = start_ministack(WORK)
    try:
        outputs = deploy(emulator, zips, WORK, arch=host_arch())
    except BaseException:
        stop(emulator)
        raise
    STATE.write_text(json.dumps(outputs | emulator.state(), indent=2) + "\n")
    print(f"stack deployed on MiniStack ({emulator.endpoint}); outputs in {STATE.name}")
    print(f"API: {outputs['ApiUrl']}")
    print(f"upload STAC JSON under s3://{outputs['Bucket']}/{outputs['WatchPrefix']} to index it")
    print("  (`make run-stack` uploads the sample catalog; `make stop-local` stops it all)")
    return 0


def cmd_sample() -> int:
    state = json.loads(STATE.read_text()) if STATE.exists() else None
    if state is None:
        print("no local stack: run `make deploy-local` first")
        return 1
    sample = WORK / "sample"
    shutil.rmtree(sample, ignore_errors=True)
    stacsift = Path(sys.executable).with_name("stacsift")
    subprocess.run([str(stacsift), "sample", str(sample)], check=True, stdout=subprocess.DEVNULL)
    prefix = f"{state['WatchPrefix']}sample/"
    count = upload_folder(s3_client(state), sample, state["Bucket"], prefix)
    api = state["ApiUrl"]
    print(f"uploaded {count} files to s3://{state['Bucket']}/{prefix}; the reindex function")
    print("indexes them within seconds. Then:")
    print(f"  curl '{api}search?q=forest'")
    print(f"  curl '{api}search?q=Forest*&limit=5'")
    print(f"  curl '{api}collections'")
    print(f"  curl '{api}sign?href=s3%3A%2F%2F{state['Bucket']}%2F{prefix.replace('/', '%2F')}…'")
    return 0


def cmd_stop() -> int:
    if not STATE.exists():
        print("no local stack is running")
        return 0
    state = json.loads(STATE.read_text())
    stop(Emulator(state["Endpoint"], int(state["pid"]), state["log"]))
    STATE.unlink()
    print(f"stopped MiniStack at {state['Endpoint']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the stack on MiniStack")
    parser.add_argument("command", choices=("deploy", "sample", "stop"))
    command = parser.parse_args(argv).command
    return {"deploy": cmd_deploy, "sample": cmd_sample, "stop": cmd_stop}[command]()


if __name__ == "__main__":
    raise SystemExit(main())
