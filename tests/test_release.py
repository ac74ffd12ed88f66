"""The version in pyproject.toml is the changelog's latest release, and the license is
declared where packaging tools read it."""

from __future__ import annotations

import re
import tomllib

from tests.servers import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()


def test_the_version_is_the_latest_release_in_the_changelog() -> None:
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", CHANGELOG, re.M)
    assert releases, "no released version in CHANGELOG.md"
    assert releases[0][0] == PROJECT["version"]
    dates = [date for _version, date in releases]
    assert dates == sorted(dates, reverse=True)


def test_the_changelog_keeps_an_unreleased_section_first() -> None:
    sections = re.findall(r"^## \[([^\]]+)\]", CHANGELOG, re.M)
    assert sections[0] == "Unreleased"
    for section in sections:  # each has its link at the end (Keep a Changelog)
        assert re.search(rf"^\[{re.escape(section)}\]: \S+$", CHANGELOG, re.M), section


def test_the_license_is_declared_and_shipped() -> None:
    assert PROJECT["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PROJECT["license-files"] == ["LICENSE"]
