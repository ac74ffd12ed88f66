"""Code normalisation, validation and generation."""

from __future__ import annotations

import random
import secrets
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import (
    CodeCharset,
    charset_alphabet,
    code_key,
    code_problem,
    generate_codes,
    normalize_code,
)

from .strategies import light

LOOK_ALIKES = set("0O1IL")


def test_normalisation_and_key() -> None:
    assert normalize_code("  Summer-10\t") == "Summer-10"
    assert code_key("  Summer-10\n") == "summer-10" == code_key("SUMMER-10")


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("A", True),
        ("summer_2025-x", True),
        ("  padded  ", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("   ", False),
        ("with space", False),
        ("café", False),
        ("١٢٣", False),  # non-ASCII digits
        ("semi;colon", False),
        ("new\nline", False),
    ],
)
def test_code_problem(code: str, ok: bool) -> None:
    problem = code_problem(code)
    assert (problem is None) == ok
    if problem is not None:
        assert isinstance(problem, str) and problem


def test_alphabets_have_no_look_alikes() -> None:
    assert charset_alphabet(CodeCharset.ALPHANUMERIC) == "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    assert charset_alphabet(CodeCharset.LETTERS) == "ABCDEFGHJKMNPQRSTUVWXYZ"
    assert charset_alphabet(CodeCharset.DIGITS) == "23456789"
    for charset in CodeCharset:
        alphabet = charset_alphabet(charset)
        assert not LOOK_ALIKES & set(alphabet) and len(set(alphabet)) == len(alphabet)


@light
@given(
    st.integers(1, 300),
    st.integers(4, 32),
    st.sampled_from(["", "SUMMER-", "vip_", "x"]),
    st.sampled_from(CodeCharset),
    st.integers(0, 2**32),
)
def test_generated_codes(count, length, prefix, charset, seed) -> None:
    codes = generate_codes(
        count, length=length, prefix=prefix, charset=charset, rng=random.Random(seed)
    )
    alphabet = set(charset_alphabet(charset))
    assert len(codes) == count
    assert len({code_key(c) for c in codes}) == count
    for code in codes:
        assert code.startswith(prefix) and len(code) == len(prefix) + length
        assert set(code[len(prefix) :]) <= alphabet
        assert code_problem(code) is None


def test_generation_is_reproducible_with_a_seed_and_avoids_taken_codes() -> None:
    first = generate_codes(50, length=6, charset=CodeCharset.LETTERS, rng=random.Random(7))
    assert first == generate_codes(50, length=6, charset=CodeCharset.LETTERS, rng=random.Random(7))
    # Taken codes are compared case-insensitively and after trimming.
    taken = [f" {c.lower()} " for c in first]
    again = generate_codes(
        50, length=6, charset=CodeCharset.LETTERS, rng=random.Random(7), taken=taken
    )
    assert not {code_key(c) for c in again} & {code_key(c) for c in first}


def test_generation_fills_half_of_a_small_space_with_taken_codes() -> None:
    # 8**4 = 4096 codes; 96 taken in this space (and one elsewhere) leaves 4000, so 2000 fit.
    space = generate_codes(96, length=4, charset=CodeCharset.DIGITS, rng=random.Random(1))
    taken = [*space, "OTHER-CODE"]
    codes = generate_codes(
        2000, length=4, charset=CodeCharset.DIGITS, rng=random.Random(2), taken=taken
    )
    assert len(set(codes) | set(space)) == 2096
    with pytest.raises(ValueError, match="only 4000 are free"):
        generate_codes(
            2001, length=4, charset=CodeCharset.DIGITS, rng=random.Random(2), taken=taken
        )


@pytest.mark.parametrize(
    ("count", "length", "prefix", "message"),
    [
        (0, 8, "", "count"),
        (100_001, 8, "", "count"),
        (10, 3, "", "length"),
        (10, 33, "", "length"),
        (10, 8, "bad prefix", "prefix"),
        (10, 32, "P" * 33, "exceed"),
        (2049, 4, "", "free"),
    ],
)
def test_generation_refuses_bad_requests(count, length, prefix, message) -> None:
    with pytest.raises(ValueError, match=message):
        generate_codes(
            count, length=length, prefix=prefix, charset=CodeCharset.DIGITS, rng=random.Random(0)
        )


def test_a_hundred_thousand_codes_well_under_a_second() -> None:
    started = time.perf_counter()
    codes = generate_codes(
        100_000, length=8, charset=CodeCharset.ALPHANUMERIC, rng=secrets.SystemRandom()
    )
    elapsed = time.perf_counter() - started
    assert len(set(codes)) == 100_000
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
