"""Keep secrets (API keys) out of messages and logs; a module of its own so that a command can redact
without importing the `openai` client."""

from __future__ import annotations

from collections.abc import Iterable


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret replaced by '***'."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
