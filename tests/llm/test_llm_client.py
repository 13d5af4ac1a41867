"""Retries through the real openai client against a real local HTTP server: they happen, they are bounded,
and they are counted by us (the client's own retries are off)."""

from __future__ import annotations

import pytest

from medprompt.llm.client import (
    ChatAsker,
    ChatSettings,
    GenerationError,
    RetryPolicy,
    make_client,
    server_host,
)
from medprompt.llm.fake_server import FakeChatServer

KEY = "sk-test-9f8e7d6c5b4a-never-print-me"
BASE = 0.001  # back-off in tests: tiny


pytestmark = pytest.mark.usefixtures("no_proxy")  # requests to the local test server go direct


@pytest.fixture
def server():
    with FakeChatServer(answer=lambda user, body: f"- item {body['choice']} for {user}") as s:
        yield s


def asker_for(server, attempts=4, n=1, timeout=0.3):
    settings = ChatSettings(model="fake-model", api_key=KEY, base_url=server.base_url, n=n, timeout=timeout)
    sleeps: list[float] = []
    asker = ChatAsker(make_client(settings), settings, RetryPolicy(attempts, BASE, 1.0), sleep=sleeps.append)
    return asker, sleeps


def test_client_retries_are_ours():
    settings = ChatSettings(model="m", api_key=KEY, base_url="http://127.0.0.1:9/v1")
    assert make_client(settings).max_retries == 0
    assert KEY not in repr(settings)


def test_a_plain_request_sends_system_text_model_and_key(server):
    asker, sleeps = asker_for(server, n=3)
    assert asker.ask("SYSTEM TEXT", "describe it") == [f"- item {i} for describe it" for i in range(3)]
    (request,) = server.requests
    assert request["body"]["messages"] == [
        {"role": "system", "content": "SYSTEM TEXT"},
        {"role": "user", "content": "describe it"},
    ]
    assert request["body"]["model"] == "fake-model" and request["body"]["n"] == 3
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    assert sleeps == [] and asker.retries == 0


def test_rate_limits_are_retried_with_exponential_back_off(server):
    server.script = [("status", 429), ("status", 429), ("status", 429)]
    asker, sleeps = asker_for(server, attempts=5)
    assert asker.ask("s", "u") == ["- item 0 for u"]
    assert len(server.requests) == 4
    assert sleeps == pytest.approx([BASE, 2 * BASE, 4 * BASE])
    assert asker.retries == 3 and asker.requests == 4


def test_retry_after_header_is_honoured(server):
    server.script = [("status", 429, "slow down", {"Retry-After": "0.02"})]
    asker, sleeps = asker_for(server)
    asker.ask("s", "u")
    assert sleeps == [pytest.approx(0.02)]


def test_timeouts_server_errors_and_malformed_replies_are_retried(server):
    server.script = [("sleep", 0.6), ("status", 500), ("status", 503), ("malformed",), ("status", 408)]
    asker, sleeps = asker_for(server, attempts=6, timeout=0.2)
    assert asker.ask("s", "u") == ["- item 0 for u"]
    assert len(server.requests) == 6 and len(sleeps) == 5


def test_retries_are_bounded(server):
    server.rule = lambda body: ("status", 429)
    asker, sleeps = asker_for(server, attempts=3)
    with pytest.raises(GenerationError, match="gave up after 3 attempts: RateLimitError") as info:
        asker.ask("s", "u")
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert KEY not in str(info.value)


@pytest.mark.parametrize("status, error", [(400, "BadRequestError"), (401, "AuthenticationError"),
                                           (404, "NotFoundError")])
def test_client_errors_are_not_retried_and_the_key_is_redacted(server, status, error):
    server.script = [("status", status, f"Incorrect API key provided: {KEY}")]
    asker, sleeps = asker_for(server)
    with pytest.raises(GenerationError, match=f"not retried.*{error}") as info:
        asker.ask("s", "u")
    assert len(server.requests) == 1 and sleeps == []
    assert KEY not in str(info.value) and "***" in str(info.value)


def test_servers_that_ignore_n_are_asked_again():
    with FakeChatServer(answer=lambda user, body: f"- answer {len(s.requests)}", honour_n=False) as s:
        asker, _ = asker_for(s, n=3)
        answers = asker.ask("s", "u")
    assert len(answers) == 3 and len(set(answers)) == 3
    assert [r["body"].get("n", 1) for r in s.requests] == [3, 2, 1]


def test_server_host_strips_credentials_path_and_query():
    assert server_host("https://user:pw@example.org:8443/v1?key=abc") == "example.org:8443"
    assert server_host("https://api.openai.com/v1/") == "api.openai.com"
    assert server_host(None) is None
