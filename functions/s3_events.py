"""SQS message bodies → the object changes they announce, for every way stores deliver them.

- S3 event notifications sent straight to SQS (or through SNS with raw message delivery):
  ``{"Records": [{"eventName": "ObjectCreated:Put", "s3": {...}}]}``, keys URL-encoded with
  ``+`` for spaces;
- the same wrapped in an SNS envelope (``{"Type": "Notification", "Message": "<json>"}``), as
  S3 → SNS → SQS delivers it and as Wasabi, which notifies only SNS, does;
- EventBridge events forwarded to SQS (``"detail-type": "Object Created"`` or
  ``"Object Deleted"``), whose keys are not URL-encoded;
- ``s3:TestEvent`` (sent when a notification is configured) and other events: no changes.

A body that is none of these raises :class:`MalformedEvent`: retrying cannot help it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

import orjson

from stacsift.errors import StacsiftError

EVENTBRIDGE_TYPES = {"Object Created": False, "Object Deleted": True}


class MalformedEvent(StacsiftError):
    """A message that is not an object event in any known shape; ``str()`` says why."""


@dataclass(frozen=True)
class ObjectEvent:
    """One object changed (created, overwritten or deleted) at ``s3://bucket/key``."""

    bucket: str
    key: str
    removed: bool
    time: datetime | None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_body(body: str) -> list[ObjectEvent]:
    """The object events of one SQS message body (none for test and other events)."""
    message = _json(body)
    if message.get("Type") == "Notification" and isinstance(message.get("Message"), str):
        message = _json(message["Message"])  # an SNS envelope (not raw delivery)
    if message.get("Event") == "s3:TestEvent":
        return []
    if "detail-type" in message:
        return _eventbridge(message)
    records = message.get("Records")
    if not isinstance(records, list):
        raise MalformedEvent("neither S3 Records, an SNS envelope nor an EventBridge event")
    return [event for record in records if (event := _record(record)) is not None]


def _json(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        raise MalformedEvent(f"not JSON: {err}") from None
    if not isinstance(value, dict):
        raise MalformedEvent("not a JSON object")
    return value


def _record(record: object) -> ObjectEvent | None:
    if not isinstance(record, dict):
        raise MalformedEvent("a record that is not a JSON object")
    name = str(record.get("eventName", ""))
    removed = "ObjectRemoved" in name
    if not removed and "ObjectCreated" not in name:
        return None  # restores, replication, lifecycle transitions: the object is unchanged
    bucket, key = _location(record.get("s3"))
    return ObjectEvent(bucket, unquote_plus(key), removed, _time(record.get("eventTime")))


def _eventbridge(message: dict[str, Any]) -> list[ObjectEvent]:
    removed = EVENTBRIDGE_TYPES.get(str(message.get("detail-type")))
    if removed is None:
        return []
    bucket, key = _location(message.get("detail"))
    return [ObjectEvent(bucket, key, removed, _time(message.get("time")))]


def _location(holder: object) -> tuple[str, str]:
    try:
        bucket = holder["bucket"]["name"]  # type: ignore[index]
        key = holder["object"]["key"]  # type: ignore[index]
    except (KeyError, TypeError):
        raise MalformedEvent("an object event without bucket name and object key") from None
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        raise MalformedEvent("an object event without bucket name and object key")
    return bucket, key


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
