"""Settings objects, one per deployable, built from an environment mapping at the edge.

Core code receives these objects; it never reads ``os.environ`` itself. Endpoints and credentials
come from the standard AWS variables so the same code runs against AWS, Wasabi, MinIO, LocalStack
and moto without ``if local:`` branches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stacsift.errors import InvalidParameter
from stacsift.query.tokens import derive_key
from stacsift.signing.hrefs import HrefParser
from stacsift.signing.policy import DEFAULT_EXPIRES, MAX_EXPIRES_LIMIT, AllowRule, parse_allow


@dataclass(frozen=True)
class StoreSettings:
    """How to reach S3-compatible storage; all optional (the local-folder store needs none)."""

    endpoint: str | None = None
    """Custom endpoint (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``): MinIO, Wasabi, …"""
    region: str | None = None
    """Bucket region (``AWS_REGION`` or ``AWS_DEFAULT_REGION``)."""
    access_key_id: str | None = None
    """Static key id (``AWS_ACCESS_KEY_ID``); without it the default credential chain applies."""
    secret_access_key: str | None = field(default=None, repr=False)
    """Static secret (``AWS_SECRET_ACCESS_KEY``); never logged."""
    session_token: str | None = field(default=None, repr=False)
    """Session token of temporary credentials (``AWS_SESSION_TOKEN``), as on Lambda."""
    skip_signature: bool = False
    """Unsigned requests for public buckets (``AWS_SKIP_SIGNATURE=true``)."""
    timeout_seconds: float = 30.0
    """Per-request timeout (``STACSIFT_STORE_TIMEOUT``)."""
    container_credentials_uri: str | None = None
    """Where credentials are served without static keys (``AWS_CONTAINER_CREDENTIALS_FULL_URI``):
    how Lambda hands them to SnapStart functions."""
    container_token: str | None = field(default=None, repr=False)
    """The ``Authorization`` that endpoint wants (``AWS_CONTAINER_AUTHORIZATION_TOKEN``)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StoreSettings:
        return cls(
            endpoint=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
            skip_signature=_flag(env.get("AWS_SKIP_SIGNATURE", "")),
            timeout_seconds=_positive_float(env, "STACSIFT_STORE_TIMEOUT", 30.0),
            container_credentials_uri=env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or None,
            container_token=env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") or None,
        )


DEFAULT_COUNT_LIMIT = 1_000  # matches a time-windowed page counts exactly


@dataclass(frozen=True)
class SearchSettings:
    """Settings of the search function (and of ``stacsift serve``/``stacsift search``)."""

    root: str
    """The index root (``STACSIFT_ROOT``): a folder, ``file://`` or ``s3://bucket/prefix``."""
    store: StoreSettings = field(default_factory=StoreSettings)
    """How to reach ``root``."""
    cache_dir: Path = Path("/tmp/stacsift-cache")  # noqa: S108 - Lambda's only writable disk
    """Local cache of index files (``STACSIFT_CACHE_DIR``); ``/tmp`` on Lambda."""
    manifest_ttl_seconds: float = 5.0
    """Re-check the manifest's ETag at most this often (``STACSIFT_MANIFEST_TTL``)."""
    public_url: str | None = None
    """The URL clients reach the API at (``STACSIFT_PUBLIC_URL``), for links; without it, links
    are built from each request's host."""
    default_limit: int = 10
    """Page size when a request gives no ``limit``."""
    max_limit: int = 1000
    """Largest page a request may ask for; keeps responses under Lambda's 6 MB payload limit."""
    title: str = ""
    """The landing page's title (``STACSIFT_TITLE``); empty: the crawled root catalog's."""
    description: str = ""
    """The landing page's description (``STACSIFT_DESCRIPTION``); empty: the root catalog's."""
    serve_files: bool = False
    """Whether ``/files`` serves the folders the index was crawled from (``stacsift serve``
    only: they are on its disk), so their ``file://`` hrefs are answered as ``/files`` URLs."""
    token_key: bytes = field(default=b"", repr=False)
    """Key that signs page tokens (``STACSIFT_TOKEN_KEY``); empty derives one from ``root``
    (:func:`stacsift.query.tokens.derive_key`). Several instances of one API share it."""

    count_limit: int = DEFAULT_COUNT_LIMIT
    """numberMatched of a page searched in time windows (or from direct text matches) is exact
    up to this many matches, and reported as a lower bound beyond (``STACSIFT_COUNT_LIMIT``):
    counting every match of a big index costs a pass over all of them (:mod:`stacsift.window`,
    :mod:`stacsift.relevance`)."""

    @property
    def signing_key(self) -> bytes:
        return self.token_key or derive_key(self.root)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SearchSettings:
        root = _root(env)
        return cls(
            root=root,
            token_key=env.get("STACSIFT_TOKEN_KEY", "").encode(),
            store=StoreSettings.from_env(env),
            cache_dir=Path(env.get("STACSIFT_CACHE_DIR") or cls.cache_dir),
            manifest_ttl_seconds=_positive_float(env, "STACSIFT_MANIFEST_TTL", 5.0),
            title=env.get("STACSIFT_TITLE", "").strip(),
            description=env.get("STACSIFT_DESCRIPTION", "").strip(),
            public_url=_public_url(env),
            count_limit=_positive_int(env, "STACSIFT_COUNT_LIMIT", DEFAULT_COUNT_LIMIT, "matches"),
        )


@dataclass(frozen=True)
class PresignSettings:
    """Settings of the presign function (and of the ``/sign`` routes of ``stacsift serve``)."""

    allow: tuple[AllowRule, ...] = ()
    """What may be signed (``STACSIFT_PRESIGN_ALLOW``: ``bucket`` or ``bucket/prefix``, comma-
    separated). Empty allows nothing: every href is refused with 403."""
    store: StoreSettings = field(default_factory=StoreSettings)
    """Credentials the URLs are signed with (the function's role on Lambda), and the default
    endpoint, where ``s3://`` hrefs are signed."""
    endpoints: tuple[str, ...] = ()
    """Further S3-compatible endpoints whose path-style URLs are signed
    (``STACSIFT_PRESIGN_ENDPOINTS``, comma-separated base URLs, e.g. a MinIO server)."""
    default_expires: int = DEFAULT_EXPIRES
    """Validity of a URL when a request gives no ``expires``: an hour, or the maximum if less."""
    max_expires: int = 12 * 3600
    """Longest validity a request may ask for (``STACSIFT_PRESIGN_MAX_EXPIRES``, seconds; at most
    a week, SigV4's limit). URLs signed with temporary credentials stop working when those do."""
    requester_pays: bool = False
    """Sign for requester-pays buckets (``STACSIFT_PRESIGN_REQUESTER_PAYS=true``)."""
    max_hrefs: int = 1000
    """Most hrefs one ``POST /sign`` may ask for."""
    root: str | None = None
    """The index whose items ``/sign/collections/…/items/…`` signs (``STACSIFT_ROOT``); without
    it that route answers 503."""
    cache_dir: Path = Path("/tmp/stacsift-cache")  # noqa: S108 - Lambda's only writable disk
    """Local cache of index files (``STACSIFT_CACHE_DIR``)."""
    manifest_ttl_seconds: float = 5.0
    """Re-check the manifest's ETag at most this often (``STACSIFT_MANIFEST_TTL``)."""
    public_url: str | None = None
    """The URL clients reach the API at (``STACSIFT_PUBLIC_URL``), for links; without it, links
    are built from each request's host."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_expires <= MAX_EXPIRES_LIMIT:
            raise InvalidParameter(
                "STACSIFT_PRESIGN_MAX_EXPIRES", f"must be 1 … {MAX_EXPIRES_LIMIT} seconds"
            )
        if not 1 <= self.default_expires <= self.max_expires:
            raise InvalidParameter("default_expires", "must be 1 … max_expires seconds")
        HrefParser(self.store.endpoint, self.endpoints)  # refuses malformed endpoint URLs

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PresignSettings:
        max_expires = _positive_int(env, "STACSIFT_PRESIGN_MAX_EXPIRES", cls.max_expires)
        try:
            allow = parse_allow(env.get("STACSIFT_PRESIGN_ALLOW", "")).rules
        except InvalidParameter as err:
            raise InvalidParameter("STACSIFT_PRESIGN_ALLOW", err.message) from None
        return cls(
            allow=allow,
            store=StoreSettings.from_env(env),
            endpoints=tuple(_list(env.get("STACSIFT_PRESIGN_ENDPOINTS", ""))),
            default_expires=min(DEFAULT_EXPIRES, max_expires),
            max_expires=max_expires,
            requester_pays=_flag(env.get("STACSIFT_PRESIGN_REQUESTER_PAYS", "")),
            root=env.get("STACSIFT_ROOT", "").strip() or None,
            cache_dir=Path(env.get("STACSIFT_CACHE_DIR") or cls.cache_dir),
            manifest_ttl_seconds=_positive_float(env, "STACSIFT_MANIFEST_TTL", 5.0),
            public_url=_public_url(env),
        )


@dataclass(frozen=True)
class ReindexSettings:
    """Settings of the reindex function (and of ``stacsift worker``)."""

    root: str
    """The index root the changes are published to (``STACSIFT_ROOT``)."""
    watch: tuple[str, ...]
    """The ``s3://bucket/prefix`` locations whose objects are indexed (``STACSIFT_WATCH``,
    comma-separated); events for other keys are acknowledged and ignored."""
    store: StoreSettings = field(default_factory=StoreSettings)
    """How to reach the root and the watched buckets."""
    cache_dir: Path = Path("/tmp/stacsift")  # noqa: S108 - Lambda's only writable disk
    """Local cache of index files (``STACSIFT_CACHE_DIR``), kept warm between invocations."""
    max_object_bytes: int = 64 * 1024 * 1024
    """Objects larger than this are rejected, not read (``STACSIFT_MAX_OBJECT_BYTES``)."""

    def __post_init__(self) -> None:
        for location in self.watch:
            if not location.startswith("s3://") or len(location) <= len("s3://"):
                raise InvalidParameter("STACSIFT_WATCH", f"{location!r} is not an s3:// URL")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReindexSettings:
        root = _root(env)
        return cls(
            root=root,
            watch=tuple(_list(env.get("STACSIFT_WATCH", ""))),
            store=StoreSettings.from_env(env),
            cache_dir=Path(env.get("STACSIFT_CACHE_DIR") or cls.cache_dir),
            max_object_bytes=_positive_int(
                env, "STACSIFT_MAX_OBJECT_BYTES", cls.max_object_bytes, "bytes"
            ),
        )


@dataclass(frozen=True)
class ReconcileSettings:
    """Settings of the scheduled reconcile (``index_builder.scheduled``), a full crawl."""

    root: str
    """The index root the crawl is published to (``STACSIFT_ROOT``)."""
    sources: tuple[str, ...]
    """What is crawled (``STACSIFT_RECONCILE_SOURCES``, comma-separated catalog or API URLs)."""
    store: StoreSettings = field(default_factory=StoreSettings)
    """How to reach the root and the sources."""
    cache_dir: Path = Path("/tmp/stacsift")  # noqa: S108 - Lambda's only writable disk
    """Local cache of index files (``STACSIFT_CACHE_DIR``); the crawl spools there too."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReconcileSettings:
        root = _root(env)
        sources = tuple(_list(env.get("STACSIFT_RECONCILE_SOURCES", "")))
        if not sources:
            raise InvalidParameter("STACSIFT_RECONCILE_SOURCES", "is not set; give what to crawl")
        return cls(
            root=root,
            sources=sources,
            store=StoreSettings.from_env(env),
            cache_dir=Path(env.get("STACSIFT_CACHE_DIR") or cls.cache_dir),
        )


def _root(env: Mapping[str, str]) -> str:
    root = env.get("STACSIFT_ROOT", "").strip()
    if not root:
        raise InvalidParameter("STACSIFT_ROOT", "is not set; give the index root")
    return root


def _public_url(env: Mapping[str, str]) -> str | None:
    url = env.get("STACSIFT_PUBLIC_URL", "").strip().rstrip("/")
    if url and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", url):
        raise InvalidParameter("STACSIFT_PUBLIC_URL", f"must be an http(s):// URL, got {url!r}")
    return url or None


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _positive_int(env: Mapping[str, str], name: str, default: int, unit: str = "seconds") -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidParameter(name, f"must be a whole number of {unit}, got {raw!r}")
    return int(raw)


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(name, f"must be a number, got {raw!r}") from None
    if value < 0:
        raise InvalidParameter(name, f"must not be negative, got {raw!r}")
    return value
