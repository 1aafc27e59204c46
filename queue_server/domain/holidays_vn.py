"""Vietnam's public holidays of a year, offered to the administrator to tick.

Labour Code 2019, art. 112: Tết Dương lịch (1/1), Tết Âm lịch (five days: the
government fixes them each year, usually the last day of the lunar year and the
first four of the new one), Giỗ Tổ Hùng Vương (10/3 lunar), Ngày Chiến thắng (30/4),
Quốc tế Lao động (1/5) and Quốc khánh (2/9, with the day before or after it). The
lunar dates come from a table (no lunar calendar here); a year outside it is offered
the solar holidays only, and the administrator adds Tết by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# the first day of the lunar year and Giỗ Tổ Hùng Vương (10/3 lunar), by solar year
_LUNAR: dict[int, tuple[dt.date, dt.date]] = {
    2025: (dt.date(2025, 1, 29), dt.date(2025, 4, 7)),
    2026: (dt.date(2026, 2, 17), dt.date(2026, 4, 26)),
    2027: (dt.date(2027, 2, 6), dt.date(2027, 4, 16)),
    2028: (dt.date(2028, 1, 26), dt.date(2028, 4, 4)),
    2029: (dt.date(2029, 2, 13), dt.date(2029, 4, 23)),
    2030: (dt.date(2030, 2, 3), dt.date(2030, 4, 12)),
}


@dataclass(frozen=True)
class Holiday:
    day: dt.date
    name: str
    name_en: str


def public_holidays(year: int) -> list[Holiday]:
    """The year's public holidays, in date order."""
    days = [
        Holiday(dt.date(year, 1, 1), "Tết Dương lịch", "New Year's Day"),
        Holiday(dt.date(year, 4, 30), "Ngày Chiến thắng", "Reunification Day"),
        Holiday(dt.date(year, 5, 1), "Ngày Quốc tế Lao động", "International Labour Day"),
        Holiday(dt.date(year, 9, 1), "Nghỉ liền kề Quốc khánh", "National Day (adjacent day)"),
        Holiday(dt.date(year, 9, 2), "Quốc khánh", "National Day"),
    ]
    if year in _LUNAR:
        tet, hung = _LUNAR[year]
        days.append(Holiday(hung, "Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration"))
        for offset in range(-1, 4):
            label = "Tết Nguyên đán" if offset else "Tết Nguyên đán (mùng 1)"
            days.append(Holiday(tet + dt.timedelta(days=offset), label, "Lunar New Year"))
    return sorted(days, key=lambda h: h.day)
