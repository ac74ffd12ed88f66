"""Persisted operations: a document sent once and named by its SHA-256 afterwards (Automatic
Persisted Queries), or, in production, only the documents of a manifest (trusted documents).

The protocol is Apollo's (version 1), over GET and POST alike: the request's
`extensions.persistedQuery` is `{"version": 1, "sha256Hash": "<64 hex digits>"}`, the hash of
the document's UTF-8 text.

Automatic (the default, `persisted_query_cache_bytes` > 0):
- the hash alone: the stored document runs; unknown, the error is `PERSISTED_QUERY_NOT_FOUND`
  (message `PersistedQueryNotFound`, what Apollo's clients and others match on) and the client
  sends the hash again with its query;
- hash and query: the hash must be the query's (else `PERSISTED_QUERY_HASH_MISMATCH`), the
  query runs, and it is stored once it has run (parsed and validated: a document that does not
  validate is never stored, so garbage cannot push real documents out).

The store is this process's memory: an LRU bounded by the documents' total length
(`cachetools.LRUCache`). That is enough because what it saves is bandwidth, not correctness:
a process that has not seen a hash answers NOT_FOUND and the client's retry fills it, so with N
processes a client pays at most N extra round trips per document, once. A client application
has tens to a few hundred documents, well inside the bound. Redis (`DISCOUNTS_REDIS_URL`) would
share them, but at a round trip (about 0.3 ms) on every request that uses a hash, to save one
retry per process per document.

Trusted documents (`DISCOUNTS_TRUSTED_DOCUMENTS`, a JSON manifest of hash -> document written by
`scripts/persisted-manifest` from the clients' `.graphql` files): only the manifest's documents
run, named by their hash or sent in full (the same text); anything else gets
`PERSISTED_QUERY_NOT_IN_LIST` and nothing is stored. The manifest is checked when the app
starts (each hash must be its document's), so a broken one stops the deployment, not requests.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Protocol

import orjson
from cachetools import LRUCache

from app.http.http_params import JSONObject
from app.settings import Settings, SettingsError

# Their HTTP statuses are in app.http.responses.
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
FIELD = "extensions.persistedQuery"


def persisted_queries_for(settings: Settings) -> PersistedQueries:
    """Trusted documents when a manifest is set, else automatic (unless turned off)."""
    if settings.trusted_documents is not None:
        return TrustedDocuments.from_manifest(settings.trusted_documents)
    if settings.persisted_query_cache_bytes > 0:
        return AutomaticPersistedQueries(settings.persisted_query_cache_bytes)
    return NoPersistedQueries()


class PersistedQueryError(Exception):
    """The request names a document that cannot run: a request error, nothing executed."""

    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def requested_hash(extensions: JSONObject | None) -> str | None:
    """The `sha256Hash` of `extensions.persistedQuery`, None when there is none."""
    persisted = extensions.get("persistedQuery") if extensions else None
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise PersistedQueryError(f"{FIELD}: must be an object with version and sha256Hash.")
    if persisted.get("version") != 1:
        raise PersistedQueryError(
            f"{FIELD}.version: only version 1 is supported, not {persisted.get('version')!r}.",
            PERSISTED_QUERY_NOT_SUPPORTED,
        )
    sha256_hash = persisted.get("sha256Hash")
    if not isinstance(sha256_hash, str) or not _SHA256_HEX.fullmatch(sha256_hash):
        raise PersistedQueryError(
            f"{FIELD}.sha256Hash: must be the SHA-256 of the query, 64 lowercase hex digits."
        )
    return sha256_hash


def _mismatch(sha256_hash: str, query: str) -> PersistedQueryError:
    return PersistedQueryError(
        f"{FIELD}.sha256Hash: {sha256_hash} is not the SHA-256 of the query sent with it "
        f"({sha256_hex(query)}).",
        PERSISTED_QUERY_HASH_MISMATCH,
    )


class PersistedQueries(Protocol):
    """What the endpoint asks before it runs a request, and tells after."""

    def document(self, query: str | None, extensions: JSONObject | None) -> str:
        """The document to run, or PersistedQueryError."""

    def ran(self, query: str, extensions: JSONObject | None) -> None:
        """The document ran (it parsed and validated): remember it when it came with a hash."""


class AutomaticPersistedQueries:
    """Apollo's APQ with this process's LRU (at most `max_bytes` characters of documents)."""

    def __init__(self, max_bytes: int) -> None:
        self.documents: LRUCache[str, str] = LRUCache(maxsize=max_bytes, getsizeof=len)

    def document(self, query: str | None, extensions: JSONObject | None) -> str:
        sha256_hash = requested_hash(extensions)
        if sha256_hash is None:
            return _required(query)
        if query is None:
            stored = self.documents.get(sha256_hash)
            if stored is None:
                # The message is the protocol's: clients match on it to send the query.
                raise PersistedQueryError("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)
            return stored
        if sha256_hex(query) != sha256_hash:
            raise _mismatch(sha256_hash, query)
        return query

    def ran(self, query: str, extensions: JSONObject | None) -> None:
        # `document` checked the hash before the query ran.
        sha256_hash = requested_hash(extensions)
        if sha256_hash is None:
            return
        if sha256_hash not in self.documents and len(query) <= self.documents.maxsize:
            self.documents[sha256_hash] = query


class NoPersistedQueries:
    """Persisted queries turned off (`persisted_query_cache_bytes` 0): a hash is refused with
    the code that tells Apollo's clients to stop sending one."""

    def document(self, query: str | None, extensions: JSONObject | None) -> str:
        if (extensions or {}).get("persistedQuery") is not None:
            raise PersistedQueryError("PersistedQueryNotSupported", PERSISTED_QUERY_NOT_SUPPORTED)
        return _required(query)

    def ran(self, query: str, extensions: JSONObject | None) -> None:
        return None


class TrustedDocuments:
    """Only the documents of a manifest run (by hash, or sent in full with the same text)."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents

    @classmethod
    def from_manifest(cls, path: Path) -> TrustedDocuments:
        return cls(read_manifest(path))

    def document(self, query: str | None, extensions: JSONObject | None) -> str:
        sha256_hash = requested_hash(extensions)
        if sha256_hash is not None and query is not None and sha256_hex(query) != sha256_hash:
            raise _mismatch(sha256_hash, query)
        if sha256_hash is None:
            sha256_hash = sha256_hex(_required(query))
        trusted = self.documents.get(sha256_hash)
        if trusted is None:
            raise PersistedQueryError(
                "Only the operations of the trusted documents manifest run here, and this "
                f"document (SHA-256 {sha256_hash}) is not among them.",
                PERSISTED_QUERY_NOT_IN_LIST,
            )
        return trusted

    def ran(self, query: str, extensions: JSONObject | None) -> None:
        return None


class ManifestError(SettingsError):
    """The trusted documents manifest cannot be used: the app refuses to start
    (app.startup), naming the setting."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"DISCOUNTS_TRUSTED_DOCUMENTS: {problem}")


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's hash -> document map, each hash checked against its document."""
    try:
        manifest = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ManifestError(f"{path}: cannot be read ({error.strerror})") from None
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not manifest:
        raise ManifestError(f"{path}: must be a JSON object of SHA-256 -> document, not empty")
    for sha256_hash, document in manifest.items():
        if not isinstance(document, str):
            raise ManifestError(f"{path}: {sha256_hash}: the document must be a string")
        if sha256_hex(document) != sha256_hash:
            raise ManifestError(
                f"{path}: {sha256_hash} is not the SHA-256 of its document "
                f"({sha256_hex(document)}); regenerate it with scripts/persisted-manifest"
            )
    return manifest


def manifest_of(documents: list[str]) -> dict[str, str]:
    """The manifest for `documents`, each kept as its exact text (what the client sends)."""
    return {sha256_hex(document): document for document in documents}


def _required(query: str | None) -> str:
    if query is None:
        raise PersistedQueryError("query: a GraphQL document (a string) is required.")
    return query
