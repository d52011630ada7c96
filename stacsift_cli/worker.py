"""``stacsift worker``: drain an SQS queue of object events with the reindex Lambda's handler.

Where no Lambda runs (LocalStack without docker, a laptop, a VM), this is the event-source
mapping: it long-polls the queue, hands each batch to ``functions.reindex.handler`` in the exact
SQS event shape Lambda delivers, deletes the messages that succeeded and leaves the reported
failures to be redelivered (and, after the queue's ``maxReceiveCount``, moved to its DLQ).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef, MessageTypeDef

logger = logging.getLogger(__name__)
MAX_MESSAGES = 10  # SQS hands out at most ten messages per receive
BATCH_SIZE = 1000  # messages per batch (one generation) at most, by default
LONG_POLL_SECONDS = 20
DRAINED_WAIT_SECONDS = 1  # how long a burst's batch may wait to learn the queue is empty

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class LocalContext:
    """The parts of a Lambda context that powertools reads."""

    function_name: str = "stacsift-worker"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:stacsift-worker"
    memory_limit_in_mb: int = 0
    aws_request_id: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class WorkerStats:
    batches: int = 0
    messages: int = 0
    failed: int = 0


def run(
    sqs: SQSClient,
    queue_url: str,
    handler: Handler,
    *,
    batch_size: int = BATCH_SIZE,
    window: float = 0.0,
    until_idle: float | None = None,
) -> WorkerStats:
    """Poll ``queue_url`` until interrupted, or until it stays empty for ``until_idle`` seconds.

    A batch is what the queue holds, up to ``batch_size`` messages (see :func:`_receive`): a
    lone event is handled at once, a burst in a few large generations. A batch's objects are
    held in memory until it is published, so ``batch_size`` also bounds the memory used."""
    stats = WorkerStats()
    idle_since = time.monotonic()
    # Deleting what a batch finished (a round trip per ten messages) overlaps the next receive
    # and handling; leaving the block waits for the last deletes.
    with ThreadPoolExecutor(max_workers=1) as deletes:
        while True:
            messages = _receive(sqs, queue_url, batch_size, _long_poll(until_idle), window)
            if not messages:
                if until_idle is not None and time.monotonic() - idle_since >= until_idle:
                    return stats
                continue
            done = _handle(handler, messages, queue_url, stats)
            deletes.submit(_delete, sqs, queue_url, done)
            idle_since = time.monotonic()


def _long_poll(until_idle: float | None) -> int:
    """Seconds a receive waits for a message: whole ones (SQS), at least one, so that an idle
    worker never polls without waiting."""
    if until_idle is None:
        return LONG_POLL_SECONDS
    return min(LONG_POLL_SECONDS, max(1, math.ceil(until_idle)))


def _receive(
    sqs: SQSClient, queue_url: str, batch_size: int, wait: int, window: float
) -> list[MessageTypeDef]:
    """A batch of up to ``batch_size`` messages, ``[]`` if none came within ``wait`` seconds.

    Messages already waiting, or a first receive that comes back full, mean the worker is behind
    (a burst): the batch takes them and gathers more for up to ``window`` seconds (Lambda's
    ``MaximumBatchingWindowInSeconds``), at least :data:`DRAINED_WAIT_SECONDS`, so that a burst
    becomes a few large generations. Otherwise the batch is handled at once: a lone event never
    waits. Receives go on while they come back full; a short one ends a burst's batch only when
    a long poll confirms the queue is empty (on SQS a receive that does not wait asks only some
    of its servers, and comes back short while messages are still queued)."""
    wanted = min(MAX_MESSAGES, batch_size)
    received = _poll(sqs, queue_url, wanted, 0)
    burst = bool(received)
    if not burst:
        received = _poll(sqs, queue_url, wanted, wait)
        burst = len(received) == wanted  # (a zero-wait receive can miss a backlog on SQS)
    deadline = time.monotonic() + max(window, DRAINED_WAIT_SECONDS) if burst else 0.0
    messages = list(received)
    while messages and len(messages) < batch_size:
        full = len(received) == wanted
        wanted = min(MAX_MESSAGES, batch_size - len(messages))
        if full:
            received = _poll(sqs, queue_url, wanted, 0)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # a long poll takes whole seconds, and returns at the first message
            received = _poll(sqs, queue_url, wanted, min(LONG_POLL_SECONDS, math.ceil(left)))
            if not received:
                break
        messages += received
    return messages


def _poll(sqs: SQSClient, queue_url: str, wanted: int, wait: int) -> list[MessageTypeDef]:
    answer = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=wanted,
        WaitTimeSeconds=wait,
        MessageSystemAttributeNames=["All"],
    )
    return answer.get("Messages", [])


def _handle(
    handler: Handler, messages: list[MessageTypeDef], queue_url: str, stats: WorkerStats
) -> list[MessageTypeDef]:
    """Run ``handler`` on one batch; the messages it did not report as failures."""
    event = {"Records": [_record(m, queue_url) for m in messages]}
    try:
        response = handler(event, LocalContext(aws_request_id=str(uuid.uuid4())))
    except Exception:  # a failed invocation: as on Lambda, the whole batch is redelivered
        logger.exception("the batch failed; its %s messages will be redelivered", len(messages))
        response = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    stats.batches += 1
    stats.messages += len(messages)
    stats.failed += len(failed)
    logger.info("batch of %s messages: %s left for redelivery", len(messages), len(failed))
    return [m for m in messages if m["MessageId"] not in failed]


def _delete(sqs: SQSClient, queue_url: str, done: list[MessageTypeDef]) -> None:
    """Delete handled messages from the queue; one that cannot be deleted is redelivered, and
    handling it again is harmless (an event is a hint: the bucket is read again)."""
    for start in range(0, len(done), MAX_MESSAGES):
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
            for n, m in enumerate(done[start : start + MAX_MESSAGES])
        ]
        try:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        except (BotoCoreError, ClientError):
            logger.warning("could not delete %s handled messages", len(entries), exc_info=True)


def _record(message: MessageTypeDef, queue_url: str) -> dict[str, Any]:
    """A received message in the shape of a record of a Lambda SQS event."""
    *_, account, name = queue_url.rstrip("/").split("/")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:local:{account}:{name}",
        "awsRegion": "local",
    }
