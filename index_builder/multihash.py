"""Checking a copied file against what its STAC asset says: size always, ``file:checksum`` if any.

``file:checksum`` (file extension) is a hex-encoded multihash: a varint hash-function code, a
varint digest length, then the digest. The functions hashlib has are supported (SHA-1, SHA-2,
SHA-3, BLAKE2b-512 and BLAKE2s-256, MD5); an unknown one is reported, never silently trusted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from stacsift.errors import StacsiftError


class Hasher(Protocol):
    @property
    def digest_size(self) -> int: ...

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


HASHES: dict[int, Callable[[], Hasher]] = {
    0x11: hashlib.sha1,
    0x12: hashlib.sha256,
    0x13: hashlib.sha512,
    0x14: hashlib.sha3_512,
    0x15: hashlib.sha3_384,
    0x16: hashlib.sha3_256,
    0x17: hashlib.sha3_224,
    0xD5: hashlib.md5,
    0xB240: hashlib.blake2b,
    0xB260: hashlib.blake2s,
}


class BadChecksum(StacsiftError):
    """A ``file:checksum`` that is not a multihash this module can check."""


@dataclass(frozen=True)
class Multihash:
    code: int
    digest: bytes

    @classmethod
    def parse(cls, text: str) -> Multihash:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise BadChecksum(f"file:checksum {text!r} is not hex") from None
        code, at = _varint(raw, 0)
        length, at = _varint(raw, at)
        digest = raw[at:]
        if len(digest) != length:
            raise BadChecksum(f"file:checksum {text!r}: digest length {len(digest)}, not {length}")
        if code not in HASHES:
            raise BadChecksum(f"file:checksum {text!r}: unsupported hash function 0x{code:x}")
        if HASHES[code]().digest_size != length:
            raise BadChecksum(f"file:checksum {text!r}: truncated digests are not supported")
        return cls(code, digest)


def _varint(raw: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(raw):
        byte = raw[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    raise BadChecksum("file:checksum ends inside a varint")


class Verifier:
    """Fed every chunk of a copy; :meth:`problem` says what is wrong with it, if anything."""

    def __init__(self, expected_size: int | None, checksum: str | None) -> None:
        self.expected_size = expected_size
        self.expected = Multihash.parse(checksum) if checksum else None
        self._hash = HASHES[self.expected.code]() if self.expected else None
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._hash is not None:
            self._hash.update(chunk)

    def problem(self) -> str | None:
        if self.expected_size is not None and self.size != self.expected_size:
            return f"size {self.size} bytes, expected {self.expected_size}"
        if self.expected is not None and self._hash is not None:
            if self._hash.digest() != self.expected.digest:
                return "checksum mismatch (file:checksum)"
        return None
