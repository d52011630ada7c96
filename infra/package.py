"""``make package [ARCH=arm64|x86_64]``: one zip per Lambda function in ``dist/lambda/``.

Dependencies are manylinux wheels for CPython 3.12 on the chosen architecture, installed with
``pip install --platform … --only-binary=:all: --target …`` whatever this machine runs. The search
and presign zips carry only what their import graph needs (no pyarrow, pystac or boto3: the
runtime provides boto3); the reindex zip (also the scheduled reconcile's) carries the builder,
with the parts of pyarrow it never loads left out. Each zip's size, zipped and unzipped, is printed.

    python -m infra.package --arch x86_64 [--out dist/lambda] [--only search]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.bundle import Sizes, measure, strip, strip_binaries, write_zip

REPO = Path(__file__).resolve().parent.parent
RUNTIME = "3.12"
MANYLINUX = ("manylinux2014", *(f"manylinux_2_{minor}" for minor in range(17, 35)))
"""Wheel platforms accepted: Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34). Every
glibc version is listed, since pip takes a given ``--platform`` literally (obstore's arm64 wheels
are ``manylinux_2_24``)."""
ON_THE_RUNTIME = ("boto3", "botocore", "s3transfer")
"""Provided by the python3.12 runtime (and too big to ship twice)."""


@dataclass(frozen=True)
class Function:
    """What one zip holds: the project's packages and the distributions they import."""

    name: str
    packages: tuple[str, ...]
    distributions: tuple[str, ...] | None
    """Names from pyproject's dependencies; None: all of them but what the runtime provides."""


SERVING = ("tantivy", "obstore", "aws-lambda-powertools", "orjson", "shapely")
FUNCTIONS = (
    Function("search", ("stacsift", "functions"), SERVING),
    Function("presign", ("stacsift", "functions"), SERVING),
    Function("reindex", ("stacsift", "functions", "index_builder"), None),
)


def requirements(function: Function, pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The pinned requirement strings from pyproject that ``function`` needs."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    by_name = {_name(spec): spec for spec in declared}
    if function.distributions is None:
        return [spec for name, spec in by_name.items() if name not in ON_THE_RUNTIME]
    return [by_name[name] for name in function.distributions]


def _name(spec: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", spec)
    if match is None:
        raise ValueError(f"not a requirement: {spec!r}")
    return match.group(0).lower().replace("_", "-")


def install_dependencies(specs: list[str], arch: str, cache: Path) -> Path:
    """A folder with ``specs`` installed for the runtime, reused while the specs are the same."""
    key = hashlib.sha256("\n".join([arch, *MANYLINUX, *sorted(specs)]).encode()).hexdigest()[:16]
    target = cache / f"{arch}-{key}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    platforms = [arg for tag in MANYLINUX for arg in ("--platform", f"{tag}_{arch}")]
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        *platforms, "--only-binary=:all:", "--implementation", "cp",
        "--python-version", RUNTIME, "--target", str(target), *specs,
    ]  # fmt: skip
    done = subprocess.run(command, check=False, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        errors = [line for line in done.stderr.splitlines() if "is ignored" not in line]
        raise SystemExit(f"pip failed for {arch}:\n" + "\n".join(errors))
    for name in ON_THE_RUNTIME:
        for path in target.glob(f"{name}*"):  # the package and its .dist-info
            if _name(path.name.split("-")[0]) == name:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    (target / ".complete").touch()
    return target


def stage(function: Function, deps: Path, arch: str, folder: Path) -> None:
    """Copy dependencies and the project's packages into ``folder``, strip, compile to 3.12."""
    shutil.copytree(deps, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete"))
    for package in function.packages:
        shutil.copytree(REPO / package, folder / package, ignore=shutil.ignore_patterns("*.pyc"))
    strip(folder)
    strip_binaries(folder, arch)
    _compile(folder)


def _compile(folder: Path) -> None:
    """Bytecode for the runtime's Python, when one is here: imports skip compiling at cold start."""
    python = runtime_python()
    if python is None:
        return
    command = [str(python), "-m", "compileall", "-q", "-j", "0",
               "--invalidation-mode", "unchecked-hash", str(folder)]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def runtime_python() -> Path | None:
    """A CPython of the runtime's version on this machine (pyenv's, or on PATH), or None."""
    found = sorted(Path.home().glob(f".pyenv/versions/{RUNTIME}.*/bin/python{RUNTIME}"))
    if found:
        return found[-1]
    which = shutil.which(f"python{RUNTIME}")
    return Path(which) if which else None


def package(function: Function, arch: str, out: Path, cache: Path) -> Sizes:
    """Build ``out/<function>.zip`` for ``arch`` and return its sizes.

    A zip built before from the same code and requirements is copied from ``cache``.
    """
    deps = install_dependencies(requirements(function), arch, cache)
    built = cache / "zips" / f"{function.name}-{arch}-{_inputs_key(function, deps)}.zip"
    if not built.exists():
        with tempfile.TemporaryDirectory(prefix=f"stacsift-{function.name}-") as tmp:
            folder = Path(tmp) / "code"
            stage(function, deps, arch, folder)
            write_zip(folder, built)
        for older in built.parent.glob(f"{function.name}-{arch}-*.zip"):
            if older != built:
                older.unlink()  # the cache keeps one zip per function and architecture
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, out / f"{function.name}.zip")
    return measure(out / f"{function.name}.zip")


def _inputs_key(function: Function, deps: Path) -> str:
    """What a zip is made of: its dependencies' folder, the packaging code, the project's files."""
    digest = hashlib.sha256(deps.name.encode())
    sources = [Path(__file__), Path(__file__).with_name("bundle.py")]
    for package in function.packages:
        sources += sorted(p for p in (REPO / package).rglob("*") if p.is_file())
    for path in sources:
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--arch", choices=("arm64", "x86_64"), default="arm64")
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "lambda")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "lambda-deps")
    parser.add_argument("--only", action="append", choices=[f.name for f in FUNCTIONS])
    args = parser.parse_args(argv)
    wanted = [f for f in FUNCTIONS if not args.only or f.name in args.only]
    for function in wanted:
        arch = "aarch64" if args.arch == "arm64" else "x86_64"
        print(package(function, arch, args.out, args.cache).line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
