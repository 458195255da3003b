"""Injected failures and flood control: the errors a bot must survive in production.

Both run before a method, with the state lock held, and raise the :class:`ApiError` Telegram
would send; see :meth:`LoopbackBotAPI.fail` and :meth:`LoopbackBotAPI.flood_limit`.
"""

import math
import time
from collections import deque
from dataclasses import dataclass

from .protocol import OTHER_POLL, ApiError

# Methods that post or change messages: the ones Telegram's flood control counts.
FLOOD_METHODS = frozenset({"sendMessage", "sendDocument", "editMessageText"})

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: f"Conflict: {OTHER_POLL}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class _Failure:
    error: ApiError
    times: int | None  # None: every call


class Faults:
    """Pending injected failures per method, and the flood limits with their windows."""

    def __init__(self) -> None:
        self._failures: dict[str, list[_Failure]] = {}
        self._per_chat: float | None = None
        self._global: float | None = None
        self._chat_log: dict[str, deque[float]] = {}
        self._global_log: deque[float] = deque()

    def fail(self, method: str, error_code: int, description: str | None,
             times: int | None, retry_after: int | None) -> None:
        """Queue a failure for `method`; the description defaults to Telegram's for the code."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if error_code == 429
                           else _DEFAULT_DESCRIPTIONS.get(error_code, "Internal Server Error"))
        failure = _Failure(ApiError(error_code, description, retry_after), times)
        self._failures.setdefault(method.lower(), []).append(failure)

    def clear(self) -> None:
        self._failures.clear()

    def flood_limit(self, per_chat_per_second: float | None,
                    global_per_second: float | None) -> None:
        self._per_chat = per_chat_per_second
        self._global = global_per_second
        self._chat_log.clear()
        self._global_log.clear()

    def check(self, method: str, chat_id: object) -> None:
        """Raise the injected failure or the 429 due for this call, if any."""
        self._check_injected(method)
        self._check_flood(method, chat_id)

    def _check_injected(self, method: str) -> None:
        queue = self._failures.get(method.lower())
        if not queue:
            return
        failure = queue[0]
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
        raise failure.error

    def _check_flood(self, method: str, chat_id: object) -> None:
        """Sliding one-second windows, global and per chat; a call counts only if allowed."""
        if method not in FLOOD_METHODS or (self._per_chat is None and self._global is None):
            return
        now = time.monotonic()
        windows: list[tuple[deque[float], float]] = []
        if self._global is not None:
            windows.append((self._global_log, self._global))
        if self._per_chat is not None:
            windows.append((self._chat_log.setdefault(str(chat_id), deque()), self._per_chat))
        for window, limit in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                retry = max(1, math.ceil(window[0] + 1.0 - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        for window, _ in windows:
            window.append(now)
