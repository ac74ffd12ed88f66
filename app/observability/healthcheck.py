"""`python -m app.observability.healthcheck [URL]`: exit 0 when `/readyz` answers 200, else 1
with one line saying why. The Docker image's HEALTHCHECK (the image has no curl)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/readyz"
TIMEOUT_SECONDS = 3


def check(url: str) -> str | None:
    """None when ready, else what was wrong."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return None if response.status == 200 else f"{url} answered {response.status}"
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}: {error.read(500).decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as error:
        return f"{url} did not answer: {error}"


def main() -> int:
    problem = check(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_URL)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
