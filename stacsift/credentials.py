"""Credentials from a container credentials endpoint, as Lambda gives them to SnapStart functions.

A restored SnapStart environment has no ``AWS_ACCESS_KEY_ID``/``AWS_SESSION_TOKEN`` variables: its
credentials come from ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` with the header
``Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN``. object_store reads that endpoint only with
a token *file*, so the stores get this provider instead; it is asked again before each set of
credentials expires (obstore refreshes them), and after a SnapStart restore the stores are made
anew (:mod:`functions.snapstart`).
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from stacsift.errors import StoreError
from stacsift.settings import StoreSettings

if TYPE_CHECKING:
    from obstore.store import S3Credential


class ContainerCredentials:
    """An obstore credential provider reading a container credentials endpoint."""

    def __init__(self, uri: str, token: str | None, timeout: float = 5.0) -> None:
        if urlparse(uri).scheme not in ("http", "https"):
            raise StoreError("AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http(s) URL")
        self.uri = uri
        self.token = token
        self.timeout = timeout

    def __call__(self) -> S3Credential:
        headers = {"Authorization": self.token} if self.token else {}
        request = urllib.request.Request(self.uri, headers=headers)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = json.load(response)
            expiration = body.get("Expiration")
            return {
                "access_key_id": body["AccessKeyId"],
                "secret_access_key": body["SecretAccessKey"],
                "token": body.get("Token"),
                "expires_at": datetime.fromisoformat(expiration) if expiration else None,
            }
        except (OSError, ValueError, KeyError) as err:
            raise StoreError(f"no credentials from the container endpoint: {err}") from None


def container_provider(settings: StoreSettings) -> ContainerCredentials | None:
    """The provider when credentials come from a container endpoint (no static keys), or None."""
    if settings.access_key_id or settings.skip_signature or not settings.container_credentials_uri:
        return None
    return ContainerCredentials(settings.container_credentials_uri, settings.container_token)
