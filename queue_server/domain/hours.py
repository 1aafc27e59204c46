"""Business days and opening hours in the site's time zone (pure: `now` is passed in)."""

from __future__ import annotations

import datetime as dt

from queue_server.domain.config import WEEKDAYS, Service, Site


def local_time(site: Site, now: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, site.tz)


def business_day(site: Site, now: float) -> str:
    """The day a ticket issued at `now` belongs to: it starts at the daily reset time."""
    local = local_time(site, now)
    day = local.date()
    if local.time() < site.daily_reset:
        day -= dt.timedelta(days=1)
    return day.isoformat()


def next_reset(site: Site, now: float) -> float:
    """The epoch time of the next daily reset after `now`."""
    local = local_time(site, now)
    candidate = dt.datetime.combine(local.date(), site.daily_reset, site.tz)
    if candidate <= local:
        candidate = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), site.daily_reset, site.tz
        )
    return candidate.timestamp()


def _is_working_day(site: Site, day: dt.date) -> bool:
    return WEEKDAYS[day.weekday()] in site.open_days and day not in site.holidays


def is_open(site: Site, service: Service, now: float) -> bool:
    local = local_time(site, now)
    if not _is_working_day(site, local.date()):
        return False
    t = local.time()
    return any(start <= t < end for start, end in service.hours or site.hours)


def opens_at(site: Site, service: Service, now: float, horizon_days: int = 14) -> float | None:
    """When the service next opens (epoch seconds), or None if not within the horizon."""
    local = local_time(site, now)
    for offset in range(horizon_days + 1):
        day = local.date() + dt.timedelta(days=offset)
        if not _is_working_day(site, day):
            continue
        for start, _ in service.hours or site.hours:
            at = dt.datetime.combine(day, start, site.tz)
            if at > local:
                return at.timestamp()
    return None


def next_session_today(site: Site, now: float) -> float | None:
    """The start of the site's next session later today (after the lunch break), or None."""
    local = local_time(site, now)
    for start, _ in site.hours:
        at = dt.datetime.combine(local.date(), start, site.tz)
        if at > local:
            return at.timestamp()
    return None
