"""Dossiers from a CSV file into the built-in store (`xephang-server dossiers import`).

UTF-8 (a BOM is accepted), comma-separated, a header row naming the columns:

    code,procedure_code,procedure_name,citizen_name,phone,status,received_on,due_on,unit,note

`code`, `phone`, `status` (one of received, in_progress, additional_documents, ready,
returned, overdue), `received_on` and `due_on` (YYYY-MM-DD) are required; the others
may be empty. A file with any error loads nothing, and each error names its line and
column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from queue_protocol.errors import QueueError
from queue_server.domain.dossiers import (
    Dossier,
    DossierStatus,
    normalize_code,
    normalize_phone_digits,
)
from vntext import nfc

COLUMNS = (
    "code",
    "procedure_code",
    "procedure_name",
    "citizen_name",
    "phone",
    "status",
    "received_on",
    "due_on",
    "unit",
    "note",
)
REQUIRED = ("code", "phone", "status", "received_on", "due_on")


class CsvError(ValueError):
    """Every problem of the file, one per line: `file:line: column 'x': problem`."""


def parse_dossiers_csv(text: str, source: str, updated_at: float) -> list[Dossier]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    problems: list[str] = []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        what = [f"column {c!r} is missing" for c in missing]
        what += [f"column {c!r} is not one of {', '.join(COLUMNS)}" for c in unknown]
        raise CsvError("\n".join(f"{source}:1: {w}" for w in what))
    out: list[Dossier] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{source}:{line}: has {len(row)} cells, the header {len(header)}")
            continue
        v = {h: nfc(cell).strip() for h, cell in zip(header, row, strict=True)}
        errors: list[str] = []

        def bad(column: str, problem: str, errors: list[str] = errors, line: int = line) -> None:
            errors.append(f"{source}:{line}: column {column!r}: {problem}")

        for column in REQUIRED:
            if not v[column]:
                bad(column, "is empty")
        code = ""
        if v["code"]:
            try:
                code = normalize_code(v["code"])
            except QueueError:
                bad("code", f"{v['code']!r} is not a dossier code (letters, digits, . - /)")
        if code in seen:
            bad("code", f"{code} is already on line {seen[code]}")
        phone = normalize_phone_digits(v["phone"])
        if v["phone"] and len(phone) != 10:
            bad("phone", f"{v['phone']!r} is not a 10-digit phone number")
        status = None
        if v["status"]:
            try:
                status = DossierStatus(v["status"])
            except ValueError:
                known = ", ".join(s.value for s in DossierStatus)
                bad("status", f"{v['status']!r} is not one of {known}")
        dates: dict[str, dt.date] = {}
        for column in ("received_on", "due_on"):
            if v[column]:
                try:
                    dates[column] = dt.date.fromisoformat(v[column])
                except ValueError:
                    bad(column, f"{v[column]!r} is not a date like 2026-12-03")
        if len(dates) == 2 and dates["due_on"] < dates["received_on"]:
            bad("due_on", "is before received_on")
        if errors or status is None or len(dates) < 2:
            problems.extend(errors)
            continue
        seen[code] = line
        out.append(
            Dossier(
                code=code,
                procedure_code=v.get("procedure_code", ""),
                procedure_name=v.get("procedure_name", ""),
                citizen_name=v.get("citizen_name", ""),
                phone=phone,
                status=status,
                received_on=dates["received_on"],
                due_on=dates["due_on"],
                unit=v.get("unit", ""),
                note=v.get("note", ""),
                updated_at=updated_at,
            )
        )
    if problems:
        raise CsvError("\n".join(problems))
    return out
