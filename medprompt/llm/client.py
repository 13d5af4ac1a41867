"""A chat-completions caller with bounded, countable retries, built on the `openai` client.

Works against OpenAI, any OpenAI-compatible server (vLLM, Ollama, LM Studio: give a base URL) and Azure
OpenAI (the client's Azure class). The client's own retry loop is switched off (max_retries=0) so that
every attempt is made, counted and logged here: exponential back-off on rate limits, timeouts, dropped
connections, server errors and malformed replies, up to a fixed number of attempts. The API key is
kept out of reprs, logs and error messages: every message built from a server reply is redacted.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import openai

from medprompt.utils.errors import ConfigError, UserError
from medprompt.llm.redact import redact  # noqa: F401  (also imported from here)

log = logging.getLogger(__name__)

# Statuses worth another try beside 429 and 5xx: request timeout and lock conflict.
_RETRY_STATUSES = {408, 409}


class GenerationError(UserError, RuntimeError):
    """A request or a run that cannot go on; the message is safe to print (no credentials)."""


class MalformedResponse(RuntimeError):
    """The server answered 200 but not with a chat completion."""


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` tries per request; waits base·2^k seconds (k = 0, 1, ...), capped."""

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ConfigError(f"bad retry policy {self}: need max_attempts >= 1 and delays >= 0")

    def delay(self, retry_index: int) -> float:
        """Seconds to wait before retry number `retry_index` (0-based)."""
        return min(self.max_delay, self.base_delay * 2**retry_index)


@dataclass(frozen=True)
class ChatSettings:
    """Where and how to ask. `api_key` never shows in repr()."""

    model: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    azure: bool = False
    api_version: str | None = None
    temperature: float | None = 0.7
    n: int = 1
    timeout: float = 60.0
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.model:
            raise ConfigError("no model given (flag --model or environment MEDPROMPT_LLM_MODEL)")
        if self.n < 1:
            raise ConfigError(f"n must be at least 1, got {self.n}")
        if self.azure and not self.base_url:
            raise ConfigError("Azure needs an endpoint (flag --base-url or environment AZURE_OPENAI_ENDPOINT)")


def make_client(settings: ChatSettings) -> openai.OpenAI:
    """An OpenAI (or AzureOpenAI) client with the client's own retries off."""
    common = {"api_key": settings.api_key, "timeout": settings.timeout, "max_retries": 0}
    if settings.azure:
        return openai.AzureOpenAI(azure_endpoint=settings.base_url, api_version=settings.api_version, **common)
    return openai.OpenAI(base_url=settings.base_url, **common)


def server_host(url: object) -> str | None:
    """'host' or 'host:port' of a base URL, without user, password, path or query; None if absent."""
    if url is None:
        return None
    parts = urlsplit(str(url))
    if not parts.hostname:
        return None
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def describe_error(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """Short, redacted one-line account of a failed request."""
    status = getattr(exc, "status_code", None)
    head = type(exc).__name__ + (f" (HTTP {status})" if status else "")
    message = " ".join(str(exc).split())
    if len(message) > 300:
        message = message[:300] + "..."
    return redact(f"{head}: {message}", secrets)


def is_retryable(exc: BaseException) -> bool:
    """Rate limits, timeouts, connection drops, 5xx, 408/409 and malformed replies are worth retrying."""
    if isinstance(
        exc,
        (
            openai.RateLimitError,
            openai.APIConnectionError,  # includes APITimeoutError
            openai.InternalServerError,
            openai.APIResponseValidationError,
            MalformedResponse,
            json.JSONDecodeError,
        ),
    ):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in _RETRY_STATUSES


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own back-off


class ChatAsker:
    """Asks one (system, user) question and returns the n answer texts, retrying as its policy says."""

    def __init__(
        self,
        client: openai.OpenAI,
        settings: ChatSettings,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.settings = settings
        self.policy = policy
        self.sleep = sleep
        self.secrets = [settings.api_key]
        self.requests = 0  # HTTP requests made, retries included
        self.retries = 0

    def ask(self, system: str, user: str, n: int | None = None) -> list[str | None]:
        """Up to n answers (None for a choice without text).

        Servers that ignore `n` (Ollama does) return one choice per request: the rest is asked for in
        further requests, at most n requests in all.
        """
        n = n or self.settings.n
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        answers: list[str | None] = []
        for _ in range(n):
            choices = self._create(messages, n - len(answers))
            if not choices:
                break
            texts = [getattr(c.message, "content", None) for c in choices[: n - len(answers)]]
            # a server that echoes the key (a proxy's error page, a prompt-injected answer) must not put it in files
            answers += [redact(text, self.secrets) if isinstance(text, str) else text for text in texts]
            if len(answers) >= n:
                break
        return answers

    def _create(self, messages: list[dict], n: int) -> list:
        extra = {} if self.settings.max_tokens is None else {"max_tokens": self.settings.max_tokens}
        if self.settings.temperature is not None:
            extra["temperature"] = self.settings.temperature
        if n > 1:
            extra["n"] = n
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                completion = self.client.chat.completions.create(
                    model=self.settings.model, messages=messages, **extra
                )
                choices = getattr(completion, "choices", None)
                if not isinstance(choices, list) or not all(hasattr(c, "message") for c in choices):
                    raise MalformedResponse(f"reply is not a chat completion: {str(completion)[:120]!r}")
                return choices
            except (openai.OpenAIError, MalformedResponse, json.JSONDecodeError) as exc:
                what = describe_error(exc, self.secrets)
                if not is_retryable(exc):
                    raise GenerationError(f"request failed (not retried): {what}") from None
                if attempt == self.policy.max_attempts:
                    raise GenerationError(f"gave up after {attempt} attempts: {what}") from None
                delay = self.policy.delay(attempt - 1)
                hinted = _retry_after(exc)
                if hinted is not None:
                    delay = min(self.policy.max_delay, max(delay, hinted))
                log.warning("%s; retry %d of %d in %.3g s", what, attempt, self.policy.max_attempts - 1, delay)
                self.retries += 1
                self.sleep(delay)
