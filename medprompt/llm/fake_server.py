"""A small chat-completions HTTP server on 127.0.0.1 for tests: canned answers and injected failures.

It speaks enough of the OpenAI protocol (POST .../chat/completions) for the real `openai` client, so tests
drive the whole path: HTTP, the client's error classes, our retries. Built on the standard library's
http.server, run in a daemon thread on a free port. Each request is recorded; what it gets is decided by
`script` (a queue of actions used first) and then by `rule(body)` (persistent behaviour), else by
`answer(user_text, body)`.

Actions: ("ok",) normal answer; ("status", code[, message[, headers]]) an error reply in the OpenAI error
shape; ("sleep", seconds) wait, then answer normally (a client timeout when longer than its timeout);
("malformed",) a 200 reply that is not JSON; ("text", answer) a 200 reply whose every choice is `answer`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Action = tuple


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping out a timeout must not hold up stop()


class FakeChatServer:
    """Start with `with FakeChatServer() as server:`; point the client at `server.base_url`."""

    def __init__(
        self,
        answer: Callable[[str, dict], str] | None = None,
        rule: Callable[[dict], Action | None] | None = None,
        honour_n: bool = True,
    ) -> None:
        self.answer = answer or (lambda user, body: f"- A canned answer to: {user}")
        self.rule = rule
        self.honour_n = honour_n
        self.script: list[Action] = []
        self.requests: list[dict] = []  # {"path", "headers" (lower-case names), "body"} per request, in order
        self._lock = threading.Lock()
        self._httpd: _Server | None = None

    @property
    def base_url(self) -> str:
        """URL to give the client, e.g. http://127.0.0.1:PORT/v1."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def host(self) -> str:
        """'127.0.0.1:PORT', as provenance records it."""
        assert self._httpd is not None, "server not started"
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def user_texts(self) -> list[str]:
        """The user message of every request received."""
        return [m["content"] for r in self.requests for m in r["body"].get("messages", []) if m["role"] == "user"]

    def _next_action(self, body: dict) -> Action:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        action = self.rule(body) if self.rule else None
        return action or ("ok",)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, code: int, payload: bytes, headers: dict | None = None) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to do

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    body = {}
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append({"path": self.path, "headers": headers, "body": body})
                if not self.path.endswith("/chat/completions"):
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
                    return
                action = server._next_action(body)
                kind = action[0]
                if kind == "status":
                    message = action[2] if len(action) > 2 else f"injected HTTP {action[1]}"
                    headers = action[3] if len(action) > 3 else None
                    error = {"error": {"message": message, "type": "injected", "code": str(action[1])}}
                    self._send(action[1], json.dumps(error).encode(), headers)
                    return
                if kind == "malformed":
                    self._send(200, b"{this is not json")
                    return
                if kind == "sleep":
                    time.sleep(action[1])
                user = next((m["content"] for m in body.get("messages", []) if m["role"] == "user"), "")
                n = int(body.get("n") or 1) if server.honour_n else 1
                texts = [action[1] if kind == "text" else server.answer(user, {**body, "choice": i}) for i in range(n)]
                reply = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [
                        {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
                        for i, t in enumerate(texts)
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                self._send(200, json.dumps(reply).encode())

        return Handler

    def start(self) -> "FakeChatServer":
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> "FakeChatServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
