"""The signer adapter: SigV4 query signatures for GET, computed locally by obstore.

Signing is pure computation once credentials are known: static credentials (the ``AWS_*``
variables, which Lambda sets from the function's role) never cause a network call; without
them obstore's credential chain fetches credentials once and caches them. One obstore store is
kept per (endpoint, region, bucket), because building one costs milliseconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from threading import Lock
from typing import TYPE_CHECKING, Protocol

import obstore
from obstore.exceptions import BaseError
from obstore.store import S3Store

from stacsift.credentials import container_provider
from stacsift.errors import InvalidHref, StoreError
from stacsift.settings import StoreSettings
from stacsift.signing.hrefs import ObjectRef

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

MAX_STORES = 256
DEFAULT_REGION = "us-east-1"


class Signer(Protocol):
    """Computes presigned GET URLs; the only part of signing that touches credentials."""

    def sign(self, ref: ObjectRef, expires: timedelta) -> str:
        """A GET URL for ``ref`` valid for ``expires``."""
        ...

    def sign_many(self, refs: Sequence[ObjectRef], expires: timedelta) -> list[str]:
        """GET URLs for ``refs``, in order, valid for ``expires``."""
        ...


class ObstoreSigner:
    """A :class:`Signer` on obstore's ``sign`` with the credentials of ``settings``."""

    def __init__(
        self,
        settings: StoreSettings,
        *,
        requester_pays: bool = False,
        virtual_hosted_aws: bool = True,
    ) -> None:
        self.settings = settings
        self.requester_pays = requester_pays
        self.virtual_hosted_aws = virtual_hosted_aws
        self._stores: OrderedDict[tuple[str | None, str | None, str], S3Store] = OrderedDict()
        self._lock = Lock()

    def __repr__(self) -> str:
        return f"ObstoreSigner(endpoint={self.settings.endpoint!r})"

    def sign(self, ref: ObjectRef, expires: timedelta) -> str:
        store = self._store(ref)
        try:
            return obstore.sign(store, "GET", ref.key, expires)
        except TypeError:  # obstore's answer to a key it will not sign
            raise InvalidHref(f"s3://{ref.bucket}/{ref.key}", "this key cannot be signed") from None
        except (BaseError, ValueError) as err:
            raise StoreError(f"cannot sign s3://{ref.bucket}/{ref.key}: {_reason(err)}") from None

    def sign_many(self, refs: Sequence[ObjectRef], expires: timedelta) -> list[str]:
        groups: dict[tuple[str | None, str | None, str], list[int]] = {}
        for position, ref in enumerate(refs):
            groups.setdefault((ref.endpoint, ref.region, ref.bucket), []).append(position)
        urls = [""] * len(refs)
        for positions in groups.values():
            first = refs[positions[0]]
            keys = [refs[p].key for p in positions]
            try:
                signed = obstore.sign(self._store(first), "GET", keys, expires)
            except TypeError:
                raise InvalidHref(f"s3://{first.bucket}/…", "a key cannot be signed") from None
            except (BaseError, ValueError) as err:
                raise StoreError(f"cannot sign in bucket {first.bucket}: {_reason(err)}") from None
            for position, url in zip(positions, signed, strict=True):
                urls[position] = url
        return urls

    def _store(self, ref: ObjectRef) -> S3Store:
        cache_key = (ref.endpoint, ref.region, ref.bucket)
        with self._lock:
            store = self._stores.get(cache_key)
            if store is not None:
                self._stores.move_to_end(cache_key)
                return store
        store = self._new_store(ref)
        with self._lock:
            self._stores[cache_key] = store
            while len(self._stores) > MAX_STORES:
                self._stores.popitem(last=False)
        return store

    def _new_store(self, ref: ObjectRef) -> S3Store:
        s = self.settings
        config: S3Config = {"region": ref.region or s.region or DEFAULT_REGION}
        if ref.endpoint:
            config["endpoint"] = ref.endpoint
        elif self.virtual_hosted_aws and "." not in ref.bucket:
            config["virtual_hosted_style_request"] = True  # dotted names break TLS wildcards
        if s.access_key_id and s.secret_access_key:
            config["access_key_id"] = s.access_key_id
            config["secret_access_key"] = s.secret_access_key
            if s.session_token:
                config["session_token"] = s.session_token
        if self.requester_pays:
            config["request_payer"] = True
        options: ClientConfig = {"allow_http": (ref.endpoint or "").startswith("http://")}
        try:
            return S3Store(
                ref.bucket,
                config=config,
                client_options=options,
                credential_provider=container_provider(s),
            )
        except (BaseError, ValueError) as err:
            raise StoreError(f"cannot sign for bucket {ref.bucket}: {_reason(err)}") from None


def _reason(err: BaseException) -> str:
    """Only the kind of an obstore error: its text may quote configuration, never shown."""
    return f"the signer failed ({type(err).__name__})"
