"""The folders a local index was crawled from, as served by ``stacsift serve`` under ``/files``.

A catalog crawled from a folder has ``file://`` asset hrefs (made absolute by
:mod:`stacsift.hrefs`), which only the machine that built the index can open. ``stacsift serve``
serves those folders read-only, so the API hands out ``http://…/files/<folder>/<path>`` instead:
the folder of each ``file://`` source in the manifest, named by its base name (without leading
dots). Only files under
those folders are reachable: no ``.``/``..``/empty/hidden segments, and a path that resolves
(symlinks followed) outside its folder is not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from stacsift.errors import NotFound

FILES_PREFIX = "/files"


@dataclass(frozen=True)
class ServedFolders:
    """Name → local folder of every folder that is served."""

    folders: dict[str, Path]

    @classmethod
    def of_sources(cls, sources: Iterable[str]) -> ServedFolders:
        """The folders of the ``file://`` sources (a source's folder is its root file's)."""
        folders: dict[str, Path] = {}
        for source in sources:
            if not source.startswith("file://"):
                continue
            folder = Path(unquote(urlsplit(source).path)).parent
            if folder in folders.values():
                continue
            name = folder.name.lstrip(".") or "root"  # ./.stacsift-sample → stacsift-sample
            unique, number = name, 2
            while unique in folders:
                unique, number = f"{name}-{number}", number + 1
            folders[unique] = folder
        return cls(folders)

    def url(self, href: str, base: str) -> str | None:
        """Where ``href`` (a ``file://`` URL) is served under ``base``; None when it is not."""
        if not href.startswith("file://"):
            return None
        path = Path(unquote(urlsplit(href).path))
        for name, folder in self.folders.items():
            if path.is_relative_to(folder) and path != folder:
                relative = path.relative_to(folder).as_posix()
                return f"{base}{FILES_PREFIX}/{quote(name, safe='')}/{quote(relative)}"
        return None

    def path(self, served: str) -> Path:
        """The file that the decoded path ``<folder>/<path>`` (under ``/files/``) names."""
        name, _, relative = served.partition("/")
        folder = self.folders.get(name)
        segments = relative.split("/")
        if folder is None or not relative or any(_hidden(s) for s in segments):
            raise NotFound(f"no served file {served!r}")
        root = folder.resolve()
        try:
            found = root.joinpath(*segments).resolve(strict=True)
        except (OSError, RuntimeError) as err:
            raise NotFound(f"no served file {served!r}") from err
        if not found.is_relative_to(root) or not found.is_file():
            raise NotFound(f"no served file {served!r}")
        return found


def _hidden(segment: str) -> bool:
    return not segment or segment.startswith(".") or "\\" in segment or "\x00" in segment
