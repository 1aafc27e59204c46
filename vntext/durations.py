"""A wait or a service time in words a citizen and an officer read the same way.

"0:14" can be fourteen minutes or fourteen seconds; "14 phút" and "1 giờ 05 phút"
cannot. Whole minutes, rounded down (a clock that says 14 phút for 14:59 never
over-states the wait); under a minute is "dưới 1 phút".
"""

from __future__ import annotations

__all__ = ["minutes_text"]


def minutes_text(seconds: float | None, lang: str = "vi") -> str:
    """`seconds` as "14 phút" / "1 giờ 05 phút" (English: "14 min" / "1 h 05 min");
    "–" when unknown."""
    if seconds is None:
        return "–"
    total = max(0, int(seconds)) // 60
    hours, minutes = divmod(total, 60)
    en = lang == "en"
    if total == 0:
        return "under 1 min" if en else "dưới 1 phút"
    if not hours:
        return f"{minutes} min" if en else f"{minutes} phút"
    return f"{hours} h {minutes:02d} min" if en else f"{hours} giờ {minutes:02d} phút"
