"""From an HTTP request to a Bot API answer: URL scheme, token check, method call, envelope.

``/bot<TOKEN>/<method>`` runs a method from :data:`~.methods.METHODS`; ``/file/bot<TOKEN>/<path>``
downloads a stored file. Every call with the right token is logged (failed ones too) for the
test side, and listener events the call produced are fired after the state lock is released.
"""

import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping

from .faults import Faults
from .methods import METHOD_BY_LOWER, METHODS
from .params import Params, Upload, normalize, parse_body
from .protocol import ApiError, Described, JSONDict
from .state import State

log = logging.getLogger(__name__)

Listener = Callable[[str, JSONDict], None]
Response = tuple[int, str, bytes]


def _json_response(status: int, body: JSONDict) -> Response:
    return status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8")


def _error_response(error: ApiError) -> Response:
    return _json_response(error.error_code, error.envelope())


class Dispatcher:
    """The server's request callback (see :data:`~.server.Handler`)."""

    def __init__(self, token: str, state: State, faults: Faults,
                 listeners: list[Listener]) -> None:
        self.token = token
        self.state = state
        self.faults = faults
        self.listeners = listeners  # shared with LoopbackBotAPI.subscribe

    def __call__(self, raw_path: str, headers: Mapping[str, str], body: bytes,
                 alive: Callable[[], bool]) -> Response:
        split = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(split.path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot"):].partition("/")
            return self._check_token(token) or self._download(file_path)
        if not path.startswith("/bot"):
            return _error_response(ApiError(404, "Not Found"))
        token, slash, method = path[len("/bot"):].partition("/")
        refused = self._check_token(token)
        if refused:
            return refused
        values: JSONDict = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        try:
            body_values, files = parse_body(headers.get("Content-Type", ""), body)
        except ApiError as exc:
            return _error_response(exc)
        values.update(body_values)
        canonical = METHOD_BY_LOWER.get(method.lower()) if slash else None
        if canonical is None:
            log.warning("loopback Bot API: unknown method %r", method[:64])
            with self.state.cond:
                self.state.calls.append((method, normalize(values, files)))
                self.state.errors.append((method, 404, "Not Found"))
                self.state.cond.notify_all()
            return _error_response(ApiError(404, "Not Found"))
        return self._call(canonical, values, files, alive)

    def _check_token(self, token: str) -> Response | None:
        if token == self.token:
            return None
        if re.fullmatch(r"\d+:[\w-]+", token):
            return _error_response(ApiError(401, "Unauthorized"))
        return _error_response(ApiError(404, "Not Found"))  # Telegram's answer to a malformed token

    def _download(self, file_path: str) -> Response:
        with self.state.cond:
            file_id = self.state.files_by_path.get(file_path)
            content = self.state.files[file_id]["content"] if file_id else None
        if content is None:
            return _error_response(ApiError(404, "Not Found"))
        return 200, "application/octet-stream", content

    def _call(self, method: str, values: JSONDict, files: dict[str, Upload],
              alive: Callable[[], bool]) -> Response:
        state = self.state
        polling = method == "getUpdates"  # a long poll is not the bot being busy
        with state.cond:
            if not polling:
                state.inflight += 1
            state.calls.append((method, normalize(values, files)))
            try:
                self.faults.check(method, values.get("chat_id"))
                result = METHODS[method](state, Params(values, files, alive))
            except ApiError as exc:
                state.errors.append((method, exc.error_code, exc.description))
                status, body = exc.error_code, exc.envelope()
            else:
                status, body = 200, {"ok": True, "result": result}
                if isinstance(result, Described):
                    body = {"ok": True, "result": result.result, "description": result.description}
            finally:
                if not polling:
                    state.inflight -= 1
                    state.last_activity = time.monotonic()
            state.cond.notify_all()
            events, state.events = state.events, []
        self._fire(events)
        return _json_response(status, body)

    def _fire(self, events: list[tuple[str, JSONDict]]) -> None:
        for event, payload in events:
            for listener in list(self.listeners):
                try:
                    listener(event, payload)
                except Exception:
                    log.exception("loopback Bot API listener failed on %s", event)
