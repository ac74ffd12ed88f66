"""Every file of the project that README.md and docs/*.md name exists (code moves; prose lags)."""

from __future__ import annotations

import re

import pytest

from tests.docs.test_examples import DOCUMENTS, ROOT

# A path of the project as the documents write it: `app/http/shared_rate_limit.py`,
# `tests/engine/test_even_cost.py::test_...` (the test's name is not checked), `scripts/seed`.
PATH = re.compile(r"\b(?:app|tests|scripts|tools|examples)/[\w./-]*\w")


def named_paths() -> list[tuple[str, str]]:
    return sorted(
        {
            (document.relative_to(ROOT).as_posix(), path)
            for document in DOCUMENTS
            for path in PATH.findall(document.read_text())
        }
    )


NAMED = named_paths()


def test_the_documents_name_files() -> None:
    assert len(NAMED) > 20


@pytest.mark.parametrize(("document", "path"), NAMED, ids=[f"{d}:{p}" for d, p in NAMED])
def test_a_named_file_exists(document: str, path: str) -> None:
    assert (ROOT / path).exists(), f"{document} names {path}, which does not exist"
