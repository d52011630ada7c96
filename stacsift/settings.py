"""Settings objects, one per deployable, built from an environment mapping at the edge.

Core code receives these objects; it never reads ``os.environ`` itself. Endpoints and credentials
come from the standard AWS variables so the same code runs against AWS, Wasabi, MinIO, LocalStack
and moto without ``if local:`` branches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stacsift.errors import InvalidParameter


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
        )


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
    default_limit: int = 10
    """Page size when a request gives no ``limit``."""
    max_limit: int = 1000
    """Largest page a request may ask for; keeps responses under Lambda's 6 MB payload limit."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SearchSettings:
        root = env.get("STACSIFT_ROOT", "").strip()
        if not root:
            raise InvalidParameter("STACSIFT_ROOT", "is not set; give the index root")
        return cls(
            root=root,
            store=StoreSettings.from_env(env),
            cache_dir=Path(env.get("STACSIFT_CACHE_DIR") or cls.cache_dir),
            manifest_ttl_seconds=_positive_float(env, "STACSIFT_MANIFEST_TTL", 5.0),
        )


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
