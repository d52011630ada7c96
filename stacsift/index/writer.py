"""Write a tantivy index of STAC documents into a local directory."""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import tantivy

from stacsift.index import schema as f
from stacsift.index.documents import Document
from stacsift.index.schema import KEY

# tantivy's own bookkeeping files: never part of a published generation.
_PRIVATE_FILES = frozenset({".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock"})
# A budget, allocated as used: one segment per thread up to ~100k items, so few segments to
# search (6 at 200k items with 128 MiB, 2 with this).
WRITER_HEAP_BYTES = 1024 * 1024 * 1024
WRITER_THREADS = 2
# Documents are added in time order, this many at a time (tens of MB of documents held).
TIME_ORDER_BATCH = 20_000


def write_index(
    directory: Path,
    documents: Iterable[Document],
    *,
    deletes: Iterable[str] = (),
    fresh: bool = True,
) -> int:
    """Write ``documents`` into the index at ``directory`` and commit; returns how many.

    ``fresh`` creates a new index there; otherwise the index in ``directory`` is updated:
    ``deletes`` (document keys) and the keys of ``documents`` are deleted first, so documents
    replace their older versions. tantivy only ever adds files; old segments get a small
    ``.del`` file instead of being rewritten.
    """
    f.check_tantivy()
    directory.mkdir(parents=True, exist_ok=True)
    if fresh:
        index = tantivy.Index(f.schema(), path=str(directory), reuse=False)
    else:
        index = tantivy.Index.open(str(directory))
    writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=WRITER_THREADS)
    count = 0
    with gc_paused():
        if not fresh:  # deletes first, so that documents replace their older versions
            documents = list(documents)
            for key in [*deletes, *(d.key for d in documents)]:
                writer.delete_documents_by_term(KEY, key)
        # Added as they come, a batch at a time: tantivy's threads index while the next
        # documents are made.
        for document in in_time_order(documents):
            writer.add_document(tantivy.Document.from_dict(_fields(document), f.schema()))
            count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


def in_time_order(
    documents: Iterable[Document], batch: int = TIME_ORDER_BATCH
) -> Iterator[Document]:
    """``documents`` sorted by start (then key), ``batch`` at a time. A segment's documents
    are numbered in the order they are added, so each segment then holds runs of documents in
    time order, and the documents of a time window (:mod:`stacsift.window`) lie together: a
    range clause on a fast field checks them in one pass over their part of the column (it
    scans 128 documents from every candidate it is asked about when they are scattered), and
    the results of a page share blocks of the document store."""
    pending = iter(documents)
    while chunk := list(itertools.islice(pending, batch)):
        chunk.sort(key=lambda document: (document.start, document.key))
        yield from chunk


def _fields(document: Document) -> dict[str, object]:
    """The document's fields that the active index format has."""
    values = document.fields()
    if f.active() == f.FORMAT_VERSION:
        return values
    return {name: value for name, value in values.items() if f.present(name)}


class _Pauses:
    """Pauses in progress (threads may publish concurrently) and the state to restore."""

    lock = threading.Lock()
    active = 0
    restore = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while documents are made, written or published.

    That work allocates millions of short-lived containers (field dicts, term lists, rows for
    Arrow) that reference counting frees by itself, and every burst of them would trigger
    collections that rescan all live items: measured, over half of the document → tantivy
    conversion time of a 20,000-item build. Pauses nest and overlap (concurrent updates in
    threads): the last one to end restores the collector's state from before the first."""
    with _Pauses.lock:
        if _Pauses.active == 0:
            _Pauses.restore = gc.isenabled()
            gc.disable()
        _Pauses.active += 1
    try:
        yield
    finally:
        with _Pauses.lock:
            _Pauses.active -= 1
            if _Pauses.active == 0 and _Pauses.restore:
                gc.enable()


def generation_files(directory: Path) -> tuple[Path, list[Path]]:
    """(meta.json, segment files) of the index committed in ``directory``."""
    meta = directory / "meta.json"
    segments = sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.name != "meta.json" and p.name not in _PRIVATE_FILES
    )
    return meta, segments


def referenced_files(directory: Path) -> list[Path]:
    """The segment files (and deletion files) that ``meta.json`` in ``directory`` refers to."""
    meta = orjson.loads((directory / "meta.json").read_bytes())
    found = []
    for segment in meta.get("segments", []):
        segment_id = str(segment["segment_id"]).replace("-", "")
        deletes = segment.get("deletes") or {}
        delete_file = f"{segment_id}.{deletes['opstamp']}.del" if deletes else None
        for path in directory.glob(f"{segment_id}.*"):
            is_component = path.suffix != ".del" and path.name.count(".") == 1
            if is_component or path.name == delete_file:
                found.append(path)
    return sorted(found)
