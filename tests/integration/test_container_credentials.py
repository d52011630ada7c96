"""Credentials from a container credentials endpoint (how Lambda gives them to SnapStart
functions), checked by LocalStack: a URL presigned with the endpoint's credentials opens, one
signed with a wrong secret from the endpoint does not, and the endpoint is asked with the token."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stacsift.credentials import container_provider
from stacsift.settings import PresignSettings, StoreSettings
from stacsift.signing.policy import parse_allow
from stacsift.signing.presigner import presigner
from stacsift.store import open_bucket
from tests.integration.conftest import s3_client
from tests.localstack import ACCESS_KEY, SECRET_KEY

TOKEN = "container-token-123"


class Endpoint:
    """A credentials endpoint on loopback serving ``secret``; records the Authorization seen."""

    def __init__(self) -> None:
        self.secret = SECRET_KEY
        self.seen: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.seen.append(self.headers.get("Authorization"))
                ok = self.headers.get("Authorization") == TOKEN
                body = {
                    "AccessKeyId": ACCESS_KEY,
                    "SecretAccessKey": owner.secret,
                    "Token": "session",
                    "Expiration": "2999-01-01T00:00:00+00:00",
                }
                data = json.dumps(body if ok else {"message": "bad token"}).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/2018-06-01/credentials"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()
    thread.join(timeout=10)


def test_static_keys_win_over_the_endpoint() -> None:
    keyed = StoreSettings(access_key_id="a", secret_access_key="b", container_credentials_uri="x")
    assert container_provider(keyed) is None
    assert container_provider(StoreSettings()) is None
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/c"}
    assert container_provider(StoreSettings.from_env(env)) is not None


def test_presigned_urls_carry_the_endpoints_credentials(
    localstack: StoreSettings, endpoint: Endpoint
) -> None:
    bucket = f"creds-{uuid.uuid4().hex[:10]}"
    client = s3_client(localstack)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="cogs/a.tif", Body=b"tiff bytes")
    store = replace(
        localstack,
        access_key_id=None,
        secret_access_key=None,
        container_credentials_uri=endpoint.url,
        container_token=TOKEN,
    )
    assert open_bucket(f"s3://{bucket}", store).get("cogs/a.tif") == b"tiff bytes"

    settings = PresignSettings(allow=parse_allow(bucket).rules, store=store)
    url = presigner(settings).sign(f"s3://{bucket}/cogs/a.tif", 600).url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - LocalStack
        assert response.read() == b"tiff bytes"
    assert endpoint.seen and set(endpoint.seen) == {TOKEN}

    endpoint.secret = "not-the-secret"
    wrong = presigner(settings).sign(f"s3://{bucket}/cogs/a.tif", 600).url
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong, timeout=10)  # noqa: S310 - LocalStack
    assert refused.value.code == 403
    refused.value.close()
