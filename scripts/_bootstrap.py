"""Lets a script run as `scripts/NAME` from anywhere: the repo on sys.path, the venv's Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_project_python() -> None:
    """Put the repo root on sys.path; re-run under .venv/bin/python if the deps are missing."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        import sqlalchemy  # noqa: F401
        import strawberry  # noqa: F401
    except ImportError:
        venv = ROOT / ".venv"
        venv_python = venv / "bin" / "python"
        if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        raise
