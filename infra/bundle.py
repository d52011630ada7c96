"""Lambda zips from a staged folder: what is left out, writing the zip, and its sizes.

Lambda refuses a function whose code, unzipped, passes 250 MB (262,144,000 bytes), so every zip
is measured as it is written and refused beyond that.
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

UNZIPPED_LIMIT = 262_144_000
"""Lambda's limit for a function's code, unzipped (250 MB, layers included)."""

ANYWHERE = ("__pycache__", "tests", "*.pyi", "py.typed", "*.pyx", "*.pxd", "*.pxi", "*.a", "*.h")
"""Never needed at run time, in any package."""

PYARROW_UNUSED = (
    "include",
    "src",
    "cmake",
    "conftest.py",
    "*.cc",
    "*.cpp",
    "*flight*",
    "_substrait*",
    "substrait.py",
    "*gandiva*",
    "_s3fs*",
    "libarrow_s3*",
    "_pyarrow_cpp_tests*",
    "libarrow*.so",
    "libparquet*.so",
    "lib*.so.*.*.*",
)
"""Parts of pyarrow the builder never loads: Flight (RPC), the Substrait bindings (pyarrow.lib
links libarrow_substrait itself, so that stays), Gandiva, its own S3 filesystem (stacsift reads
and writes S3 with obstore; pyarrow.fs loads it only if present), headers, sources, tests, and the
copies of shared libraries under their link-time names (the extensions load ``lib*.so.N``)."""

NOT_IMPORTED = ("pyogrio", "pyogrio.libs")
"""Distributions installed as dependencies but never imported by the functions: geopandas loads
pyogrio only to read and write files, which the builder does with pyarrow."""

STRIP: dict[str, tuple[str, ...]] = {"pyarrow": PYARROW_UNUSED}


class TooLarge(Exception):
    """A zip whose contents would not fit Lambda's unzipped limit."""


@dataclass(frozen=True)
class Sizes:
    """A written zip: its path, its size, and the size of what it holds."""

    path: Path
    zipped: int
    unzipped: int

    def line(self) -> str:
        mb = 1_000_000
        return (
            f"{self.path.name:<12} {self.zipped / mb:7.1f} MB zipped  "
            f"{self.unzipped / mb:7.1f} MB unzipped  (limit {UNZIPPED_LIMIT / mb:.1f} MB)"
        )


def strip(folder: Path) -> int:
    """Delete what is never needed at run time under ``folder``; returns the bytes removed."""
    removed = _remove(folder, folder.iterdir(), NOT_IMPORTED)
    removed += _remove(folder, folder.rglob("*"), ANYWHERE)
    for package, patterns in STRIP.items():
        top = folder / package
        if top.is_dir():
            removed += _remove(top, top.rglob("*"), patterns)
    return removed


STRIPPERS = {
    "x86_64": ("strip", "llvm-strip"),
    "aarch64": ("aarch64-linux-gnu-strip", "llvm-strip"),
}
"""Tools that drop the symbol tables of shared libraries of each architecture, first found wins."""


def strip_binaries(folder: Path, arch: str) -> None:
    """``--strip-unneeded`` every shared library under ``folder`` (the dynamic symbols stay).

    Wheels ship their libraries with full symbol tables: a sixth of the builder's size.
    """
    tool = next((t for t in STRIPPERS[arch] if shutil.which(t)), None)
    if tool is None:
        wanted = " or ".join(STRIPPERS[arch])
        raise SystemExit(f"no {wanted} here to strip {arch} libraries: install binutils or llvm")
    libraries = sorted(str(p) for p in folder.rglob("*.so*") if p.is_file() and _is_elf(p))
    for start in range(0, len(libraries), 200):
        subprocess.run([tool, "--strip-unneeded", *libraries[start : start + 200]], check=True)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def _remove(base: Path, paths: Iterator[Path], patterns: tuple[str, ...]) -> int:
    removed = 0
    for path in sorted(paths, key=lambda p: len(p.parts)):
        if not path.exists() and not path.is_symlink():
            continue  # inside a folder removed already
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            removed += _size(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    return removed


def _size(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.lstat().st_size


def write_zip(folder: Path, dest: Path, limit: int = UNZIPPED_LIMIT) -> Sizes:
    """Zip ``folder``'s contents (paths relative to it, in a stable order) into ``dest``.

    Raises :class:`TooLarge` (and leaves no zip) when the contents pass ``limit`` bytes.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    unzipped = sum(p.stat().st_size for p in files)
    if unzipped > limit:
        raise TooLarge(f"{dest.name}: {unzipped:,} bytes unzipped, over Lambda's {limit:,}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), (2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    partial.replace(dest)
    return measure(dest)


def measure(path: Path) -> Sizes:
    """The sizes of an existing zip, as Lambda counts them."""
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return Sizes(path, path.stat().st_size, unzipped)
