"""scripts/check-schema-compat: a breaking change fails CI unless the same change declares it
(moves schema.baseline.graphql and adds a CHANGELOG.md line naming it), removals only after
@deprecated. Each test builds a small repository with git and runs the script as CI does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

SCRIPT = ROOT / "scripts" / "check-schema-compat"

RELEASED = """
type Query {
  coupon(id: ID!): Coupon
}

type Coupon {
  id: ID!
  name: String!
  legacyCode: String @deprecated(reason: "Use name.")
  notes: String
}

enum Channel {
  ONLINE
  BOX_OFFICE
  KIOSK @deprecated(reason: "No kiosks any more.")
}
"""

CHANGELOG = """# Changelog

## [Unreleased]

### Added
- Something unrelated.

## [0.1.0] - 2026-12-06

### Added
- The first release, with `Coupon.notes`.

[Unreleased]: https://example.invalid/compare/v0.1.0...HEAD
[0.1.0]: https://example.invalid/releases/tag/v0.1.0
"""

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
}  # fmt: skip


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.git("init", "-q", "-b", "main")
        self.write(schema=RELEASED, baseline=RELEASED, changelog=CHANGELOG)
        self.commit("release 0.1.0")

    def git(self, *arguments: str) -> None:
        subprocess.run(
            ["git", "-C", str(self.path), *arguments],
            check=True,
            capture_output=True,
            env={**os.environ, **_GIT_ENV},
        )

    def write(
        self,
        *,
        schema: str | None = None,
        baseline: str | None = None,
        changelog: str | None = None,
    ) -> None:
        for name, text in (
            ("schema.graphql", schema),
            ("schema.baseline.graphql", baseline),
            ("CHANGELOG.md", changelog),
        ):
            if text is not None:
                (self.path / name).write_text(text)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPT), "--root", str(self.path)],
            capture_output=True,
            text=True,
        )


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def without(text: str, line: str) -> str:
    assert line in text
    return text.replace(line, "", 1)


def declared(entry: str) -> str:
    return CHANGELOG.replace(
        "### Added\n- Something", f"### Removed\n- {entry}\n\n### Added\n- Something", 1
    )


REMOVE_LEGACY = '  legacyCode: String @deprecated(reason: "Use name.")\n'
REMOVE_KIOSK = '  KIOSK @deprecated(reason: "No kiosks any more.")\n'


def test_an_unchanged_schema_passes(repo: Repo) -> None:
    result = repo.check()
    assert result.returncode == 0, result.stderr
    assert "no undeclared breaking change" in result.stdout


@pytest.mark.parametrize(
    ("line", "named"),
    [(REMOVE_LEGACY, "Coupon.legacyCode"), (REMOVE_KIOSK, "Channel.KIOSK")],
    ids=["field", "enum value"],
)
def test_a_planted_removal_fails(repo: Repo, line: str, named: str) -> None:
    repo.write(schema=without(RELEASED, line))
    result = repo.check()
    assert result.returncode == 1
    assert f"`{named}`" in result.stderr and "breaking change" in result.stderr
    repo.commit("remove it")  # committed, the same
    assert repo.check().returncode == 1


def test_a_changelog_line_alone_does_not_declare(repo: Repo) -> None:
    repo.write(schema=without(RELEASED, REMOVE_LEGACY), changelog=declared("`Coupon.legacyCode`."))
    assert repo.check().returncode == 1


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        (REMOVE_LEGACY, "`Coupon.legacyCode` (deprecated in 0.1.0): use `Coupon.name`."),
        (REMOVE_KIOSK, "`Channel.KIOSK`, deprecated in 0.1.0."),
    ],
    ids=["field", "enum value"],
)
def test_a_declared_removal_passes_before_and_after_its_commit(
    repo: Repo, line: str, entry: str
) -> None:
    changed = without(RELEASED, line)
    repo.write(schema=changed, baseline=changed, changelog=declared(entry))
    result = repo.check()
    assert result.returncode == 0, result.stderr
    repo.commit("remove a deprecated member")
    result = repo.check()
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_moving_the_baseline_without_a_changelog_line_fails_in_history(repo: Repo) -> None:
    changed = without(RELEASED, REMOVE_LEGACY)
    repo.write(schema=changed, baseline=changed)
    assert repo.check().returncode == 1
    repo.commit("sneak it in")
    repo.write(changelog=declared("`Coupon.legacyCode`."))
    repo.commit("declare it afterwards")  # too late: the commit that moved the baseline is bare
    result = repo.check()
    assert result.returncode == 1
    assert "commit " in result.stderr and "`Coupon.legacyCode`" in result.stderr


def test_a_merged_branch_is_one_change(repo: Repo) -> None:
    # The branch moves the baseline in one commit and declares it in the next; merged with a
    # merge commit, the merge is the change that moved the baseline, and it declares it.
    changed = without(RELEASED, REMOVE_LEGACY)
    repo.git("checkout", "-q", "-b", "removal")
    repo.write(schema=changed, baseline=changed)
    repo.commit("remove legacyCode")
    repo.write(changelog=declared("`Coupon.legacyCode`."))
    repo.commit("declare it")
    repo.git("checkout", "-q", "main")
    repo.write(changelog=CHANGELOG.replace("Something unrelated.", "Something else."))
    repo.commit("meanwhile on main")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "removal")
    result = repo.check()
    assert result.returncode == 0, result.stderr


def test_a_line_already_in_the_changelog_does_not_declare(repo: Repo) -> None:
    # 0.1.0's entry names Coupon.notes; removing it needs a line of its own.
    changed = without(RELEASED, "  notes: String\n")
    repo.write(schema=changed, baseline=changed)
    result = repo.check()
    assert result.returncode == 1
    assert "`Coupon.notes`" in result.stderr


def test_a_removal_needs_a_deprecation_first(repo: Repo) -> None:
    changed = without(RELEASED, "  notes: String\n")
    repo.write(schema=changed, baseline=changed, changelog=declared("`Coupon.notes`."))
    result = repo.check()
    assert result.returncode == 1
    assert "without being @deprecated" in result.stderr


def test_a_changed_type_is_breaking_and_named_by_its_coordinate(repo: Repo) -> None:
    changed = RELEASED.replace("coupon(id: ID!)", "coupon(id: Int!)")
    repo.write(schema=changed)
    result = repo.check()
    assert result.returncode == 1
    assert "`Query.coupon(id:)`" in result.stderr
    repo.write(baseline=changed, changelog=declared("`Query.coupon(id:)` takes the numeric id."))
    assert repo.check().returncode == 0


def test_dangerous_changes_are_printed_and_pass(repo: Repo) -> None:
    repo.write(schema=RELEASED.replace("  KIOSK", "  PHONE\n  KIOSK"))
    result = repo.check()
    assert result.returncode == 0, result.stderr
    assert "dangerous" in result.stdout and "Channel.PHONE" in result.stdout


def test_output_fields_made_non_null_are_not_breaking(repo: Repo) -> None:
    repo.write(schema=RELEASED.replace("  notes: String\n", "  notes: String!\n"))
    assert repo.check().returncode == 0


def test_the_project_itself_passes() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
