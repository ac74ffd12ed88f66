"""A request's fingerprint is the SHA-256 of the standard library's canonical JSON, whichever
encoder writes it (orjson where the texts agree): every stored fingerprint was made so, and a
retry's key is matched by it."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from app.services.engine_request import canonical_json

_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x80))
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=5),
    max_leaves=20,
)


def _standard(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@given(_VALUES)
def test_canonical_json_is_the_standard_librarys_text(value: object) -> None:
    assert canonical_json(value) == _standard(value)


def test_the_texts_where_the_encoders_differ() -> None:
    # non-ASCII, DEL, control characters, quotes and backslashes, integers beyond 64 bits
    for value in (
        {"code": "CAFÉ", "lines": [["BOOKING", "Zimmer \u00fc", 1, 100, None]]},
        {"order": "a\x7fb"},
        {"order": "tab\there\x01\x1f"},
        {"order": 'quote " and \\ backslash'},
        {"site": 2**64, "b": True, "a": None},
        {"\u00e9": 1, "e": 2, "z": [1, 2]},
    ):
        assert canonical_json(value) == _standard(value)
