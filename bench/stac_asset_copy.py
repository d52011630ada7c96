"""In stac-asset's own virtualenv (``make bench-mirror`` makes it): download every asset of a
catalog's items to a folder and print the seconds the download took, as JSON.

Run as ``python bench/stac_asset_copy.py CATALOG_URL FOLDER CONCURRENCY``. Reading the items
(pystac, over HTTP) is not timed; only the ``stac_asset.download_item`` calls are.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import pystac
import stac_asset


def main() -> None:
    url, folder, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    items = list(pystac.Catalog.from_file(url).get_items(recursive=True))
    started = time.perf_counter()
    asyncio.run(download(items, folder, concurrency))
    seconds = time.perf_counter() - started
    sys.stdout.write(json.dumps({"items": len(items), "seconds": seconds}) + "\n")


async def download(items: list[pystac.Item], folder: str, concurrency: int) -> None:
    """Each item into its own folder, ``concurrency`` items at once."""
    limit = asyncio.Semaphore(concurrency)

    async def one(item: pystac.Item) -> None:
        async with limit:
            await stac_asset.download_item(item, f"{folder}/{item.id}")

    await asyncio.gather(*(one(item) for item in items))


if __name__ == "__main__":
    main()
