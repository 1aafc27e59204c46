"""The public holidays offered on the admin screen (Labour Code 2019, art. 112)."""

import datetime as dt

from queue_server.domain.holidays_vn import public_holidays


def test_2026_has_tet_hung_kings_and_the_solar_holidays():
    days = {h.day: h.name for h in public_holidays(2026)}
    assert days[dt.date(2026, 2, 17)] == "Tết Nguyên đán (mùng 1)"
    assert [d for d, n in days.items() if n.startswith("Tết Nguyên đán")] == [
        dt.date(2026, 2, 16) + dt.timedelta(days=i) for i in range(5)
    ]
    assert days[dt.date(2026, 4, 26)] == "Giỗ Tổ Hùng Vương"
    for solar in ((1, 1), (4, 30), (5, 1), (9, 2)):
        assert dt.date(2026, *solar) in days
    assert list(days) == sorted(days)


def test_a_year_outside_the_lunar_table_gets_the_solar_holidays_only():
    names = {h.name for h in public_holidays(2040)}
    assert "Quốc khánh" in names and not any(n.startswith("Tết Nguyên") for n in names)
