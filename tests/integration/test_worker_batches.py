"""How ``stacsift worker`` cuts a queue into batches, against moto's SQS: what is waiting in the
queue is one batch up to the cap (a burst becomes few generations), failures stay queued."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

import pytest

from stacsift.settings import StoreSettings
from stacsift_cli.worker import run
from tests.integration.conftest import sqs_client

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef


@pytest.fixture
def sqs(s3_store: StoreSettings) -> SQSClient:
    return sqs_client(s3_store)


def _queue(sqs: SQSClient, visibility: int = 30) -> str:
    name = f"worker-{uuid.uuid4().hex[:8]}"
    attributes = {"VisibilityTimeout": str(visibility)}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]


def _send(sqs: SQSClient, url: str, count: int) -> None:
    for start in range(0, count, 10):
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(min(10, count - start))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


class Recorder:
    """A handler that records each batch's bodies and fails the records it is told to."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.batches: list[list[str]] = []
        self.failing = failing

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        self.batches.append([r["body"] for r in records])
        failed = [r["messageId"] for r in records if r["body"] in self.failing]
        self.failing = frozenset()  # once: the redelivery succeeds
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


@pytest.mark.integration
def test_what_the_queue_holds_is_one_batch_up_to_the_cap(sqs: SQSClient) -> None:
    url = _queue(sqs)
    _send(sqs, url, 35)
    handler = Recorder()
    stats = run(sqs, url, handler, batch_size=20, until_idle=1)
    assert [len(b) for b in handler.batches] == [20, 15]
    assert sorted(b for batch in handler.batches for b in batch) == sorted(
        f"m{n}" for n in range(35)
    )
    assert (stats.batches, stats.messages, stats.failed) == (2, 35, 0)


class Sampling:
    """An injected fault: SQS's answer to a receive that does not wait, which asks only some of
    its servers and so comes back short while messages are still queued (here: three at most)."""

    def __init__(self, sqs: SQSClient) -> None:
        self.sqs = sqs
        self.short = 0

    def receive_message(self, **request: Any) -> Any:
        if request["WaitTimeSeconds"] == 0 and request["MaxNumberOfMessages"] > 3:
            request["MaxNumberOfMessages"] = 3
            self.short += 1
        return self.sqs.receive_message(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)


@pytest.mark.integration
def test_a_short_receive_does_not_end_a_burst_batch_while_messages_are_queued(
    sqs: SQSClient,
) -> None:
    url = _queue(sqs)
    _send(sqs, url, 35)
    handler, sampling = Recorder(), Sampling(sqs)
    run(cast("SQSClient", sampling), url, handler, batch_size=100, until_idle=1)
    assert sampling.short > 1
    assert [len(b) for b in handler.batches] == [35]


@pytest.mark.integration
def test_a_reported_failure_is_received_again_and_the_rest_deleted(sqs: SQSClient) -> None:
    url = _queue(sqs, visibility=3)  # the failure is received again once it is visible again
    _send(sqs, url, 12)
    handler = Recorder(failing=frozenset({"m3"}))
    stats = run(sqs, url, handler, until_idle=5)
    assert [len(b) for b in handler.batches] == [12, 1]
    assert handler.batches[1] == ["m3"]
    assert (stats.messages, stats.failed) == (13, 1)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


@pytest.mark.integration
def test_an_idle_worker_waits_in_each_receive_even_with_a_short_until_idle(
    sqs: SQSClient,
) -> None:
    url = _queue(sqs)
    waits: list[int] = []

    class Recording(Sampling):
        def receive_message(self, **request: Any) -> Any:
            waits.append(request["WaitTimeSeconds"])
            return self.sqs.receive_message(**request)

    stats = run(cast("SQSClient", Recording(sqs)), url, Recorder(), until_idle=0.2)
    assert stats.batches == 0
    assert waits == [0, 1]  # one look without waiting (a backlog?), then one long poll
