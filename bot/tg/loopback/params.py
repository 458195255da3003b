"""Request parameters: the three body encodings PTB and curl use, and typed access to them.

The Bot API accepts the same parameters as a query string, JSON, urlencoded or multipart form;
in the last two every value is a string, so :class:`Params` coerces on access, with Telegram's
error for a value of the wrong type.
"""

import contextlib
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .protocol import JSONDict, bad

# How `normalize` decodes form/multipart strings for the call log.
_JSON_KEYS = frozenset({
    "reply_markup", "entities", "caption_entities", "reply_parameters", "link_preview_options",
    "commands", "scope", "allowed_updates", "menu_button", "rights", "media",
})
_INT_KEYS = frozenset({
    "chat_id", "message_id", "user_id", "offset", "limit", "message_thread_id",
    "reply_to_message_id", "cache_time", "max_connections", "from_chat_id", "until_date",
})
_FLOAT_KEYS = frozenset({"timeout"})
_BOOL_KEYS = frozenset({
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection",
    "allow_paid_broadcast", "show_caption_above_media", "revoke_messages",
})
INT_RE = re.compile(r"\s*[-+]?\d+\s*")


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    mime_type: str
    content: bytes


def normalize(values: Mapping[str, Any], files: Mapping[str, Upload]) -> JSONDict:
    """Parameters as the bot meant them: JSON strings decoded, numbers and booleans coerced."""
    out: JSONDict = {}
    for key, value in values.items():
        if isinstance(value, str):
            if key in _JSON_KEYS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in _INT_KEYS and INT_RE.fullmatch(value):
                value = int(value)
            elif key in _FLOAT_KEYS:
                with contextlib.suppress(ValueError):
                    number = float(value)
                    value = int(number) if number.is_integer() else number
            elif key in _BOOL_KEYS:
                value = value.strip().lower() in ("true", "1")
        out[key] = value
    for key, upload in files.items():
        out[key] = {"filename": upload.filename, "mime_type": upload.mime_type,
                    "size": len(upload.content)}
    return out


class Params:
    """Typed access to one request's parameters, whatever the body encoding was."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, Upload],
                 alive: Callable[[], bool] = lambda: True):
        self.values = dict(values)
        self.files = dict(files)
        self.alive = alive  # False once the client hung up (checked by long polls)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None or name in self.files

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            raise bad(f'field "{name}" must be of type String')
        return str(value)

    def get_int(self, name: str, default: int | None = None, *,
                error: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            if error:
                raise bad(error)
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and INT_RE.fullmatch(value):
            return int(value)
        raise bad(error or f"invalid {name} specified")

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, default: Any = None, *, error: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad(error or f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id, or an ``@username`` (left for the caller to resolve)."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad(f"{name} is empty")
        if isinstance(value, bool):
            raise bad("chat not found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if INT_RE.fullmatch(text):
            return int(text)
        if text.startswith("@") and len(text) > 1:
            return text
        raise bad("chat not found")

    def upload(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part (also via ``attach://``), or a file_id / URL."""
        if name in self.files:
            return self.files[name]
        value = self.get_str(name)
        if value and value.startswith("attach://"):
            attached = self.files.get(value[len("attach://"):])
            if attached is None:
                raise bad(f"file {value} not found in the request")  # tdlib wording varies
            return attached
        return value or None


def _parse_multipart(body: bytes, content_type: str) -> tuple[JSONDict, dict[str, Upload]]:
    """Fields and file parts of a multipart/form-data body (how PTB sends uploads)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise bad("can't parse multipart/form-data request")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: JSONDict = {}
    files: dict[str, Upload] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n")
        head, _, data = part.partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params = {k.lower(): v.replace("%22", '"')
                  for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', disposition)}
        name = params.get("name")
        if name is None:
            continue
        if "filename" in params:
            files[name] = Upload(params["filename"],
                                 headers.get("content-type", "application/octet-stream"), data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def parse_body(content_type: str, body: bytes) -> tuple[JSONDict, dict[str, Upload]]:
    """Values and uploads of a request body; an unknown content type carries no parameters."""
    mime = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, {}
    if mime == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise bad("can't parse JSON object") from None
        if not isinstance(data, dict):
            raise bad("can't parse JSON object")
        return data, {}
    if mime == "multipart/form-data":
        return _parse_multipart(body, content_type)
    if mime in ("application/x-www-form-urlencoded", ""):
        return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                           keep_blank_values=True)), {}
    return {}, {}

