"""Object-store access for an index root: a local folder or a prefix in an S3-compatible bucket.

:class:`Bucket` is the only thing the rest of the code knows about storage. It wraps an obstore
store, turns obstore's exceptions into :mod:`stacsift.errors` ones with one readable line, and
adds the one operation object stores disagree on: a compare-and-swap put for the manifest
(conditional PUT on S3; an exclusive lock plus atomic rename on a local folder, where obstore does
not implement ``PutMode::Update``).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import obstore
from obstore.exceptions import (
    AlreadyExistsError,
    BaseError,
    NotFoundError,
    PreconditionError,
)
from obstore.store import LocalStore, ObjectStore, S3Store

from stacsift.credentials import container_provider
from stacsift.errors import InvalidParameter, NotFound, StacsiftError, StoreError
from stacsift.settings import StoreSettings

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig, S3Config


PART_BYTES = 8 * 1024 * 1024
"""Part size of streamed multipart uploads (S3 wants at least 5 MiB but the last)."""
UPLOADS_AT_ONCE = 4
"""Parts of one streamed upload in flight at once (each is held in memory)."""


class PreconditionFailed(StacsiftError):
    """A conditional put lost: the object changed (or appeared) since it was read."""


class ObjectTooLarge(StacsiftError):
    """An object is larger than the reader accepts."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a listing tells about one object."""

    key: str
    size: int
    etag: str | None
    last_modified: datetime | None = None


class Bucket:
    """An index root: keys are relative to it (``index/manifest.json``, ``table/...``)."""

    def __init__(self, store: ObjectStore, url: str, local_root: Path | None = None) -> None:
        self.store = store
        self.url = url
        self._local_root = local_root

    def __repr__(self) -> str:
        return f"Bucket({self.url!r})"

    @property
    def local(self) -> bool:
        """Whether this is a folder on the local file system."""
        return self._local_root is not None

    def get(self, key: str) -> bytes:
        return self.get_with_etag(key)[0]

    def get_with_etag(self, key: str) -> tuple[bytes, str | None]:
        with self._errors(key):
            result = obstore.get(self.store, key)
            return bytes(result.bytes()), result.meta.get("e_tag")

    def get_object(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        """The object's bytes and what its response said about it; raises
        :class:`ObjectTooLarge` (without reading the body) when it exceeds ``max_bytes``."""
        with self._errors(key):
            result = obstore.get(self.store, key)
            meta = result.meta
            info = ObjectInfo(key, meta["size"], meta.get("e_tag"), meta.get("last_modified"))
            if info.size > max_bytes:
                raise ObjectTooLarge(f"{self.url}/{key}: {info.size:,} bytes, over {max_bytes:,}")
            return bytes(result.bytes()), info

    def head(self, key: str) -> ObjectInfo | None:
        """What the store says about the object now, or ``None`` if it does not exist."""
        try:
            with self._errors(key):
                meta = obstore.head(self.store, key)
        except NotFound:
            return None
        return ObjectInfo(key, meta["size"], meta.get("e_tag"), meta.get("last_modified"))

    def etag(self, key: str) -> str | None:
        """The object's current ETag, or ``None`` if it does not exist."""
        try:
            with self._errors(key):
                return obstore.head(self.store, key).get("e_tag")
        except NotFound:
            return None

    def put(self, key: str, data: bytes) -> str | None:
        with self._errors(key):
            return obstore.put(self.store, key, data)["e_tag"]

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        """Write ``key`` from chunks, holding at most a few parts in memory: obstore's buffered
        writer (one PUT up to :data:`PART_BYTES`, a multipart upload above); on a local folder,
        a temporary file renamed into place. If ``chunks`` raises, nothing is written (the
        multipart upload is aborted, the temporary file removed)."""
        if self._local_root is not None:
            self._local_put_stream(key, chunks)
            return
        with self._errors(key):
            writer = obstore.open_writer(
                self.store, key, buffer_size=PART_BYTES, max_concurrency=UPLOADS_AT_ONCE
            )
            with writer:
                for chunk in chunks:
                    writer.write(chunk)

    def _local_put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        assert self._local_root is not None  # noqa: S101 - guarded by the caller
        path = self._local_root / key
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            with self._errors(key):
                path.parent.mkdir(parents=True, exist_ok=True)
                with tmp.open("wb") as out:
                    for chunk in chunks:
                        out.write(chunk)
                tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, key: str, path: Path) -> None:
        with self._errors(key):
            obstore.put(self.store, key, path)

    def put_if(self, key: str, data: bytes, *, etag: str | None) -> str | None:
        """Write ``key`` only if its ETag is still ``etag`` (``None``: only if it does not exist).

        Raises :class:`PreconditionFailed` when another writer got there first.
        """
        if self._local_root is not None:
            return self._local_put_if(key, data, etag)
        mode: Any = "create" if etag is None else {"e_tag": etag}
        try:
            with self._errors(key):
                return obstore.put(self.store, key, data, mode=mode)["e_tag"]
        except StoreError as err:
            if isinstance(err.__cause__, AlreadyExistsError | PreconditionError):
                raise PreconditionFailed(f"{self.url}/{key} changed concurrently") from err
            raise

    def download(self, key: str, dest: Path) -> None:
        """Copy an object to a local file atomically (write to a temp name, then rename)."""
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        with self._errors(key):
            result = obstore.get(self.store, key)
            with tmp.open("wb") as out:
                for chunk in result:
                    out.write(chunk)
        tmp.replace(dest)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        with self._errors(prefix):
            for batch in obstore.list(self.store, prefix=prefix):
                for meta in batch:
                    yield ObjectInfo(
                        meta["path"], meta["size"], meta.get("e_tag"), meta.get("last_modified")
                    )

    def delete(self, key: str) -> None:
        with self._errors(key):
            obstore.delete(self.store, key)

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        try:
            yield
        except (FileNotFoundError, NotFoundError) as err:
            raise NotFound(f"{self.url}/{key} does not exist") from err
        except (BaseError, OSError, RuntimeError) as err:
            raise StoreError(f"cannot use {self.url}/{key}: {_first_line(err)}") from err

    def _local_put_if(self, key: str, data: bytes, etag: str | None) -> str | None:
        assert self._local_root is not None  # noqa: S101 - guarded by the caller
        lock_path = self._local_root / f"{key}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self.etag(key) != etag:
                    raise PreconditionFailed(f"{self.url}/{key} changed concurrently")
                return self.put(key, data)  # obstore writes a temp file and renames it
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def open_bucket(url: str, settings: StoreSettings, *, create: bool = False) -> Bucket:
    """Open ROOT given as a folder path, ``file://`` URL or ``s3://bucket/prefix`` URL.

    A local root that does not exist is created when ``create`` is true (writers) and is an error
    otherwise (readers), so that a typo does not look like an empty index.
    """
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return _local_bucket(url, parsed.path if parsed.scheme else url, create=create)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise InvalidParameter("root", f"{url!r} names no bucket")
        return Bucket(_s3_store(parsed.netloc, parsed.path.strip("/"), settings), url.rstrip("/"))
    raise InvalidParameter("root", f"{url!r}: use a folder, file:// or s3:// URL")


def _local_bucket(url: str, path: str, *, create: bool) -> Bucket:
    root = Path(unquote(path)).expanduser().resolve()
    if not root.is_dir():
        if root.exists() or not create:
            raise StoreError(f"root folder {root} does not exist")
        root.mkdir(parents=True)
    return Bucket(LocalStore(root), root.as_uri(), local_root=root)


def _s3_store(bucket: str, prefix: str, settings: StoreSettings) -> S3Store:
    config: S3Config = {}
    if settings.endpoint:
        config["endpoint"] = settings.endpoint
    if settings.region:
        config["region"] = settings.region
    if settings.access_key_id and settings.secret_access_key:
        config["access_key_id"] = settings.access_key_id
        config["secret_access_key"] = settings.secret_access_key
        if settings.session_token:
            config["session_token"] = settings.session_token
    if settings.skip_signature:
        config["skip_signature"] = True
    timeout = f"{settings.timeout_seconds}s"
    client_options: ClientConfig = {"timeout": timeout, "connect_timeout": "5s"}
    if (settings.endpoint or "").startswith("http://"):
        client_options["allow_http"] = True
    retry: RetryConfig = {
        "max_retries": 3,
        "retry_timeout": timedelta(seconds=settings.timeout_seconds),
    }
    try:
        return S3Store(
            bucket,
            prefix=prefix or None,
            config=config,
            client_options=client_options,
            retry_config=retry,
            credential_provider=container_provider(settings),
        )
    except (BaseError, ValueError) as err:
        raise StoreError(f"cannot open s3://{bucket}/{prefix}: {_first_line(err)}") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
