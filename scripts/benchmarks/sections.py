"""Sections written by other engineers (`benchmarks.executor`, `benchmarks.redemptions`).

They are looked up when the bench runs, not imported up front: a missing module is a skipped
section with the reason printed, never a crash and never a made-up figure. Their `run`
functions are called with the keyword arguments they declare, from what the bench knows.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any


def find(module: str) -> tuple[Any, str | None]:
    """(the module's async `run`, None) or (None, why it is skipped)."""
    if importlib.util.find_spec(module) is None:
        return None, f"{module.replace('.', '/')}.py does not exist yet"
    loaded = importlib.import_module(module)
    run = getattr(loaded, "run", None)
    if run is None or not inspect.iscoroutinefunction(run):
        return None, f"{module} has no `async def run(...)`"
    return run, None


async def call(run: Any, **known: Any) -> dict[str, Any]:
    """Call `run` with the known values it accepts (all of them if it takes **kwargs)."""
    parameters = inspect.signature(run).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        kwargs = known
    else:
        kwargs = {name: value for name, value in known.items() if name in parameters}
    missing = [
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        and name not in kwargs
    ]
    if missing:
        raise TypeError(f"run() needs {', '.join(missing)}, which the bench does not provide")
    result = await run(**kwargs)
    if not isinstance(result, dict):
        raise TypeError(f"run() returned {type(result).__name__}, not a dict")
    return result
