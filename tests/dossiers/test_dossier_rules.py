"""The pure dossier rules: return dates in working days, the phone-digits check, the
mapping of a foreign record, the `[dossiers]` config."""

import datetime as dt

import pytest

from queue_protocol.errors import QueueError
from queue_server.domain.config import ConfigError
from queue_server.domain.dossier_config import parse_dossier_config
from queue_server.domain.dossiers import (
    STATUS_TEXT,
    BadRecord,
    Dossier,
    DossierStatus,
    FieldMapping,
    check_phone_digits,
    from_record,
    normalize_code,
    return_date,
)
from queue_server.dossiers.standin import MAPPING

D = dt.date
# the sample site's 30/4 and 1/5 (Thursday, Friday) and the compensating Monday 27/4
HOLIDAYS = {D(2026, 4, 27), D(2026, 4, 30), D(2026, 5, 1)}


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (D(2026, 12, 3), 0, D(2026, 12, 3)),  # the same day
        (D(2026, 12, 3), 1, D(2026, 12, 4)),  # Thursday → Friday
        (D(2026, 12, 4), 1, D(2026, 12, 7)),  # Friday → Monday: the weekend skipped
        (D(2026, 12, 5), 1, D(2026, 12, 7)),  # received on a Saturday: Monday is day 1
        (D(2026, 12, 3), 10, D(2026, 12, 17)),  # two weeks
        (D(2026, 4, 28), 3, D(2026, 5, 5)),  # Wed 29, (30/4, 1/5, weekend), Mon 4, Tue 5
    ],
)
def test_return_date_skips_weekends_and_holidays(received, days, due):
    assert return_date(received, days, HOLIDAYS) == due


def test_return_date_across_the_holiday_week():
    # Friday 24/4 + 3 working days: Mon 27/4 is a day off, so Tue 28, Wed 29, then
    # Thu 30/4 and Fri 1/5 are holidays and the weekend follows: Mon 4/5.
    assert return_date(D(2026, 4, 24), 3, HOLIDAYS) == D(2026, 5, 4)
    assert return_date(D(2026, 4, 24), 3) == D(2026, 4, 29)  # without the holidays


def dossier(**kw):
    base = dict(
        code="000.00.15.H09-261203-0001",
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        citizen_name="Nguyễn Thị Hoa",
        phone="0912345678",
        status=DossierStatus.IN_PROGRESS,
        received_on=D(2026, 12, 3),
        due_on=D(2026, 12, 8),
        unit="Phòng Tư pháp",
    )
    return Dossier(**{**base, **kw})


def test_phone_digits_right_pair_passes():
    d = dossier()
    assert check_phone_digits(d, "5678") is d


@pytest.mark.parametrize(
    ("found", "digits"),
    [(True, "5679"), (True, "678"), (True, "56781"), (True, "abcd"), (False, "5678")],
)
def test_phone_digits_refusal_is_the_same_whatever_was_wrong(found, digits):
    with pytest.raises(QueueError) as err:
        check_phone_digits(dossier() if found else None, digits)
    assert err.value.code == "dossier_not_found"


def test_open_dossier_past_its_date_is_shown_overdue():
    d = dossier()
    assert d.shown_status(D(2026, 12, 8)) is DossierStatus.IN_PROGRESS
    assert d.shown_status(D(2026, 12, 9)) is DossierStatus.OVERDUE
    ready = dossier(status=DossierStatus.READY)
    assert ready.shown_status(D(2027, 1, 9)) is DossierStatus.READY
    assert "Phòng Tư pháp" in d.status_text(D(2026, 12, 4))
    assert "08/12/2026" in d.status_text(D(2026, 12, 4))


def test_codes_are_normalised_and_junk_refused():
    assert normalize_code(" 000.00.15.h09-261203-0001 ") == "000.00.15.H09-261203-0001"
    for junk in ("", "ab", "'; DROP TABLE", "x" * 60):
        with pytest.raises(QueueError) as err:
            normalize_code(junk)
        assert err.value.code == "bad_dossier_code"


def test_foreign_record_mapped_by_the_config():
    config = parse_dossier_config({"source": "http", "http": {**MAPPING, "url": "http://x/{code}"}})
    assert config.http is not None
    record = {
        "data": {
            "MaHoSo": "HS-2026-0001",
            "TenThuTuc": "Cấp Phiếu lý lịch tư pháp",
            "ChuHoSo": "Trần Văn Bình",
            "SoDienThoai": "+84912345678",
            "TrangThai": "YEU_CAU_BO_SUNG",
            "NgayTiepNhan": "01/12/2026",
            "NgayHenTra": "11/12/2026",
            "GhiChu": "Bản sao CCCD",
        }
    }
    d = from_record(record, config.http.mapping)
    assert (d.code, d.phone, d.status) == (
        "HS-2026-0001",
        "0912345678",
        DossierStatus.ADDITIONAL_DOCUMENTS,
    )
    assert (d.received_on, d.due_on, d.note) == (D(2026, 12, 1), D(2026, 12, 11), "Bản sao CCCD")
    record["data"]["TrangThai"] = "KHONG_RO"
    with pytest.raises(BadRecord, match="TrangThai"):
        from_record(record, config.http.mapping)
    with pytest.raises(BadRecord, match="data.NgayHenTra"):
        from_record(
            {"data": {**record["data"], "TrangThai": "QUA_HAN", "NgayHenTra": "x"}},
            config.http.mapping,
        )
    assert from_record(
        {
            "code": "ABCD1",
            "phone": "0912345678",
            "status": "ready",
            "received_on": "2026-12-01",
            "due_on": "2026-12-02T08:00:00",
        },
        FieldMapping(),
    ).due_on == D(2026, 12, 2)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"source": "ftp"}, "dossiers.source"),
        ({"source": "http"}, "dossiers.http"),
        ({"source": "http", "http": {"url": "http://x/"}}, "dossiers.http.url"),
        (
            {"source": "http", "http": {"url": "http://x/{code}", "timeout_seconds": 0}},
            "dossiers.http.timeout_seconds",
        ),
        (
            {"source": "http", "http": {"url": "http://x/{code}", "fields": {"colour": "x"}}},
            "dossiers.http.fields.colour",
        ),
        (
            {"source": "http", "http": {"url": "http://x/{code}", "statuses": {"X": "lost"}}},
            "dossiers.http.statuses.X",
        ),
        (
            {"source": "http", "http": {"url": "http://x/{code}", "auth_header": "A"}},
            "dossiers.http.auth_header",
        ),
        ({"result_service": "nope"}, "dossiers.result_service"),
        ({"lookups_per_hour": 0}, "dossiers.lookups_per_hour"),
        ({"colour": 1}, "dossiers.colour"),
    ],
)
def test_bad_config_names_the_key(table, key):
    with pytest.raises(ConfigError) as err:
        parse_dossier_config(table, "site.toml", services=("huong-dan-chung",))
    assert key in str(err.value)


def test_dossier_sms_fits_its_budget_with_the_longest_state():
    from queue_server.outbox import catalogue, sms

    longest = max((vi for vi, _ in STATUS_TEXT.values()), key=len).format(
        unit="Văn phòng Đăng ký đất đai chi nhánh Thủ Dầu Một", due="31/12/2026", note="x" * 40
    )
    text = catalogue.render(
        "lookup_dossier",
        "vi",
        {
            "code": "000.00.15.H09-261203-0001",
            "procedure": "Đăng ký khai sinh có yếu tố nước ngoài kết hợp nhận cha, mẹ, con",
            "status": longest,
        },
    )
    accented, folded = catalogue.BUDGET["lookup_dossier"]
    assert sms.segments(text)[0] <= accented
    assert sms.segments(sms.unaccent(text))[0] <= folded


def test_dossiers_table_read_from_the_site_file(tmp_path):
    from assets import SAMPLE_CONFIG
    from queue_server.core.siteconfig import load_config
    from queue_server.dossiers.config_file import load_dossier_config

    site = load_config(SAMPLE_CONFIG)
    assert load_dossier_config(SAMPLE_CONFIG, site).result_service == "huong-dan-chung"
    bad = tmp_path / "site.toml"
    bad.write_text('[dossiers]\nresult_service = "khong-co"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_dossier_config(bad, site)
    assert str(bad) in str(err.value) and "dossiers.result_service" in str(err.value)
