"""Protocol v1, incoming side: frames to checked requests, sans I/O.

Which request each role may send, and the fields each request takes, are the
two tables below; `docs/protocol.md` describes the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queue_protocol.codec import dumps_text, loads
from queue_protocol.errors import QueueError
from vntext import nfc

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
# Close codes the server uses (RFC 6455 §7.4; 4000–4999 are the application's own).
CLOSE_GOING_AWAY = 1001  # the server is stopping
CLOSE_RELOADED = 1012  # the server reloaded its state: reconnect for a new snapshot
CLOSE_TOO_SLOW = 1013  # the client fell too far behind: reconnect later
CLOSE_STANDBY = 1013  # a standby instance (issue 19): try again later, or the other address
CLOSE_REFUSED = 4001  # the hello was refused (or the session ended): do not retry as is
ROLES = ("kiosk", "counter", "display", "rating", "public", "supervisor")

_TEXT = (str,)
_ID = (str, int)
_OPTIONAL_TEXT = (str, type(None))

# request type → {field: (accepted types, required)}
REQUEST_FIELDS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "issue": {
        "service": (_TEXT, True),
        "priority": (_OPTIONAL_TEXT, False),
        "request_id": (_TEXT, True),
    },
    "void": {"ticket_id": ((int,), True), "reason": (_TEXT, True)},
    "device_status": {
        "printer": (_TEXT, True),
        "message": (_OPTIONAL_TEXT, False),
        "version": (_OPTIONAL_TEXT, False),
    },
    "ping": {"version": (_OPTIONAL_TEXT, False)},
    "ack_alert": {"alert": ((int,), True)},
    "hall_notice": {"text": (_TEXT, True), "minutes": ((int,), True)},
    "close_service": {"service": (_TEXT, True)},
    "open_service": {"service": (_TEXT, True)},
    "suggest_service": {"counter": ((int,), True), "service": (_OPTIONAL_TEXT, False)},
    "end_session": {"officer": (_TEXT, True)},
    "alert_limits": {
        "longest_wait_minutes": ((int, float), False),
        "waiting_count": ((int,), False),
        "device_offline_seconds": ((int, float), False),
    },
    "call_next": {},
    "recall": {},
    "no_show": {},
    "finish": {"outcome": (_OPTIONAL_TEXT, False)},
    "transfer": {"service": (_TEXT, True), "reason": (_TEXT, True)},
    "pause": {"reason": (_TEXT, True), "minutes": ((int,), False)},
    "resume": {},
    "sign_out": {},
    "rate": {"number": (_TEXT, True), "rating": (_TEXT, True)},
    "checkin": {"code": (_TEXT, True), "request_id": (_TEXT, True)},
    "checkin_card": {"cccd": (_TEXT, True), "request_id": (_TEXT, True)},
    "track": {"ticket": (_TEXT, True)},
    "notify_me": {
        "ticket": (_TEXT, True),
        "phone": (_TEXT, True),
        "ahead": ((int,), False),
        "lang": (_TEXT, False),
        "consent": ((bool,), True),
    },
    "my_day": {},
    "call_number": {"number": (_TEXT, True)},
    "requeue": {"number": (_TEXT, True)},
    "hold": {},
    "resume_held": {"number": (_TEXT, True)},
    "lookup": {"number": (_TEXT, True)},
    "dossier_receive": {
        "procedure": (_TEXT, True),
        "citizen_name": (_TEXT, True),
        "phone": (_TEXT, True),
        "documents": ((list,), False),
    },
    "dossier_get": {"code": (_TEXT, True)},
    "dossier_procedures": {},
    "dossier_printed": {"code": (_TEXT, True), "kind": (_TEXT, True)},
    "dossier_lookup": {"code": (_TEXT, True), "phone4": (_TEXT, True)},
    "search": {"query": (_TEXT, True), "limit": ((int,), False)},
}

ROLE_REQUESTS: dict[str, frozenset[str]] = {
    "kiosk": frozenset(
        {
            "issue",
            "void",
            "device_status",
            "checkin",
            "checkin_card",
            "ping",
            "notify_me",
            "search",
            "dossier_lookup",
        }
    ),
    "counter": frozenset(
        {
            "call_next",
            "recall",
            "no_show",
            "finish",
            "transfer",
            "pause",
            "resume",
            "sign_out",
            "my_day",
            "call_number",
            "requeue",
            "hold",
            "resume_held",
            "lookup",
            "dossier_receive",
            "dossier_get",
            "dossier_procedures",
            "dossier_printed",
        }
    ),
    "display": frozenset({"ping"}),
    "rating": frozenset({"rate", "ping"}),
    "public": frozenset({"track", "notify_me", "search"}),
    "supervisor": frozenset(
        {
            "ack_alert",
            "hall_notice",
            "close_service",
            "open_service",
            "suggest_service",
            "end_session",
            "alert_limits",
        }
    ),
}

PRINTER_STATES = ("ok", "paper_near_end", "paper_out", "cover_open", "offline", "unknown")


class ProtocolError(QueueError):
    """A frame that cannot be acted on; carries the request id when one was readable."""

    def __init__(self, code: str, detail: str, request_id: Any = None) -> None:
        super().__init__(code, detail)
        self.request_id = request_id


@dataclass(frozen=True)
class Hello:
    role: str
    token: str | None
    counter: int | None


@dataclass(frozen=True)
class Request:
    type: str
    id: str | int
    fields: dict[str, Any]


def decode(frame: str | bytes) -> dict[str, Any]:
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError("bad_request", f"frame larger than {MAX_FRAME_BYTES} bytes")
    try:
        data = loads(frame)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("bad_request", "not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_request", "a frame must be a JSON object")
    return data


def parse_hello(frame: str | bytes) -> Hello:
    data = decode(frame)
    if data.get("type") != "hello":
        raise ProtocolError("unauthorized", "the first frame must be hello")
    version = data.get("protocol")
    # Exactly the integer: 1.0 and true compare equal to 1 in Python, not on the wire.
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError("bad_request", f"protocol must be {PROTOCOL_VERSION}")
    role, token, counter = data.get("role"), data.get("token"), data.get("counter")
    if role not in ROLES:
        raise ProtocolError("bad_request", f"role must be one of {', '.join(ROLES)}")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("bad_request", "token must be text")
    at_counter = role in ("counter", "rating")
    if at_counter and (isinstance(counter, bool) or not isinstance(counter, int)):
        raise ProtocolError("bad_request", f"a {role} hello names its counter number")
    return Hello(role, token, counter if at_counter else None)


def parse_request(frame: str | bytes, role: str) -> Request:
    """A checked request the role may send, or `ProtocolError` (with the id if readable)."""
    data = decode(frame)
    rid = data.get("id")
    if isinstance(rid, bool) or not isinstance(rid, _ID):
        raise ProtocolError("bad_request", "a request needs an id (text or number)")
    kind = data.get("type")
    spec = REQUEST_FIELDS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise ProtocolError("bad_request", f"unknown request type {kind!r}", rid)
    if kind not in ROLE_REQUESTS[role]:
        raise ProtocolError("forbidden", f"a {role} may not send {kind}", rid)
    fields: dict[str, Any] = {}
    for name, (types, required) in spec.items():
        if name not in data:
            if required:
                raise ProtocolError("bad_request", f"{kind} needs {name!r}", rid)
            continue
        value = data[name]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise ProtocolError("bad_request", f"{name!r} has the wrong type", rid)
        if isinstance(value, str):
            value = nfc(value.strip())
            if required and not value:
                raise ProtocolError("bad_request", f"{name!r} is empty", rid)
            if len(value) > 500:
                raise ProtocolError("bad_request", f"{name!r} is too long", rid)
        fields[name] = value
    if kind == "device_status" and fields["printer"] not in PRINTER_STATES:
        raise ProtocolError("bad_request", f"printer must be one of {PRINTER_STATES}", rid)
    return Request(kind, rid, fields)


def result_ok(request_id: str | int, **body: Any) -> dict[str, Any]:
    return {"type": "result", "id": request_id, "ok": True, **body}


def result_error(request_id: Any, error: QueueError) -> dict[str, Any]:
    return {"type": "result", "id": request_id, "ok": False, "error": error.to_dict()}


def encode(message: dict[str, Any]) -> str:
    return dumps_text(message)
