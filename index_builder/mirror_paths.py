"""Where each mirrored object goes: the best-practices layout, with safe and stable names.

``catalog.json`` at the root; a child catalog or collection in a folder named after its id
(``<id>/catalog.json``, ``<id>/collection.json``) inside its parent's folder; an item in its own
folder beside them (``<id>/<id>.json``), its assets next to it. A name is the id itself when the
id is plain (ASCII letters, digits, ``.``, ``_``, ``-``; not starting with ``.``; short enough);
any other id (with ``/``, spaces, unicode, …) becomes an ASCII slug, ``~`` and a hash of the id.
``~`` never occurs in a plain name, so two different ids never share a name, and the same id gets
the same name on every run.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
HASH_CHARS = 12
STATE_DIR = ".stacsift-mirror"
"""The mirror's own files under DEST; event reindexing ignores segments starting with ".")."""


def safe_name(text: str) -> str:
    """A file or folder name for ``text`` (an id, a file name): itself if plain, else a slug."""
    if PLAIN.fullmatch(text):
        return text
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = UNSAFE.sub("-", folded).strip(".-")[:60]
    digest = hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]
    return f"{slug}~{digest}" if slug else f"~{digest}"


def container_key(parent_dir: str | None, kind: str, object_id: str) -> str:
    """The key of a catalog or collection; the root (no parent) is ``catalog.json``."""
    if parent_dir is None:
        return "catalog.json"
    name = "collection.json" if kind == "Collection" else "catalog.json"
    return join(parent_dir, safe_name(object_id), name)


def item_key(parent_dir: str, object_id: str) -> str:
    name = safe_name(object_id)
    return join(parent_dir, name, f"{name}.json")


def asset_name(href: str, asset_key: str) -> str:
    """A file name for an asset: its source file name made safe (the asset key if it has none)."""
    base = posixpath.basename(unquote(urlsplit(href).path))
    return safe_name(base) if base else safe_name(asset_key)


def join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def folder(key: str) -> str:
    return posixpath.dirname(key)


def relative(from_key: str, to_key: str) -> str:
    """The href from the object at ``from_key`` to the one at ``to_key``, ``./``-prefixed.

    Keys are clean (no ``.``, ``..`` or empty segments), so plain string work does it, without
    ``posixpath.relpath`` (which asks the OS for the working directory, on every link)."""
    base = from_key.split("/")[:-1]
    target = to_key.split("/")
    common = 0
    while common < len(base) and common < len(target) - 1 and base[common] == target[common]:
        common += 1
    rest = "/".join(target[common:])
    up = len(base) - common
    return "../" * up + rest if up else f"./{rest}"
