"""The README's receiver (the `verified` function of its Webhooks section) accepts a real
delivery and refuses a changed body, another secret and a replay; while a rotated secret is
still valid, it accepts a delivery under either secret."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from app.delivery.receiver import Receiver
from app.delivery.worker import Worker
from tests.engine.support import gid, open_shop
from tests.webhooks.support import create_endpoint, delivered

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver() -> Any:
    section = README.read_text().split("## Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # the README's own text
    return namespace["verified"]


async def test_the_readme_receiver_verifies_a_delivery(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    verified = readme_receiver()
    shop = await open_shop(make)
    _, secret = await create_endpoint(hooks_gql, receiver.url)
    got = await delivered(hooks_gql, gid(shop.site), "README", receiver, worker)
    header = got.headers["discounts-signature"]
    assert verified(secret, header, got.body)
    assert not verified(secret, header, got.body.replace(b"README", b"README2"))
    assert not verified("whsec_someone_else", header, got.body)
    stamp = int(header.split(",")[0][2:])
    old = header.replace(f"t={stamp}", f"t={stamp - 600}")
    assert not verified(secret, old, got.body)
    assert time.time() - stamp < 60


async def test_the_readme_receiver_takes_either_secret_while_one_is_rolled(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    verified = readme_receiver()
    shop = await open_shop(make)
    endpoint, old = await create_endpoint(hooks_gql, receiver.url)
    rotated = await hooks_gql(
        """mutation($id: ID!) { rotateWebhookSecret(id: $id, previousSecretExpiresIn: 3600) {
        secret userErrors { code } } }""",
        {"id": endpoint["id"]},
    )
    new = rotated["rotateWebhookSecret"]["secret"]
    got = await delivered(hooks_gql, gid(shop.site), "ROLLED", receiver, worker)
    header = got.headers["discounts-signature"]
    assert header.count("v1=") == 2
    assert verified(new, header, got.body) and verified(old, header, got.body)
    assert not verified("whsec_someone_else", header, got.body)
