"""What a crawl found and what it had to leave out, with the reason for each.

A :class:`CrawlReport` is filled by one thread (the crawl's coordinator, then the builder) and is
what ``stacsift build --report`` writes: counts by kind, every skipped document with its URL and
the reason, and warnings about objects that were indexed leniently despite small deviations.
Warnings are grouped by message so that a catalog with a million items sharing one quirk gives one
line with a count and a few example URLs, not a million lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("Catalog", "Collection", "Item")
WARNING_EXAMPLES = 5


@dataclass(frozen=True)
class Skip:
    """A document that was not crawled or not indexed, and why."""

    href: str
    reason: str


@dataclass
class WarningGroup:
    """One kind of leniency: how often it was applied, and where first."""

    message: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class Transfer:
    """What crawling cost on the wire: requests, bodies, conditional hits, retries."""

    requests: int = 0
    """Documents requested from a remote source (HTTP or S3), including API pages."""
    bodies: int = 0
    """Requests answered with a body (status 200)."""
    not_modified: int = 0
    """Conditional requests answered ``304 Not Modified``: the cached copy was used."""
    retries: int = 0
    """Extra attempts after timeouts, 429s, 5xx and truncated bodies."""
    bytes: int = 0
    """Body bytes received (after decompression)."""


@dataclass
class CrawlReport:
    """Counts by kind, every skipped document with the reason, and grouped warnings."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    skipped: list[Skip] = field(default_factory=list)
    warnings: dict[str, WarningGroup] = field(default_factory=dict)
    transfer: Transfer = field(default_factory=Transfer)
    filtered: int = 0
    """Collections (and their items) left out by ``include``/``exclude`` patterns."""
    truncated: bool = False
    """``max_items`` was reached: more items may exist than were crawled."""

    def skip(self, href: str, reason: str) -> None:
        self.skipped.append(Skip(href, reason))

    def warn(self, href: str, message: str) -> None:
        group = self.warnings.get(message)
        if group is None:
            group = self.warnings[message] = WarningGroup(message)
        group.count += 1
        if len(group.examples) < WARNING_EXAMPLES:
            group.examples.append(href)

    @property
    def objects(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as ``--report`` writes it (plain JSON types)."""
        return {
            "counts": dict(self.counts),
            "skipped": [{"href": s.href, "reason": s.reason} for s in self.skipped],
            "warnings": [
                {"message": g.message, "count": g.count, "examples": list(g.examples)}
                for g in self.warnings.values()
            ],
            "transfer": vars(self.transfer).copy(),
            "filtered": self.filtered,
            "truncated": self.truncated,
        }
