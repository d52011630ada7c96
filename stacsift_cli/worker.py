"""``stacsift worker``: drain an SQS queue of object events with the reindex Lambda's handler.

Where no Lambda runs (LocalStack without docker, a laptop, a VM), this is the event-source
mapping: it long-polls the queue, hands each batch to ``functions.reindex.handler`` in the exact
SQS event shape Lambda delivers, deletes the messages that succeeded and leaves the reported
failures to be redelivered (and, after the queue's ``maxReceiveCount``, moved to its DLQ).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef, MessageTypeDef

logger = logging.getLogger(__name__)
MAX_MESSAGES = 10  # SQS hands out at most ten messages per receive
LONG_POLL_SECONDS = 20
WINDOW_POLL_SECONDS = 0.05

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
    batch_size: int = MAX_MESSAGES,
    window: float = 0.0,
    until_idle: float | None = None,
) -> WorkerStats:
    """Poll ``queue_url`` until interrupted, or until it stays empty for ``until_idle`` seconds.

    ``batch_size`` above ten and a batching ``window`` (seconds) gather several receives into
    one batch, as a Lambda event-source mapping with a batching window does: fewer, larger
    generations under a burst, for up to ``window`` more latency."""
    stats = WorkerStats()
    idle_since = time.monotonic()
    while True:
        wait = LONG_POLL_SECONDS if until_idle is None else min(LONG_POLL_SECONDS, until_idle)
        messages = _receive(sqs, queue_url, batch_size, int(wait), window)
        if not messages:
            if until_idle is not None and time.monotonic() - idle_since >= until_idle:
                return stats
            continue
        _handle(sqs, queue_url, handler, messages, stats)
        idle_since = time.monotonic()


def _receive(
    sqs: SQSClient, queue_url: str, batch_size: int, wait: int, window: float
) -> list[MessageTypeDef]:
    """Up to ``batch_size`` messages: a long poll for the first, then more for up to
    ``window`` seconds (Lambda's ``MaximumBatchingWindowInSeconds``)."""
    messages: list[MessageTypeDef] = []
    deadline = None
    while len(messages) < batch_size:
        left = 0.0 if deadline is None else deadline - time.monotonic()
        if deadline is not None and left <= 0:
            break
        answer = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(MAX_MESSAGES, batch_size - len(messages)),
            WaitTimeSeconds=wait if deadline is None else 0,
            MessageSystemAttributeNames=["All"],
        )
        received = answer.get("Messages", [])
        if not received and (deadline is None or window == 0):
            break
        if not received:  # within the window: look again shortly (SQS waits whole seconds)
            time.sleep(min(WINDOW_POLL_SECONDS, left))
        messages += received
        if deadline is None:
            deadline = time.monotonic() + window
    return messages


def _handle(
    sqs: SQSClient,
    queue_url: str,
    handler: Handler,
    messages: list[MessageTypeDef],
    stats: WorkerStats,
) -> None:
    event = {"Records": [_record(m, queue_url) for m in messages]}
    try:
        response = handler(event, LocalContext(aws_request_id=str(uuid.uuid4())))
    except Exception:  # a failed invocation: as on Lambda, the whole batch is redelivered
        logger.exception("the batch failed; its %s messages will be redelivered", len(messages))
        response = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    for start in range(0, len(done), MAX_MESSAGES):
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
            for n, m in enumerate(done[start : start + MAX_MESSAGES])
        ]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    stats.batches += 1
    stats.messages += len(messages)
    stats.failed += len(failed)
    logger.info("batch of %s messages: %s left for redelivery", len(messages), len(failed))


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
