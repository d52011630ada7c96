"""The tools people use today, run on the same data: whoosh for text, DuckDB for the table,
and a moto S3 server to hold an index root for cold starts."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.integration.conftest import free_port, listening


def whoosh_index(items: list[dict[str, Any]], folder: Path) -> Callable[[str], list[str]]:
    """A whoosh index of the same text fields; returns a search function (top 10 ids)."""
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import MultifieldParser

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer()),
        text=TEXT(analyzer=StemmingAnalyzer()),
    )
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), schema)
    writer = ix.writer(limitmb=256)
    for item in items:
        props = item["properties"]
        writer.add_document(
            id=item["id"],
            title=props["title"],
            text=f"{props['description']} {props['platform']} {item['collection']}",
        )
    writer.commit()
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "text"], schema=ix.schema)

    def search(q: str) -> list[str]:
        return [hit["id"] for hit in searcher.search(parser.parse(q), limit=10)]

    return search


def duckdb_connection(root: Path) -> Any:
    """A DuckDB connection with the view ``items`` over the table's GeoParquet parts."""
    import duckdb

    manifest = orjson.loads((root / "index/manifest.json").read_bytes())
    parts = [str(root / p["key"]) for p in manifest["table_parts"]]
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW items AS SELECT * FROM read_parquet({parts!r}, union_by_name=true)"
    )
    return connection


@contextmanager
def moto_root(local_root: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A moto S3 server holding a copy of ``local_root``; yields (s3 root, AWS env)."""
    import boto3

    port = free_port()
    moto = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with listening(moto, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        env = {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
        }
        bucket_name = f"bench-{uuid.uuid4().hex[:8]}"
        boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket=bucket_name)
        settings = StoreSettings(
            endpoint=env["AWS_ENDPOINT_URL"],
            region="us-east-1",
            access_key_id="bench",
            secret_access_key="bench",
        )
        bucket = open_bucket(f"s3://{bucket_name}/root", settings)
        for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
            if not path.name.endswith(".lock"):
                bucket.put_file(path.relative_to(local_root).as_posix(), path)
        yield f"s3://{bucket_name}/root", env
