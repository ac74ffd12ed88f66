"""The server's coalescing notifier (app.db.event_notify.Notifier): a burst of marks costs one
or two sends, every mark is followed by a send that starts after it, and a failed send is
logged without reaching the marker."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from app.db import event_notify
from app.db.event_notify import Notifier


class Sends:
    """A send that waits to be let through, and counts the sends started."""

    def __init__(self) -> None:
        self.started = 0
        self.gate = asyncio.Event()
        self.fail = False

    async def __call__(self) -> None:
        self.started += 1
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("database gone")


@pytest.fixture(autouse=True)
def no_spacing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_notify, "NOTIFY_SPACING_SECONDS", 0.0)


async def test_marks_at_once_are_one_send() -> None:
    sends = Sends()
    sends.gate.set()
    notifier = Notifier(sends)
    for _ in range(50):
        notifier.mark()
    await notifier.settle()
    assert sends.started == 1


async def test_marks_during_a_send_make_one_more_after_it() -> None:
    sends = Sends()
    notifier = Notifier(sends)
    notifier.mark()
    await asyncio.sleep(0)
    assert sends.started == 1  # in flight
    for _ in range(20):
        notifier.mark()
        await asyncio.sleep(0)
    assert sends.started == 1  # the marks wait, as one
    sends.gate.set()
    await notifier.settle()
    assert sends.started == 2
    notifier.mark()  # after everything: sent again
    await notifier.settle()
    assert sends.started == 3


async def test_a_failed_send_is_logged_and_the_next_mark_sends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sends = Sends()
    sends.fail = True
    sends.gate.set()
    notifier = Notifier(sends)
    with caplog.at_level(logging.WARNING, logger=event_notify.__name__):
        notifier.mark()
        await notifier.settle()
    assert "NOTIFY failed" in caplog.text
    sends.fail = False
    notifier.mark()
    await notifier.settle()
    assert sends.started == 2


async def test_sends_are_spaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_notify, "NOTIFY_SPACING_SECONDS", 3600.0)
    sends = Sends()
    sends.gate.set()
    notifier = Notifier(sends)
    notifier.mark()
    await asyncio.sleep(0.01)
    notifier.mark()
    await asyncio.sleep(0.01)
    assert sends.started == 1  # the second waits out the spacing
    task = notifier._task
    assert task is not None and not task.done()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
