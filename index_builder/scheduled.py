"""The scheduled reconcile: an EventBridge schedule runs this Lambda, which crawls the configured
sources (the watched prefix's catalog, or a remote catalog or STAC API) and publishes what
changed, as ``stacsift build SOURCE --root ROOT`` would. Events are hints; this is the sweep that
makes the index converge on the bucket whatever events were lost.

Handler: ``index_builder.scheduled.handler`` (packaged in the reindex zip, which has the builder).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from index_builder.build import BuildResult, build
from index_builder.crawl import Crawler
from stacsift.settings import ReconcileSettings
from stacsift.store import open_bucket

logger = logging.getLogger(__name__)


def reconcile(settings: ReconcileSettings) -> BuildResult:
    """Crawl ``settings.sources`` and publish what changed since the current generation."""
    bucket = open_bucket(settings.root, settings.store, create=True)
    work = settings.cache_dir / "crawl"
    work.mkdir(parents=True, exist_ok=True)
    with Crawler(store=settings.store) as crawler:
        return build(
            list(settings.sources), bucket, work, crawler=crawler, cache_dir=settings.cache_dir
        )


def summary(result: BuildResult) -> dict[str, Any]:
    """What the invocation returns (and logs): the generation and what the crawl met."""
    return {
        "generation": result.manifest.generation,
        "unchanged": result.unchanged,
        "changed": result.changed,
        "deleted": result.deleted,
        "skipped": len(result.report.skipped),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point; the schedule's event carries nothing the crawl needs."""
    logging.getLogger("stacsift").setLevel(logging.INFO)
    out = summary(reconcile(ReconcileSettings.from_env(os.environ)))
    logger.info("reconciled: %s", out)
    return out
