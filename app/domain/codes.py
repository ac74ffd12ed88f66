"""Code strings: how they are normalised and compared, which are acceptable, and generating them.

A code is stored as entered (trimmed) and matched case-insensitively, so `code_key` is what a
uniqueness index and a lookup must use. Generated codes use alphabets without look-alike
characters (0/O, 1/I/L) because people read them off paper and type them in.
"""

from __future__ import annotations

import random
import re
import secrets
import string
from collections.abc import Callable, Collection, Container

from app.domain.enums import CodeCharset

MAX_CODE_LENGTH = 64
MIN_GENERATED_LENGTH = 4
MAX_GENERATED_LENGTH = 32
MAX_GENERATED_COUNT = 100_000

_CODE = re.compile(r"[A-Za-z0-9_-]+")
_LOOK_ALIKES = frozenset("0O1IL")
_ALPHABETS = {
    CodeCharset.ALPHANUMERIC: "".join(
        c for c in string.ascii_uppercase + string.digits if c not in _LOOK_ALIKES
    ),
    CodeCharset.LETTERS: "".join(c for c in string.ascii_uppercase if c not in _LOOK_ALIKES),
    CodeCharset.DIGITS: "23456789",
}


def normalize_code(s: str) -> str:
    """The code as it is stored and shown: surrounding whitespace removed, case kept."""
    return s.strip()


def code_key(s: str) -> str:
    """The comparison key of a code: trimmed and lower-cased (codes are case-insensitive)."""
    return s.strip().lower()


def code_problem(s: str) -> str | None:
    """Why `s` cannot be a code, as a readable message, or None when it can."""
    code = normalize_code(s)
    if not code:
        return "the code must not be empty"
    if len(code) > MAX_CODE_LENGTH:
        return f"the code must be at most {MAX_CODE_LENGTH} characters long, it has {len(code)}"
    if not _CODE.fullmatch(code):
        bad = next(c for c in code if not _CODE.fullmatch(c))
        return f"the code may only contain ASCII letters, digits, '-' and '_', not {bad!r}"
    return None


def charset_alphabet(charset: CodeCharset) -> str:
    """The characters generated codes of `charset` are made of (uppercase, no look-alikes)."""
    return _ALPHABETS[charset]


def _translation(alphabet: str) -> tuple[bytes, bytes]:
    """A byte table mapping random bytes uniformly onto `alphabet`, and the bytes to drop.

    Only the largest multiple of len(alphabet) below 256 is kept so every character is
    equally likely (rejection sampling); `bytes.translate` then does the work in C.
    """
    size = len(alphabet)
    usable = 256 - 256 % size
    table = bytes(ord(alphabet[b % size]) if b < usable else 0 for b in range(256))
    return table, bytes(range(usable, 256))


def _check_request(count: int, length: int, prefix: str) -> None:
    if not MIN_GENERATED_LENGTH <= length <= MAX_GENERATED_LENGTH:
        raise ValueError(
            f"length must be between {MIN_GENERATED_LENGTH} and {MAX_GENERATED_LENGTH},"
            f" got {length}"
        )
    if not 1 <= count <= MAX_GENERATED_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_GENERATED_COUNT}, got {count}")
    if prefix and not _CODE.fullmatch(prefix):
        raise ValueError(
            f"the prefix may only contain ASCII letters, digits, '-' and '_', got {prefix!r}"
        )
    if len(prefix) + length > MAX_CODE_LENGTH:
        raise ValueError(f"prefix and length together exceed {MAX_CODE_LENGTH} characters")


def generated_shape(
    *, length: int, prefix: str = "", charset: CodeCharset
) -> Callable[[str], bool]:
    """Whether an existing code has the shape of a code generated with this prefix, length and
    charset (case-insensitively), i.e. whether a new code could collide with it."""
    prefix_key = prefix.lower()
    alphabet_keys = frozenset(charset_alphabet(charset).lower())
    size = len(prefix) + length

    def fits(code: str) -> bool:
        key = code_key(code)
        return (
            len(key) == size
            and key.startswith(prefix_key)
            and alphabet_keys.issuperset(key[len(prefix) :])
        )

    return fits


def too_many_problem(
    count: int, *, length: int, prefix: str = "", charset: CodeCharset, clashing: int = 0
) -> str | None:
    """Why `count` more codes cannot be generated when `clashing` existing codes share their
    shape (see `generated_shape`), or None. More than half of the codes still free is refused:
    beyond that, codes become guessable from one another and generation slows down."""
    free = len(charset_alphabet(charset)) ** length - clashing
    if 2 * count <= free:
        return None
    return (
        f"cannot generate {count} codes of {length} {charset.value} characters"
        f"{f' after {prefix!r}' if prefix else ''}: only {free} are free and at most half"
        " may be used; use longer codes or a bigger charset"
    )


def draw_codes(
    count: int,
    *,
    length: int,
    prefix: str = "",
    charset: CodeCharset,
    rng: random.Random | secrets.SystemRandom,
    avoid: Container[str] = (),
) -> list[str]:
    """`count` random codes, `prefix` followed by `length` characters of `charset`, distinct
    case-insensitively among themselves and from the lower-cased keys in `avoid`. Nothing
    else is checked: the caller decides which may be stored (a database's unique index)."""
    table, dropped = _translation(charset_alphabet(charset))
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < count:
        # Draw a little more than needed so that rejected bytes and duplicates rarely cost
        # another round; leftovers are discarded, which keeps the choice uniform.
        wanted = (count - len(codes)) * length
        raw = rng.randbytes(wanted + wanted // 4 + length)
        chars = raw.translate(table, dropped).decode("ascii")
        for start in range(0, len(chars) - length + 1, length):
            code = prefix + chars[start : start + length]
            key = code.lower()
            if key in seen or key in avoid:
                continue
            seen.add(key)
            codes.append(code)
            if len(codes) == count:
                break
    return codes


def generate_codes(
    count: int,
    *,
    length: int,
    prefix: str = "",
    charset: CodeCharset,
    rng: random.Random | secrets.SystemRandom,
    taken: Collection[str] = (),
) -> list[str]:
    """`count` new codes: `prefix` followed by `length` random characters of `charset`.

    They are unique among themselves and against the codes in `taken`, case-insensitively.
    The request is refused when it would use more than half of the codes still free with this
    prefix and length (`too_many_problem`). Pass `secrets.SystemRandom()` in production and a
    seeded `random.Random` in tests.
    """
    _check_request(count, length, prefix)
    clashing = sum(map(generated_shape(length=length, prefix=prefix, charset=charset), taken))
    problem = too_many_problem(
        count, length=length, prefix=prefix, charset=charset, clashing=clashing
    )
    if problem:
        raise ValueError(problem)
    avoid = {code_key(c) for c in taken}
    return draw_codes(count, length=length, prefix=prefix, charset=charset, rng=rng, avoid=avoid)
