"""Where a delivery goes: the endpoint's host resolved, every address it has checked
(app.domain.webhooks.refused_address), and the connection made to an address that was checked.

Checked on every batch a worker sends, not only when the endpoint is created: a name that
resolved to a public address then can resolve to 127.0.0.1 or 169.254.169.254 now (DNS
rebinding). Connecting to the address just checked, rather than letting the HTTP client
resolve the name again, leaves no window between the check and the connection; the request
still names the host (Host header, TLS server name) so virtual hosting and certificates work.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from app.domain.webhooks import refused_address

RESOLVE_SECONDS = 3.0


@dataclass(frozen=True)
class Target:
    """A URL to connect to (the host replaced by a checked address) and the name it stands
    for, or why there is none."""

    url: str | None
    host_header: str
    server_name: str
    refused: str | None = None


class Resolver:
    """Resolves and checks endpoints' hosts; `allow_private` lets any address through (a
    local receiver in tests, DISCOUNTS_WEBHOOKS_ALLOW_PRIVATE_TARGETS)."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def addresses(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return sorted({str(info[4][0]) for info in found})

    async def target(self, url: str) -> Target:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host_header = parts.netloc.rpartition("@")[2]
        try:
            # bounded: a name whose DNS servers do not answer must not hold a request
            addresses = await asyncio.wait_for(self.addresses(host, port), RESOLVE_SECONDS)
        except TimeoutError:
            return Target(None, host_header, host, f"{host} did not resolve in {RESOLVE_SECONDS} s")
        except OSError as error:
            return Target(None, host_header, host, f"{host} does not resolve ({error})")
        if not addresses:
            return Target(None, host_header, host, f"{host} has no address")
        if not self.allow_private:
            for address in addresses:
                why = refused_address(address)
                if why is not None:
                    return Target(None, host_header, host, f"refused: {host} resolves to {why}")
        chosen = addresses[0]
        literal = f"[{chosen}]" if ":" in chosen else chosen
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        return Target(pinned, host_header, host)
