"""Sign single hrefs, lists of hrefs and whole STAC items, each checked against the allow-list.

:class:`Presigner` is pure logic around a :class:`~stacsift.signing.signer.Signer` passed in: it
parses, checks, bounds the expiry, and asks the signer only for objects that may be read. The
expiry it reports is the second the signature was made (rounded down) plus the validity, so it
is never later than the moment the server starts refusing the URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from stacsift.errors import InvalidHref, NotAllowed, StacsiftError
from stacsift.settings import PresignSettings
from stacsift.signing.hrefs import HrefParser, ObjectRef
from stacsift.signing.policy import DEFAULT_EXPIRES, AllowList, parse_expires
from stacsift.signing.signer import ObstoreSigner, Signer

logger = logging.getLogger(__name__)

_REMOTE = ("s3://", "http://", "https://")
EXPIRY_PROPERTY = "stacsift:expiry"
"""The item property recording when the signed asset URLs stop working (RFC 3339)."""


@dataclass(frozen=True, slots=True)
class Signed:
    """One signed href: the href asked for, the URL to use, and when it stops working."""

    href: str
    url: str
    expiry: datetime


@dataclass(frozen=True)
class SignedItem:
    """An item whose signable asset hrefs were replaced; ``signed`` names those assets."""

    item: dict[str, Any]
    signed: tuple[str, ...]
    expiry: datetime


class Presigner:
    """Signs what ``allow`` permits, for at most ``max_expires`` seconds, through ``signer``."""

    def __init__(
        self,
        parser: HrefParser,
        allow: AllowList,
        signer: Signer,
        *,
        max_expires: int,
        default_expires: int = DEFAULT_EXPIRES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.parser = parser
        self.allow = allow
        self.signer = signer
        self.max_expires = max_expires
        self.default_expires = min(default_expires, max_expires)
        self.clock = clock

    def expires(self, raw: object) -> int:
        """The validity asked for (a query or JSON value), bounded; 400 when out of range."""
        return parse_expires(raw, default=self.default_expires, maximum=self.max_expires)

    def check(self, href: str) -> ObjectRef:
        """The object ``href`` names, if it may be signed (else InvalidHref or NotAllowed)."""
        ref = self.parser.parse(href)
        self.allow.check(ref, href)
        return ref

    def sign(self, href: str, expires: int) -> Signed:
        ref = self.check(href)
        expiry = self._expiry(expires)
        return Signed(href, self.signer.sign(ref, timedelta(seconds=expires)), expiry)

    def sign_many(
        self, hrefs: Sequence[str], expires: int
    ) -> tuple[datetime, list[Signed | StacsiftError]]:
        """Each href signed or the error refusing it, in order: one refusal spoils no other."""
        checked = [self._checked(href) for href in hrefs]
        refs = [c for c in checked if isinstance(c, ObjectRef)]
        expiry = self._expiry(expires)
        urls = iter(self.signer.sign_many(refs, timedelta(seconds=expires)) if refs else ())
        results: list[Signed | StacsiftError] = [
            Signed(href, next(urls), expiry) if isinstance(c, ObjectRef) else c
            for href, c in zip(hrefs, checked, strict=True)
        ]
        return expiry, results

    def _checked(self, href: str) -> ObjectRef | StacsiftError:
        try:
            return self.check(href)
        except (InvalidHref, NotAllowed) as err:
            return err

    def sign_item(
        self, item: dict[str, Any], expires: int, source: str | None = None
    ) -> SignedItem:
        """A copy of ``item`` with every signable asset href signed and the expiry recorded.

        Relative asset hrefs are resolved against ``source`` (where the item was crawled from)
        when that is an ``s3://`` or ``http(s)://`` URL, else against the item's absolute
        ``self`` link. Assets that cannot or may not be signed are left as they are.
        """
        assets = item.get("assets")
        expiry = self._expiry(expires)
        if not isinstance(assets, dict):
            return SignedItem(item, (), expiry)
        base = source if source and source.startswith(_REMOTE) else _self_href(item)
        names, refs = self._signable(assets, base)
        if not refs:
            return SignedItem(item, (), expiry)
        urls = self.signer.sign_many(refs, timedelta(seconds=expires))
        signed_assets = dict(assets)
        for name, url in zip(names, urls, strict=True):
            signed_assets[name] = {**assets[name], "href": url}
        properties = item.get("properties")
        properties = dict(properties) if isinstance(properties, dict) else {}
        properties[EXPIRY_PROPERTY] = rfc3339(expiry)
        out = {**item, "assets": signed_assets, "properties": properties}
        return SignedItem(out, tuple(names), expiry)

    def _signable(
        self, assets: dict[str, Any], base: str | None
    ) -> tuple[list[str], list[ObjectRef]]:
        names: list[str] = []
        refs: list[ObjectRef] = []
        for name, asset in assets.items():
            href = asset.get("href") if isinstance(asset, dict) else None
            if not isinstance(href, str):
                continue
            try:
                refs.append(self.check(resolve(href, base)))
            except (InvalidHref, NotAllowed) as err:
                logger.debug("asset %s left unsigned: %s", name, err)
                continue
            names.append(name)
        return names, refs

    def _expiry(self, expires: int) -> datetime:
        return datetime.fromtimestamp(int(self.clock()) + expires, UTC)


def presigner(settings: PresignSettings, signer: Signer | None = None) -> Presigner:
    """The presigner ``settings`` describe; ``signer`` defaults to obstore with its credentials."""
    return Presigner(
        HrefParser(settings.store.endpoint, settings.endpoints),
        AllowList(settings.allow),
        signer or ObstoreSigner(settings.store, requester_pays=settings.requester_pays),
        max_expires=settings.max_expires,
        default_expires=settings.default_expires,
    )


def rfc3339(moment: datetime) -> str:
    """``2026-01-02T03:04:05Z``: the form STAC uses for times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve(href: str, base: str | None) -> str:
    """``href`` made absolute against ``base`` (an ``s3://`` or ``http(s)://`` URL), if relative."""
    try:
        if base is None or urlsplit(href).scheme:
            return href
        parts = urlsplit(base)
    except ValueError:  # not a URL at all; signing will refuse it
        return href
    if parts.scheme not in ("s3", "http", "https"):
        return href
    # urljoin does not know s3://, so join as https:// and put the scheme back.
    joined = urljoin(urlunsplit(("https", parts.netloc, parts.path, "", "")), href)
    return f"{parts.scheme}{joined[len('https') :]}"


def _self_href(item: dict[str, Any]) -> str | None:
    for link in item.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "self":
            href = link.get("href")
            if isinstance(href, str) and href.startswith(_REMOTE):
                return href
    return None
