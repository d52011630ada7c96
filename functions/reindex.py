"""The reindex Lambda: SQS batches of object events → one new generation per batch.

Thin by design: each record's body is parsed (:mod:`functions.s3_events`) and its objects read
by the core (:class:`stacsift.reindex.apply.Reindexer`) inside powertools batch processing, so
that a record whose read fails transiently is the only one reported in ``batchItemFailures``;
then the batch's states are published as one generation. Bad input (malformed messages,
objects that are not STAC) is acknowledged and listed as rejects, never retried. If the publish
itself fails, the invocation fails and SQS redelivers the whole batch: replaying it is harmless.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.observability import function_logger, function_metrics
from functions.s3_events import MalformedEvent, ObjectEvent, parse_body
from stacsift.reindex.apply import Batch, Reindexer, open_reindexer
from stacsift.settings import ReindexSettings
from stacsift.update import UpdateResult

logger = function_logger("stacsift-reindex")
metrics = function_metrics("reindex")

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def process(reindexer: Reindexer, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Read every record of an SQS ``event``, publish the batch; the partial batch response."""
    reindexer = reindexer.prefetched([e.url for r in event["Records"] for e in _events(r)])
    batch = Batch()
    times: list[datetime] = []

    def record_handler(record: SQSRecord) -> None:
        try:
            events = parse_body(record.body)
        except MalformedEvent as err:
            reindexer.reject(batch, f"sqs message {record.message_id}", str(err))
            return
        for change in events:
            reindexer.read(change.url, batch)
            if change.time is not None:
                times.append(change.time)

    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(event, record_handler, processor, context)
    _record_metrics(batch, reindexer.publish(batch), times)
    return dict(response)


def _events(record: dict[str, Any]) -> list[ObjectEvent]:
    try:
        return parse_body(str(record.get("body", "")))
    except MalformedEvent:
        return []  # rejected when its record is handled


def _record_metrics(batch: Batch, result: UpdateResult | None, times: list[datetime]) -> None:
    metrics.add_metric("events", MetricUnit.Count, batch.events)
    metrics.add_metric("rejects", MetricUnit.Count, len(batch.rejects))
    if result is None:
        return
    stats = result.manifest.stats
    metrics.add_metric("upserts", MetricUnit.Count, int(stats.get("upserts", 0)))
    metrics.add_metric("deletes", MetricUnit.Count, int(stats.get("deletes", 0)))
    if times:
        lag = datetime.now(UTC) - min(times)
        metrics.add_metric("lag", MetricUnit.Seconds, max(lag.total_seconds(), 0.0))


def make_handler(settings: ReindexSettings | None = None) -> Handler:
    """A Lambda handler for ``settings`` (read from the environment on first use when None)."""
    reindexer = cache(lambda: open_reindexer(settings or ReindexSettings.from_env(os.environ)))

    @metrics.log_metrics
    @logger.inject_lambda_context(correlation_id_path="Records[0].messageId")
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return process(reindexer(), event, context)

    return handle


handler = make_handler()
"""The Lambda entry point: ``functions.reindex.handler``."""
