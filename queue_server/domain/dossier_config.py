"""`[dossiers]` of the site configuration: where dossier look-ups go, and their limits.

```toml
[dossiers]
source = "builtin"               # builtin (the centre's own table) | http (province system)
code_prefix = "HS"               # codes the counter gives: HS-261203-0001
result_service = "huong-dan-chung"   # "ready for pickup" offers a ticket for this service
lookups_per_hour = 20            # per web client address (and per phone by SMS)

[dossiers.http]                  # only with source = "http"
url = "https://motcua.example.gov.vn/api/hoso/{code}"
auth_header = "Authorization"
auth_value = "Bearer …"
timeout_seconds = 3.0
cache_seconds = 60
date_format = "%d/%m/%Y"
[dossiers.http.fields]           # our field = their JSON path (dotted)
code = "data.MaHoSo"
[dossiers.http.statuses]         # their state = ours
"DA_TIEP_NHAN" = "received"
```

Pure: validated here, read from the file by `core.siteconfig`'s caller.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from queue_server.domain.config import ConfigError
from queue_server.domain.dossiers import DossierStatus, FieldMapping

SOURCES = ("builtin", "http")
_MAPPED = [f.name for f in dataclasses.fields(FieldMapping) if f.name not in ("statuses",)]


@dataclass(frozen=True)
class HttpSource:
    url: str
    auth_header: str = ""
    auth_value: str = ""
    timeout_seconds: float = 3.0
    cache_seconds: float = 60.0
    mapping: FieldMapping = field(default_factory=FieldMapping)


@dataclass(frozen=True)
class DossierConfig:
    source: str = "builtin"
    result_service: str = ""
    lookups_per_hour: int = 20
    http: HttpSource | None = None
    code_prefix: str = "HS"  # codes the counter gives: HS-261203-0001 (prefix-yymmdd-seq)


def parse_dossier_config(
    t: dict[str, Any], source: str = "<config>", services: tuple[str, ...] = ()
) -> DossierConfig:
    """Validate the `[dossiers]` table (`services`: the site's service ids)."""

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(source, f"dossiers.{key}", problem)

    unknown = set(t) - {"source", "result_service", "lookups_per_hour", "http", "code_prefix"}
    if unknown:
        raise fail(sorted(unknown)[0], "is not a known key")
    kind = t.get("source", "builtin")
    if kind not in SOURCES:
        raise fail("source", f"{kind!r} must be one of {', '.join(SOURCES)}")
    result_service = t.get("result_service", "")
    if not isinstance(result_service, str) or (
        result_service and services and result_service not in services
    ):
        raise fail("result_service", f"{result_service!r} is not one of the [[services]]")
    per_hour = t.get("lookups_per_hour", 20)
    if not isinstance(per_hour, int) or isinstance(per_hour, bool) or per_hour < 1:
        raise fail("lookups_per_hour", "must be a whole number ≥ 1")
    prefix = t.get("code_prefix", "HS")
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Z0-9.]{1,12}", prefix):
        raise fail("code_prefix", f"{prefix!r} must be 1–12 capital letters, digits or dots")
    http = None
    if kind == "http":
        table = t.get("http")
        if not isinstance(table, dict):
            raise fail("http", 'is required with source = "http"')
        http = _http(table, fail)
    return DossierConfig(kind, result_service, per_hour, http, prefix)


def _http(t: dict[str, Any], fail: Any) -> HttpSource:
    url = t.get("url", "")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise fail("http.url", f"{url!r} must be an http(s) address")
    if "{code}" not in url:
        raise fail("http.url", "must contain {code} where the dossier code goes")

    def number(key: str, default: float, low: float, high: float) -> float:
        value = t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"http.{key}", "must be a number")
        if not low <= value <= high:
            raise fail(f"http.{key}", f"must be between {low:g} and {high:g}")
        return float(value)

    header, value = t.get("auth_header", ""), t.get("auth_value", "")
    if not isinstance(header, str) or not isinstance(value, str) or bool(header) != bool(value):
        raise fail("http.auth_header", "auth_header and auth_value go together, as text")
    fields = t.get("fields", {})
    if not isinstance(fields, dict):
        raise fail("http.fields", "must be a table: our field = their JSON path")
    for key, path in fields.items():
        if key not in _MAPPED or key == "date_format":
            raise fail(f"http.fields.{key}", f"is not one of {', '.join(_MAPPED[:-1])}")
        if not isinstance(path, str) or not path.strip():
            raise fail(f"http.fields.{key}", "must be a JSON path like data.MaHoSo")
    statuses: dict[str, DossierStatus] = {}
    for theirs, ours in t.get("statuses", {s.value: s.value for s in DossierStatus}).items():
        try:
            statuses[str(theirs)] = DossierStatus(ours)
        except ValueError:
            known = ", ".join(s.value for s in DossierStatus)
            raise fail(f"http.statuses.{theirs}", f"{ours!r} must be one of {known}") from None
    date_format = t.get("date_format", "%Y-%m-%d")
    if not isinstance(date_format, str) or "%" not in date_format:
        raise fail("http.date_format", "must be a strftime format like %d/%m/%Y")
    unknown = set(t) - {
        "url",
        "auth_header",
        "auth_value",
        "timeout_seconds",
        "cache_seconds",
        "fields",
        "statuses",
        "date_format",
    }
    if unknown:
        raise fail(f"http.{sorted(unknown)[0]}", "is not a known key")
    mapping = FieldMapping(
        **{k: v.strip() for k, v in fields.items()}, date_format=date_format, statuses=statuses
    )
    return HttpSource(
        url=url,
        auth_header=header,
        auth_value=value,
        timeout_seconds=number("timeout_seconds", 3.0, 0.1, 60.0),
        cache_seconds=number("cache_seconds", 60.0, 0.0, 86400.0),
        mapping=mapping,
    )
