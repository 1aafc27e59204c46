"""Site configuration: TOML in, validated frozen dataclasses out.

Every problem is reported as `ConfigError` naming the file, the key and what is
wrong, so a bad file stops start-up with one clear line instead of a traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_server.domain.procedures import Catalogue
from vntext import fold, nfc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEVICE_ROLES = ("kiosk", "display", "rating")


class ConfigError(Exception):
    """A configuration problem: `file: key: what is wrong`, in English (logs, /en/admin)
    and, for the admin screen, in Vietnamese (`problem_vi`; the English one if none)."""

    def __init__(self, source: str, key: str, problem: str, problem_vi: str = "") -> None:
        self.source, self.key, self.problem = source, key, problem
        self.problem_vi = problem_vi or problem
        super().__init__(f"{source}: {key}: {problem}")


Hours = tuple[tuple[dt.time, dt.time], ...]


@dataclass(frozen=True)
class Site:
    name: str
    name_en: str
    address: str
    timezone: str
    daily_reset: dt.time
    open_days: tuple[str, ...]
    hours: Hours
    holidays: frozenset[dt.date]
    # Web origins besides the server's own from which signed-in roles and devices may
    # open /ws (a page served by another host of the centre); lowercase, no path.
    allowed_origins: tuple[str, ...] = ()
    # The address citizens' phones open (slip QR, booking page, calendar file, messages),
    # e.g. "https://xephang.binhduong.gov.vn"; no trailing slash. "" if not configured.
    public_url: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Sector:
    id: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    name_en: str
    sector: str
    prefix: str  # letter series ("A" → A001), or "" for a numeric base
    base: int  # numeric series: base + n (1000 → 1001); 0 for letter series
    width: int
    daily_cap: int
    hours: Hours | None  # None: the site's hours
    closed: bool = False  # kept for the tickets it has, closed for new ones (`closed = true`)


@dataclass(frozen=True)
class Counter:
    number: int
    name: str
    services: tuple[str, ...]
    secondary_services: tuple[str, ...] = ()
    # where the counter is, to help a citizen find it ("Khu A", "Tầng 2"); "" if not said
    zone: str = ""
    zone_en: str = ""

    @property
    def all_services(self) -> tuple[str, ...]:
        return self.services + self.secondary_services


@dataclass(frozen=True)
class PriorityGroup:
    id: str
    name: str
    name_en: str
    rank: int  # 1 is served first
    min_age: int | None = None  # the kiosk offers it to an ID card this old (issue 20)


@dataclass(frozen=True)
class Choice:
    """A configured option with Vietnamese and English names (outcome, pause reason, rating)."""

    id: str
    name: str
    name_en: str


@dataclass(frozen=True)
class PauseReason(Choice):
    """A pause reason, and how long such a pause usually lasts, for the counter screen's
    "back at": `minutes` after the pause, or until the site's next session (lunch)."""

    minutes: int | None = None
    until_next_session: bool = False


NO_SHOW_RETURNS = ("original", "end")


@dataclass(frozen=True)
class Device:
    id: str
    role: str
    token: str


@dataclass(frozen=True)
class KioskPlace:
    """Where a kiosk stands and whose tickets it issues (`[[kiosks]]`): the officers of
    those services are told when its printer stops (issue 12)."""

    device: str  # the kiosk's device id
    place: str  # as the officers say it: "sảnh A", "tầng 2"
    services: tuple[str, ...] = ()  # the services it issues for; () = every service


@dataclass(frozen=True)
class SlotCapacity:
    """Places per booking slot for a service (or every service) at a time of day."""

    places: int
    service: str | None = None  # None: every service
    start: dt.time = dt.time(0, 0)  # slots starting in [start, end)
    end: dt.time = dt.time(23, 59, 59)


@dataclass(frozen=True)
class BookingConfig:
    """Online booking (`[booking]`): horizon, slots, check-in window, personal data."""

    enabled: bool = True
    horizon_days: int = 14
    slot_minutes: int = 30
    checkin_before_minutes: int = 30
    checkin_after_minutes: int = 15
    default_capacity: int = 4
    capacity: tuple[SlotCapacity, ...] = ()  # read in order: the last match wins
    services: tuple[str, ...] | None = None  # None: every service may be booked
    cccd_services: frozenset[str] = frozenset()
    retention_days: int = 30
    notice_version: str = "2026-01"
    requests_per_hour: int = 200  # a generous ceiling on all booking requests per address
    bookings_per_address_per_hour: int = 20  # accepted bookings per client address
    bookings_per_phone: int = 3  # standing bookings (today and later) per phone

    def places(self, service: str, start: dt.time) -> int:
        places = self.default_capacity
        for rule in self.capacity:
            if rule.service in (None, service) and rule.start <= start < rule.end:
                places = rule.places
        return places


@dataclass(frozen=True)
class AlertConfig:
    """The supervisor's thresholds (`[alerts]`): when a condition becomes an alert."""

    longest_wait_minutes: float = 30.0  # a service's oldest waiting ticket
    waiting_count: int = 40  # tickets waiting for one service
    pause_minutes: dict[str, float] = field(default_factory=dict)  # pause reason → allowance
    default_pause_minutes: float = 30.0  # for a reason not listed
    device_offline_seconds: float = 90.0  # silence after which a device is offline
    # A condition must stay absent this long before its alert clears: a flapping
    # printer (ok/out/ok every second) keeps one alert open instead of a storm.
    clear_after_seconds: float = 30.0
    complaint_rating: str | None = None  # the rating that needs a follow-up; None: the worst

    def pause_allowance(self, reason: str | None) -> float:
        """Seconds a counter may stay paused for `reason`."""
        return 60 * self.pause_minutes.get(reason or "", self.default_pause_minutes)


MESSAGE_KINDS = (
    "booking_made",
    "reminder_day",
    "reminder_hour",
    "near",
    "called",
    "booking_cancelled",
    "rate_link",
    "lookup_reply",
)
CONTACT_TYPES = ("phone", "email")


@dataclass(frozen=True)
class MessagingConfig:
    """Messages to citizens (`[messaging]`): the policy; the channels' own tables
    (`[messaging.channels.<name>]`) are kept raw for `queue_server.outbox.channels`."""

    enabled: bool = False
    # contact type → channel name, and per message kind overrides of it
    route: Mapping[str, str] = field(default_factory=dict)
    kind_route: Mapping[tuple[str, str], str] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset(MESSAGE_KINDS)  # the kinds that are sent at all
    near_thresholds: tuple[int, ...] = (3, 5, 10)  # "còn N người" choices offered
    default_near: int = 3
    reminder_day_hours: int = 24  # the reminder "the day before": this long before the slot
    reminder_hour_minutes: int = 60
    public_url: str = ""  # base of the links in messages (rating, cancel); "" leaves them out
    unaccented: bool = False  # SMS folded to unaccented GSM 7-bit text (half the cost)
    inbound_per_hour: int = 10  # look-ups answered per sender and hour
    max_attempts: int = 8  # temporary failures before a message is given up
    retry_seconds: float = 30.0  # first back-off; doubled each attempt, with jitter
    retry_max_seconds: float = 3600.0
    channels_table: Mapping[str, Any] = field(default_factory=dict)

    def channel_for(self, kind: str, contact_type: str) -> str | None:
        """The channel a message of `kind` to a contact of `contact_type` goes to, if any."""
        if not self.enabled or kind not in self.kinds:
            return None
        return self.kind_route.get((kind, contact_type), self.route.get(contact_type))


@dataclass(frozen=True)
class SearchConfig:
    """`[search]`: everyday words → the words of the official names (issue 12, 16),
    e.g. "sổ đỏ" → "giấy chứng nhận quyền sử dụng đất"; each phrase may have several."""

    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()


VOICE_STYLES = ("bac", "nam")  # northern, southern reading of numbers (announce.style_options)
NOTICE_MAX = 300  # characters of the hall's notice line, in each language
ZONE_MAX = 40


@dataclass(frozen=True)
class HallConfig:
    """`[hall]`: the hall screens' usual notice line (a supervisor's notice from the board
    runs over it for a while) and the voice style of the announcements."""

    notice: str = ""  # "" : the screens' own default line
    notice_en: str = ""
    voice: str = "bac"  # one of VOICE_STYLES


@dataclass(frozen=True)
class SiteConfig:
    source: str
    site: Site
    sectors: dict[str, Sector]
    services: dict[str, Service]
    counters: dict[int, Counter]
    priority_groups: dict[str, PriorityGroup]
    max_consecutive_priority: int
    outcomes: dict[str, Choice]
    pause_reasons: dict[str, PauseReason]
    rating_scale: tuple[Choice, ...]
    devices: dict[str, Device] = field(default_factory=dict)
    kiosks: dict[str, KioskPlace] = field(default_factory=dict)  # device id → its place
    default_service_minutes: float = 5.0
    service_time_window: int = 50
    booking: BookingConfig = field(default_factory=BookingConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    messaging: MessagingConfig = field(default_factory=MessagingConfig)
    # A no-show put back in the queue by its officer: at its original time or at the end.
    no_show_return: str = "end"
    search: SearchConfig = field(default_factory=SearchConfig)
    hall: HallConfig = field(default_factory=HallConfig)
    # `[procedures] catalogue`: the catalogue file, relative to the config file; read
    # and checked by `core.siteconfig.load_config` into `procedures`.
    procedures_file: str = ""
    procedures: Catalogue = field(default_factory=Catalogue)
    # the document it was read from, as a whole: what a configuration version stores
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def default_outcome(self) -> str:
        return next(iter(self.outcomes))


def read_config(raw: bytes, source: str) -> SiteConfig:
    """Validate a configuration file's bytes (`source` names it in every error)."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(source, "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "(file)", f"is not valid TOML: {exc}") from None
    return parse_config(data, source)


def parse_config(data: dict[str, Any], source: str = "<config>") -> SiteConfig:
    """Validate an already-parsed TOML document."""
    r = _Reader(source)
    site = _site(r, r.table(data, "site"))
    sectors = _unique(r, "sectors", [_sector(r, t, k) for k, t in r.tables(data, "sectors")])
    services = _unique(
        r, "services", [_service(r, t, k, sectors) for k, t in r.tables(data, "services")]
    )
    _check_series_unique(r, services)
    counters = _counters(r, data, services)
    prio = r.table(data, "priority", required=False)
    groups = _unique(
        r, "priority.groups", [_group(r, t, k) for k, t in r.tables(prio, "groups", "priority")]
    )
    k_bound = r.integer(prio, "max_consecutive", "priority", default=3, low=1)
    queue = r.table(data, "queue", required=False)
    pause_reasons = _pause_reasons(r, data)
    rating_scale = tuple(_choices(r, data, "rating_scale").values())
    messaging = _messaging(r, r.table(data, "messaging", required=False))
    # One public address for every link a citizen gets: [site] public_url (an older
    # [messaging] public_url is read as it, when the site has none).
    if not site.public_url and messaging.public_url:
        site = dataclasses.replace(site, public_url=messaging.public_url)
    messaging = dataclasses.replace(messaging, public_url=site.public_url)
    return SiteConfig(
        source=source,
        site=site,
        sectors=sectors,
        services=services,
        counters=counters,
        priority_groups=groups,
        max_consecutive_priority=k_bound,
        outcomes=_choices(r, data, "outcomes", required=True),
        pause_reasons=pause_reasons,
        rating_scale=rating_scale,
        devices=_devices(r, data),
        kiosks=_kiosks(r, data, services),
        default_service_minutes=r.number(queue, "default_service_minutes", "queue", 5.0),
        service_time_window=r.integer(queue, "service_time_window", "queue", default=50, low=1),
        booking=_booking(r, r.table(data, "booking", required=False), services),
        alerts=_alerts(r, r.table(data, "alerts", required=False), pause_reasons, rating_scale),
        messaging=messaging,
        no_show_return=_no_show_return(r, queue),
        search=_search(r, r.table(data, "search", required=False)),
        hall=_hall(r, r.table(data, "hall", required=False)),
        procedures_file=_procedures_file(r, r.table(data, "procedures", required=False)),
        document=data,
    )


class _Reader:
    """Typed access to TOML tables that reports the full key path on error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str, *, vi: str) -> ConfigError:
        """The error at `key`: `problem` in English, `vi` the same in Vietnamese."""
        return ConfigError(self.source, key, problem, vi)

    def service_ids(self, ids: Any, key: str, services: Mapping[str, Any]) -> tuple[str, ...]:
        """`ids` (the value at `key`) as a list of configured services' ids."""
        if not isinstance(ids, list) or any(not isinstance(i, str) for i in ids):
            raise self.fail(key, "must be a list of service ids", vi="phải là danh sách mã dịch vụ")
        for i in ids:
            if i not in services:
                raise self.fail(
                    key,
                    f"{i!r} is not a configured service",
                    vi=f"{i!r} không phải là dịch vụ đã khai báo",
                )
        return tuple(ids)

    def table(self, data: dict, key: str, required: bool = True) -> dict:
        value = data.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                key,
                "is missing" if value is None else "must be a table",
                vi="chưa có" if value is None else "phải là một bảng",
            )
        return value

    def tables(self, data: dict, key: str, parent: str = "") -> list[tuple[str, dict]]:
        path = f"{parent}.{key}" if parent else key
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise self.fail(
                path,
                f"must be an array of tables ([[{path}]])",
                vi=f"phải là một danh sách bảng ([[{path}]])",
            )
        return [(f"{path}[{i}]", t) for i, t in enumerate(value)]

    def text(self, t: dict, key: str, path: str, default: str | None = None) -> str:
        value = t.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                f"{path}.{key}",
                "is missing" if value is None else "must be text",
                vi="chưa điền" if value is None else "phải là chữ",
            )
        return nfc(value.strip())

    def ident(self, t: dict, key: str, path: str) -> str:
        value = self.text(t, key, path)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise self.fail(
                f"{path}.{key}",
                f"{value!r} must be lower-case a-z, 0-9, '-' or '_'",
                vi=f"{value!r} chỉ được gồm chữ thường a-z, số 0-9, '-' hoặc '_'",
            )
        return value

    def integer(
        self,
        t: dict,
        key: str,
        path: str,
        default: int | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        value = t.get(key, default)
        full = f"{path}.{key}" if path else key
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                full,
                "is missing" if value is None else "must be a whole number",
                vi="chưa điền" if value is None else "phải là số nguyên",
            )
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(
                full,
                f"{value} is out of range [{low}, {high}]",
                vi=f"{value} nằm ngoài khoảng cho phép [{low}, {high}]",
            )
        return value

    def number(self, t: dict, key: str, path: str, default: float) -> float:
        value = t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(f"{path}.{key}", "must be a positive number", vi="phải là số dương")
        return float(value)

    def time(self, value: Any, key: str) -> dt.time:
        if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
            raise self.fail(
                key,
                f"{value!r} must be a time written HH:MM",
                vi=f"{value!r} phải là giờ viết dạng HH:MM (ví dụ 07:30)",
            )
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise self.fail(
                key, f"{value!r} is not a valid time", vi=f"{value!r} không phải là giờ hợp lệ"
            ) from None

    def hours(self, value: Any, key: str) -> Hours:
        if not isinstance(value, list) or not value:
            raise self.fail(
                key,
                'must be a list of ["HH:MM", "HH:MM"] pairs',
                vi="phải là các khoảng giờ, ví dụ 07:30-11:30, 13:00-17:00",
            )
        spans = []
        for i, span in enumerate(value):
            if not isinstance(span, list) or len(span) != 2:
                raise self.fail(
                    f"{key}[{i}]",
                    'must be a pair ["HH:MM", "HH:MM"]',
                    vi="phải là một khoảng giờ, ví dụ 07:30-11:30",
                )
            start, end = self.time(span[0], f"{key}[{i}]"), self.time(span[1], f"{key}[{i}]")
            if end <= start:
                raise self.fail(
                    f"{key}[{i}]",
                    "must end after it starts",
                    vi="giờ kết thúc phải sau giờ bắt đầu",
                )
            spans.append((start, end))
        return tuple(spans)


def _site(r: _Reader, t: dict) -> Site:
    tz = r.text(t, "timezone", "site", default="Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(
            "site.timezone",
            f"{tz!r} is not a known time zone",
            vi=f"{tz!r} không phải là múi giờ đã biết",
        ) from None
    days = t.get("open_days", list(WEEKDAYS[:5]))
    if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
        raise r.fail(
            "site.open_days",
            f"must be a list of {', '.join(WEEKDAYS)}",
            vi=f"phải là danh sách các ngày {', '.join(WEEKDAYS)}",
        )
    holidays = set()
    for i, day in enumerate(t.get("holidays", [])):
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise r.fail(
                f"site.holidays[{i}]",
                f"{day!r} must be a date like 2026-09-02",
                vi=f"{day!r} phải là ngày, ví dụ 2026-09-02",
            )
        holidays.add(day)
    return Site(
        name=r.text(t, "name", "site"),
        name_en=r.text(t, "name_en", "site", default=t.get("name")),
        address=r.text(t, "address", "site", default="-"),
        timezone=tz,
        daily_reset=r.time(t.get("daily_reset", "00:00"), "site.daily_reset"),
        open_days=tuple(days),
        hours=r.hours(t.get("hours", [["07:00", "17:00"]]), "site.hours"),
        holidays=frozenset(holidays),
        allowed_origins=_origins(r, t.get("allowed_origins", [])),
        public_url=_public_url(r, t, "site"),
    )


def _public_url(r: _Reader, t: dict, path: str) -> str:
    url = t.get("public_url", "")
    if not isinstance(url, str) or (url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url)):
        raise r.fail(
            f"{path}.public_url",
            f"{url!r} must be an http(s) address",
            vi=f"{url!r} phải là địa chỉ http(s)",
        )
    return url.rstrip("/")


_LOOPBACK = re.compile(r"(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)(:\d+)?", re.IGNORECASE)


def public_url_warning(config: SiteConfig) -> str | None:
    """Why the links citizens get will not open on their phones, or None if they will."""
    url = config.site.public_url
    if not url:
        return (
            "[site] public_url is not set: the QR on every slip, the booking page link and "
            "the links in messages and calendar files fall back to the server's own address, "
            "which phones on mobile data cannot open (see docs/operations.md)"
        )
    host = url.split("://", 1)[1].split("/", 1)[0]
    if _LOOPBACK.fullmatch(host):
        return (
            f"[site] public_url {url} is this machine's loopback address: phones cannot open "
            "the links citizens get (see docs/operations.md)"
        )
    if url.startswith("http://"):
        return f"[site] public_url {url} is not HTTPS: put the TLS reverse proxy in front"
    return None


_ORIGIN = re.compile(r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")


def _origins(r: _Reader, value: Any) -> tuple[str, ...]:
    """`site.allowed_origins`: web origins as a browser sends them, e.g.
    "https://xephang.binhduong.gov.vn" (scheme, host, optional port; no path)."""
    if not isinstance(value, list):
        raise r.fail(
            "site.allowed_origins", "must be a list of origins", vi="phải là danh sách nguồn web"
        )
    origins = []
    for i, origin in enumerate(value):
        if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin.lower()):
            raise r.fail(
                f"site.allowed_origins[{i}]",
                f"{origin!r} must be an origin like https://xephang.example.vn (no path)",
                vi=f"{origin!r} phải là nguồn web như https://xephang.example.vn (không đường dẫn)",
            )
        origins.append(origin.lower())
    return tuple(origins)


def _sector(r: _Reader, t: dict, path: str) -> Sector:
    return Sector(
        r.ident(t, "id", path),
        r.text(t, "name", path),
        r.text(t, "name_en", path, default=t.get("name")),
    )


def _service(r: _Reader, t: dict, path: str, sectors: dict[str, Sector]) -> Service:
    sector = r.text(t, "sector", path)
    if sector not in sectors:
        raise r.fail(
            f"{path}.sector",
            f"{sector!r} is not one of the [[sectors]]",
            vi=f"{sector!r} không phải là lĩnh vực đã khai báo",
        )
    prefix, base = t.get("prefix"), t.get("base")
    if (prefix is None) == (base is None):
        raise r.fail(
            path,
            "needs exactly one of 'prefix' (letter series) or 'base' (numeric)",
            vi="cần đúng một trong hai: chữ đầu số (dãy chữ) hoặc số bắt đầu (dãy số)",
        )
    if prefix is not None and (
        not isinstance(prefix, str) or not re.fullmatch(r"[A-Z]{1,2}", prefix)
    ):
        raise r.fail(
            f"{path}.prefix",
            f"{prefix!r} must be one or two capital letters A-Z",
            vi=f"{prefix!r} phải là một hoặc hai chữ in hoa A-Z",
        )
    width = r.integer(t, "width", path, default=3 if prefix else 4, low=1, high=6)
    cap = r.integer(t, "daily_cap", path, default=10**width - 1, low=1)
    if base is not None:
        base = r.integer(t, "base", path, low=0)
        if base + cap >= 10**width:
            raise r.fail(
                f"{path}.base",
                f"base {base} + daily_cap {cap} needs more than {width} digits",
                vi=f"số bắt đầu {base} cộng số tối đa mỗi ngày {cap} cần nhiều hơn {width} chữ số",
            )
    elif cap >= 10**width:
        raise r.fail(
            f"{path}.daily_cap",
            f"{cap} does not fit in {width} digits",
            vi=f"{cap} không vừa {width} chữ số",
        )
    hours = t.get("hours")
    closed = t.get("closed", False)
    if not isinstance(closed, bool):
        raise r.fail(f"{path}.closed", "must be true or false", vi="phải là có hoặc không")
    return Service(
        id=r.ident(t, "id", path),
        name=r.text(t, "name", path),
        name_en=r.text(t, "name_en", path, default=t.get("name")),
        sector=sector,
        prefix=prefix or "",
        base=base or 0,
        width=width,
        daily_cap=cap,
        hours=None if hours is None else r.hours(hours, f"{path}.hours"),
        closed=closed,
    )


def _check_series_unique(r: _Reader, services: dict[str, Service]) -> None:
    """Two services printing the same number would confuse the hall: keep series apart."""
    seen: list[Service] = []
    for s in services.values():
        for other in seen:
            if s.prefix and s.prefix == other.prefix:
                raise r.fail(
                    f"services.{s.id}.prefix",
                    f"{s.prefix!r} is already used by service {other.id!r}",
                    vi=f"{s.prefix!r} đã được dịch vụ {other.id!r} dùng",
                )
            if (
                not s.prefix
                and not other.prefix
                and (other.base < s.base + s.daily_cap and s.base < other.base + other.daily_cap)
            ):
                raise r.fail(
                    f"services.{s.id}.base",
                    f"numbers overlap with those of service {other.id!r}",
                    vi=f"dãy số trùng với dãy số của dịch vụ {other.id!r}",
                )
        seen.append(s)


def _counters(r: _Reader, data: dict, services: dict[str, Service]) -> dict[int, Counter]:
    counters: dict[int, Counter] = {}
    for path, t in r.tables(data, "counters"):
        number = r.integer(t, "number", path, low=1, high=9999)
        if number in counters:
            raise r.fail(
                f"{path}.number",
                f"counter {number} is defined twice",
                vi=f"quầy {number} được khai báo hai lần",
            )
        lists = []
        for key in ("services", "secondary_services"):
            ids = t.get(key, [] if key == "secondary_services" else None)
            lists.append(r.service_ids(ids, f"{path}.{key}", services))
        if not lists[0]:
            raise r.fail(
                f"{path}.services",
                "must name at least one service",
                vi="phải có ít nhất một dịch vụ",
            )
        name = r.text(t, "name", path, default=f"Quầy {number}")
        zone = _short_text(r, t, "zone", path, ZONE_MAX)
        zone_en = _short_text(r, t, "zone_en", path, ZONE_MAX) or zone
        counters[number] = Counter(number, name, lists[0], lists[1], zone, zone_en)
    if not counters:
        raise r.fail("counters", "at least one [[counters]] is needed", vi="cần ít nhất một quầy")
    return counters


def _group(r: _Reader, t: dict, path: str) -> PriorityGroup:
    return PriorityGroup(
        r.ident(t, "id", path),
        r.text(t, "name", path),
        r.text(t, "name_en", path, default=t.get("name")),
        r.integer(t, "rank", path, low=1),
        r.integer(t, "min_age", path, low=1, high=150) if "min_age" in t else None,
    )


def _choices(r: _Reader, data: dict, key: str, required: bool = False) -> dict[str, Choice]:
    items = [
        Choice(
            r.ident(t, "id", p),
            r.text(t, "name", p),
            r.text(t, "name_en", p, default=t.get("name")),
        )
        for p, t in r.tables(data, key)
    ]
    if required and not items:
        raise r.fail(key, f"at least one [[{key}]] is needed", vi="cần ít nhất một mục")
    return _unique(r, key, items)


def _pause_reasons(r: _Reader, data: dict) -> dict[str, PauseReason]:
    reasons = []
    for (path, t), choice in zip(
        r.tables(data, "pause_reasons"), _choices(r, data, "pause_reasons").values(), strict=True
    ):
        minutes = t.get("minutes")
        if minutes is not None:
            minutes = r.integer(t, "minutes", path, low=1, high=480)
        until = t.get("until_next_session", False)
        if not isinstance(until, bool):
            raise r.fail(
                f"{path}.until_next_session", "must be true or false", vi="phải là có hoặc không"
            )
        if until and minutes is not None:
            raise r.fail(
                path,
                "give minutes or until_next_session, not both",
                vi='chỉ ghi số phút hoặc "đến phiên làm việc sau", không ghi cả hai',
            )
        reasons.append(PauseReason(choice.id, choice.name, choice.name_en, minutes, until))
    return {reason.id: reason for reason in reasons}


def _no_show_return(r: _Reader, queue: dict) -> str:
    value = queue.get("no_show_return", "end")
    if value not in NO_SHOW_RETURNS:
        raise r.fail(
            "queue.no_show_return",
            f"{value!r} must be one of {', '.join(NO_SHOW_RETURNS)}",
            vi=f"{value!r} phải là một trong {', '.join(NO_SHOW_RETURNS)}",
        )
    return str(value)


def _devices(r: _Reader, data: dict) -> dict[str, Device]:
    devices = []
    for path, t in r.tables(data, "devices"):
        role = r.text(t, "role", path)
        if role not in DEVICE_ROLES:
            raise r.fail(
                f"{path}.role",
                f"{role!r} must be one of {', '.join(DEVICE_ROLES)}",
                vi=f"{role!r} phải là một trong {', '.join(DEVICE_ROLES)}",
            )
        token = r.text(t, "token", path)
        if len(token) < 16:
            raise r.fail(
                f"{path}.token", "must be at least 16 characters", vi="phải dài ít nhất 16 ký tự"
            )
        devices.append(Device(r.ident(t, "id", path), role, token))
    tokens = [d.token for d in devices]
    if len(set(tokens)) != len(tokens):
        raise r.fail("devices", "two devices share a token", vi="hai thiết bị dùng chung một mã")
    return _unique(r, "devices", devices)


def _kiosks(r: _Reader, data: dict, services: dict[str, Service]) -> dict[str, KioskPlace]:
    kiosks: dict[str, KioskPlace] = {}
    for path, t in r.tables(data, "kiosks"):
        device = r.ident(t, "device", path)
        if device in kiosks:
            raise r.fail(
                f"{path}.device",
                f"kiosk {device!r} is placed twice",
                vi=f"ki-ốt {device!r} được khai báo hai lần",
            )
        ids = r.service_ids(t.get("services", []), f"{path}.services", services)
        kiosks[device] = KioskPlace(device, r.text(t, "place", path), ids)
    return kiosks


def _booking(r: _Reader, t: dict, services: dict[str, Service]) -> BookingConfig:
    def service_ids(key: str) -> tuple[str, ...]:
        return r.service_ids(t.get(key, []), f"booking.{key}", services)

    enabled = t.get("enabled", True)
    if not isinstance(enabled, bool):
        raise r.fail("booking.enabled", "must be true or false", vi="phải là có hoặc không")
    slot = r.integer(t, "slot_minutes", "booking", default=30, low=5, high=240)
    rules = []
    for path, rule in r.tables(t, "capacity", "booking"):
        service = rule.get("service")
        if service is not None and service not in services:
            raise r.fail(
                f"{path}.service",
                f"{service!r} is not a configured service",
                vi=f"{service!r} không phải là dịch vụ đã khai báo",
            )
        start = r.time(rule.get("from", "00:00"), f"{path}.from")
        end = r.time(rule["to"], f"{path}.to") if "to" in rule else dt.time(23, 59, 59)
        if end <= start:
            raise r.fail(
                f"{path}.to", "must be after 'from'", vi="giờ kết thúc phải sau giờ bắt đầu"
            )
        rules.append(
            SlotCapacity(r.integer(rule, "places", path, low=0, high=10_000), service, start, end)
        )
    version = t.get("notice_version", "2026-01")
    if not isinstance(version, str) or not version.strip():
        raise r.fail(
            "booking.notice_version",
            'must be text, e.g. "2026-01"',
            vi='phải là chữ, ví dụ "2026-01"',
        )
    return BookingConfig(
        enabled=enabled,
        horizon_days=r.integer(t, "horizon_days", "booking", default=14, low=1, high=90),
        slot_minutes=slot,
        checkin_before_minutes=r.integer(
            t, "checkin_before_minutes", "booking", default=30, low=0, high=240
        ),
        checkin_after_minutes=r.integer(
            t, "checkin_after_minutes", "booking", default=15, low=0, high=240
        ),
        default_capacity=r.integer(t, "default_capacity", "booking", default=4, low=0, high=10_000),
        capacity=tuple(rules),
        services=service_ids("services") if "services" in t else None,
        cccd_services=frozenset(service_ids("cccd_services")),
        retention_days=r.integer(t, "retention_days", "booking", default=30, low=1, high=3650),
        notice_version=version.strip(),
        requests_per_hour=r.integer(t, "requests_per_hour", "booking", default=200, low=1),
        bookings_per_address_per_hour=r.integer(
            t, "bookings_per_address_per_hour", "booking", default=20, low=1
        ),
        bookings_per_phone=r.integer(t, "bookings_per_phone", "booking", default=3, low=1),
    )


def _alerts(
    r: _Reader, t: dict, reasons: Mapping[str, Choice], scale: tuple[Choice, ...]
) -> AlertConfig:
    pauses = t.get("pause_minutes", {})
    if not isinstance(pauses, dict):
        raise r.fail(
            "alerts.pause_minutes",
            "must be a table: pause reason = minutes",
            vi="phải là các cặp lý do tạm dừng = số phút",
        )
    for reason in pauses:
        if reason not in reasons:
            raise r.fail(
                f"alerts.pause_minutes.{reason}",
                "is not one of the [[pause_reasons]]",
                vi="không phải là lý do tạm dừng đã khai báo",
            )
    complaint = t.get("complaint_rating")
    if complaint is not None and complaint not in {c.id for c in scale}:
        raise r.fail(
            "alerts.complaint_rating",
            f"{complaint!r} is not in the [[rating_scale]]",
            vi=f"{complaint!r} không có trong thang đánh giá",
        )
    return AlertConfig(
        longest_wait_minutes=r.number(t, "longest_wait_minutes", "alerts", 30.0),
        waiting_count=r.integer(t, "waiting_count", "alerts", default=40, low=1),
        pause_minutes={k: r.number(pauses, k, "alerts.pause_minutes", 0) for k in pauses},
        default_pause_minutes=r.number(t, "default_pause_minutes", "alerts", 30.0),
        device_offline_seconds=r.number(t, "device_offline_seconds", "alerts", 90.0),
        clear_after_seconds=r.number(t, "clear_after_seconds", "alerts", 30.0),
        # the scale is written best first: its last level is the complaint
        complaint_rating=complaint if complaint is not None else (scale[-1].id if scale else None),
    )


def _messaging(r: _Reader, t: dict) -> MessagingConfig:
    channels = r.table(t, "channels", required=False)

    def flag(key: str, default: bool) -> bool:
        value = t.get(key, default)
        if not isinstance(value, bool):
            raise r.fail(f"messaging.{key}", "must be true or false", vi="phải là có hoặc không")
        return value

    def channel(value: Any, key: str) -> str:
        if not isinstance(value, str) or value not in channels:
            raise r.fail(
                key,
                f"{value!r} is not one of the [messaging.channels.<name>]",
                vi=f"{value!r} không phải là kênh tin nhắn đã khai báo",
            )
        return value

    route: dict[str, str] = {}
    kind_route: dict[tuple[str, str], str] = {}
    for key, value in r.table(t, "route", required=False).items():
        if key in CONTACT_TYPES:
            route[key] = channel(value, f"messaging.route.{key}")
        elif key in MESSAGE_KINDS and isinstance(value, dict):
            for contact, name in value.items():
                if contact not in CONTACT_TYPES:
                    raise r.fail(
                        f"messaging.route.{key}.{contact}",
                        "must be phone or email",
                        vi="phải là phone (điện thoại) hoặc email",
                    )
                kind_route[(key, contact)] = channel(name, f"messaging.route.{key}.{contact}")
        else:
            raise r.fail(
                f"messaging.route.{key}",
                f"must be a contact type ({', '.join(CONTACT_TYPES)}) or a message kind table",
                vi="phải là loại liên hệ (phone, email) hoặc bảng theo loại tin nhắn",
            )
    kinds = t.get("kinds", list(MESSAGE_KINDS))
    if not isinstance(kinds, list) or any(k not in MESSAGE_KINDS for k in kinds):
        raise r.fail(
            "messaging.kinds",
            f"must be a list of {', '.join(MESSAGE_KINDS)}",
            vi=f"phải là danh sách trong {', '.join(MESSAGE_KINDS)}",
        )
    near = t.get("near_thresholds", [3, 5, 10])
    if (
        not isinstance(near, list)
        or not near
        or any(isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100 for n in near)
    ):
        raise r.fail(
            "messaging.near_thresholds",
            "must be a list of whole numbers 1-100",
            vi="phải là danh sách số nguyên từ 1 đến 100",
        )
    default_near = r.integer(t, "default_near", "messaging", default=near[0], low=1)
    if default_near not in near:
        raise r.fail(
            "messaging.default_near",
            f"{default_near} is not one of near_thresholds",
            vi=f"{default_near} không có trong danh sách ngưỡng",
        )
    url = _public_url(r, t, "messaging")  # older sites: [site] public_url is the place now
    enabled = flag("enabled", bool(route))
    if enabled and not route:
        raise r.fail(
            "messaging.route",
            "name the channel for phone (and email) messages",
            vi="hãy chọn kênh gửi tin cho điện thoại (và email)",
        )
    return MessagingConfig(
        enabled=enabled,
        route=route,
        kind_route=kind_route,
        kinds=frozenset(kinds),
        near_thresholds=tuple(near),
        default_near=default_near,
        reminder_day_hours=r.integer(
            t, "reminder_day_hours", "messaging", default=24, low=2, high=72
        ),
        reminder_hour_minutes=r.integer(
            t, "reminder_hour_minutes", "messaging", default=60, low=5, high=600
        ),
        public_url=url,
        unaccented=flag("unaccented", False),
        inbound_per_hour=r.integer(t, "inbound_per_hour", "messaging", default=10, low=1),
        max_attempts=r.integer(t, "max_attempts", "messaging", default=8, low=1, high=50),
        retry_seconds=r.number(t, "retry_seconds", "messaging", 30.0),
        retry_max_seconds=r.number(t, "retry_max_seconds", "messaging", 3600.0),
        channels_table=channels,
    )


def _search(r: _Reader, t: dict) -> SearchConfig:
    table = t.get("synonyms", {})
    if not isinstance(table, dict):
        raise r.fail(
            "search.synonyms",
            'must be a table: "everyday words" = "official words"',
            vi='phải là bảng: "từ thường dùng" = "từ chính thức"',
        )
    synonyms = []
    for phrase, value in table.items():
        targets = [value] if isinstance(value, str) else value
        if (
            not fold(phrase)
            or not isinstance(targets, list)
            or not targets
            or any(not isinstance(v, str) or not fold(v) for v in targets)
        ):
            raise r.fail(
                f"search.synonyms.{phrase}",
                "must be words, or a list of words",
                vi="phải là từ ngữ, hoặc danh sách từ ngữ",
            )
        synonyms.append((nfc(phrase.strip()), tuple(nfc(v.strip()) for v in targets)))
    return SearchConfig(tuple(synonyms))


def _short_text(r: _Reader, t: dict, key: str, path: str, most: int) -> str:
    """An optional line of text for citizens' eyes, at most `most` characters; "" if absent."""
    value = t.get(key, "")
    if not isinstance(value, str):
        raise r.fail(f"{path}.{key}", "must be text", vi="phải là chữ")
    value = nfc(" ".join(value.split()))  # one line: a notice scrolls, a zone sits in a row
    if len(value) > most:
        raise r.fail(
            f"{path}.{key}",
            f"is {len(value)} characters long; at most {most}",
            vi=f"dài {len(value)} ký tự; tối đa {most} ký tự",
        )
    return value


def _hall(r: _Reader, t: dict) -> HallConfig:
    voice = t.get("voice", "bac")
    if voice not in VOICE_STYLES:
        raise r.fail(
            "hall.voice",
            f"{voice!r} must be one of {', '.join(VOICE_STYLES)} (northern, southern)",
            vi=f"{voice!r} phải là bac (giọng Bắc) hoặc nam (giọng Nam)",
        )
    notice = _short_text(r, t, "notice", "hall", NOTICE_MAX)
    notice_en = _short_text(r, t, "notice_en", "hall", NOTICE_MAX)
    if notice_en and not notice:
        raise r.fail(
            "hall.notice",
            "is missing: the Vietnamese line comes first, the English one after it",
            vi="chưa điền: dòng tiếng Việt đứng trước, dòng tiếng Anh sau",
        )
    return HallConfig(notice=notice, notice_en=notice_en, voice=str(voice))


def _procedures_file(r: _Reader, t: dict) -> str:
    name = t.get("catalogue", "")
    if not isinstance(name, str):
        raise r.fail(
            "procedures.catalogue", "must be the name of a JSON file", vi="phải là tên một tệp JSON"
        )
    return name.strip()


def _unique(r: _Reader, key: str, items: list) -> dict:
    out: dict = {}
    for item in items:
        if item.id in out:
            raise r.fail(key, f"id {item.id!r} is used twice", vi=f"mã {item.id!r} bị dùng hai lần")
        out[item.id] = item
    return out
