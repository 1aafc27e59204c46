"""Dossier look-up through both adapters: the built-in table (a real SQLite file) and
the province system's stand-in over a real socket, with its timeouts and 5xx."""

import asyncio
import datetime as dt

import pytest

from queue_protocol.errors import QueueError
from queue_server.core.store import Store
from queue_server.domain.dossier_config import parse_dossier_config
from queue_server.domain.dossiers import Dossier, DossierStatus
from queue_server.dossiers.csv_import import CsvError, parse_dossiers_csv
from queue_server.dossiers.desk import DossierDesk
from queue_server.dossiers.standin import ProvinceDossierSystem

CODE = "HS-2026-0001"


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "q.db")
    yield s
    await s.close()


@pytest.fixture
async def province():
    system = ProvinceDossierSystem()
    system.add(
        MaHoSo=CODE,
        MaThuTuc="1.001193",
        TenThuTuc="Đăng ký khai sinh",
        ChuHoSo="Nguyễn Thị Hoa",
        SoDienThoai="0912345678",
        TrangThai="CHO_TRA_KET_QUA",
        NgayTiepNhan="01/12/2026",
        NgayHenTra="03/12/2026",
        DonViXuLy="UBND phường Phú Cường",
        GhiChu="",
    )
    await system.start()
    yield system
    await system.close()


def http_desk(province, store, clock=None, **overrides):
    config = parse_dossier_config(province.config(**overrides))
    now = [0.0]
    desk = DossierDesk(config, lambda: store, clock or (lambda: now[0]))
    return desk, now


async def test_builtin_store_round_trip_and_phone_check(store):
    desk = DossierDesk(parse_dossier_config({}), lambda: store)
    d = Dossier(
        code=CODE,
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        citizen_name="Nguyễn Thị Hoa",
        phone="0912345678",
        status=DossierStatus.RECEIVED,
        received_on=dt.date(2026, 12, 3),
        due_on=dt.date(2026, 12, 4),
        documents=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh (bản chính)"),
        officer="Lê Văn An",
        counter=5,
        ticket_id=17,
        updated_at=1.0,
    )
    await desk.builtin.put([d])
    assert await desk.check(CODE.lower(), "5678") == d
    for code, digits in ((CODE, "5679"), ("HS-2026-0002", "5678")):
        with pytest.raises(QueueError) as err:
            await desk.check(code, digits)
        assert err.value.code == "dossier_not_found"
    # the counter's update replaces the record, and every print is audited
    await desk.builtin.put([Dossier(**{**d.__dict__, "status": DossierStatus.READY})])
    assert (await desk.find(CODE)).status is DossierStatus.READY
    assert await desk.builtin.record_print(CODE, "phieu_hen", "Lê Văn An", 5, 10.0) is False
    assert await desk.builtin.record_print(CODE, "phieu_hen", "Trần B", 6, 11.0) is True
    prints = await desk.builtin.prints(CODE)
    assert [(p["officer"], p["reprint"]) for p in prints] == [
        ("Lê Văn An", False),
        ("Trần B", True),
    ]


async def test_http_adapter_maps_the_province_record(province, store):
    desk, _ = http_desk(province, store)
    try:
        d = await desk.check(CODE, "5678")
        assert d.status is DossierStatus.READY
        assert (d.citizen_name, d.unit) == ("Nguyễn Thị Hoa", "UBND phường Phú Cường")
        assert d.due_on == dt.date(2026, 12, 3)
        with pytest.raises(QueueError) as err:
            await desk.check(CODE, "1111")
        assert err.value.code == "dossier_not_found"
        assert await desk.find("HS-2026-9999") is None  # 404 → not found
    finally:
        await desk.close()


async def test_http_adapter_caches_answers(province, store):
    desk, now = http_desk(province, store, cache_seconds=60)
    try:
        await desk.find(CODE)
        await desk.find(CODE)
        assert province.requests == 1
        now[0] = 61.0
        await desk.find(CODE)
        assert province.requests == 2
    finally:
        await desk.close()


async def test_http_adapter_timeout_is_a_clear_retry_later_not_a_hang(province, store):
    province.hang_times, province.hang_seconds = 1, 30.0
    desk, _ = http_desk(province, store, timeout_seconds=0.3, cache_seconds=0)
    try:
        with pytest.raises(QueueError) as err:
            # the bound here is only a guard against a hang: the adapter's own 0.3 s answers
            await asyncio.wait_for(desk.check(CODE, "5678"), 10)
        assert err.value.code == "dossier_unavailable"
        assert "thử lại sau" in err.value.message
        assert (await desk.check(CODE, "5678")).code == CODE  # the next call gets through
    finally:
        await desk.close()


@pytest.mark.parametrize("fault", ["fail_times", "garble_times", "token"])
async def test_http_adapter_5xx_bad_record_and_wrong_token_are_unavailable(province, store, fault):
    if fault == "token":
        province.token = "rotated"
    else:
        setattr(province, fault, 1)
    desk, _ = http_desk(province, store, cache_seconds=0)
    try:
        with pytest.raises(QueueError) as err:
            await desk.check(CODE, "5678")
        assert err.value.code == "dossier_unavailable"
    finally:
        await desk.close()


async def test_http_adapter_province_down_is_unavailable(store):
    system = ProvinceDossierSystem()
    await system.start()
    await system.close()  # the port is closed now: connection refused
    desk, _ = http_desk(system, store)
    try:
        with pytest.raises(QueueError) as err:
            await desk.check(CODE, "5678")
        assert err.value.code == "dossier_unavailable"
    finally:
        await desk.close()


HEADER = "code,procedure_code,procedure_name,citizen_name,phone,status,received_on,due_on,unit,note"
GOOD_CSV = (
    "\ufeff" + HEADER + "\n"
    "HS-1,1.001193,Đăng ký khai sinh,Nguyễn Thị Hoa,0912345678,ready,2026-12-01,2026-12-02,,\n"
    "HS-2,2.000908,Chứng thực bản sao,Trần Văn Bình,+84 98 765 4321,in_progress,"
    "2026-12-01,2026-12-04,Phòng Tư pháp,\n"
)


async def test_csv_import_loads_into_the_builtin_store(store):
    desk = DossierDesk(parse_dossier_config({}), lambda: store)
    assert await desk.builtin.put(parse_dossiers_csv(GOOD_CSV, "hs.csv", 5.0)) == 2
    assert (await desk.check("hs-2", "4321")).unit == "Phòng Tư pháp"


def test_csv_errors_name_line_and_column():
    bad = GOOD_CSV + (
        "HS-1,,,,0912345678,ready,2026-12-01,2026-12-02,,\n"
        "HS-3,,,,12345,lost,2026-13-01,2026-12-02,,\n"
        "HS-4,,,,0912345678,ready,2026-12-05,2026-12-02,,\n"
    )
    with pytest.raises(CsvError) as err:
        parse_dossiers_csv(bad, "hs.csv", 0.0)
    text = str(err.value)
    assert "hs.csv:4: column 'code': HS-1 is already on line 2" in text
    assert "hs.csv:5: column 'phone'" in text
    assert "hs.csv:5: column 'status'" in text
    assert "hs.csv:5: column 'received_on'" in text
    assert "hs.csv:6: column 'due_on': is before received_on" in text
    with pytest.raises(CsvError, match="hs.csv:1: column 'phone' is missing"):
        parse_dossiers_csv("code,status\n", "hs.csv", 0.0)


def test_csv_import_command_loads_all_or_nothing(tmp_path, capsys):
    from queue_server.__main__ import main

    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    bad.write_text(GOOD_CSV + "HS-9,,,,0912345678,lost,2026-12-01,2026-12-02,,\n", "utf-8")
    db = tmp_path / "q.db"
    assert main(["dossiers", "import", str(bad), "--db", str(db)]) == 2
    assert "bad.csv:4: column 'status'" in capsys.readouterr().err
    assert main(["dossiers", "import", str(good), "--db", str(db)]) == 0
    assert "2 dossiers loaded" in capsys.readouterr().out


async def test_returned_dossiers_lose_name_and_phone_with_the_daily_purge(store):
    desk = DossierDesk(parse_dossier_config({}), lambda: store)
    base = parse_dossiers_csv(GOOD_CSV, "hs.csv", 1.0)
    returned = Dossier(**{**base[0].__dict__, "status": DossierStatus.RETURNED})
    await desk.builtin.put([returned, base[1]])  # HS-1 returned, HS-2 in progress
    await store.purge_personal_data("2026-12-03", 9.0)
    gone, kept = await desk.find("HS-1"), await desk.find("HS-2")
    assert (gone.citizen_name, gone.phone) == ("", "")
    assert kept.phone == "0987654321" and kept.citizen_name == "Trần Văn Bình"
    with pytest.raises(QueueError):
        await desk.check("HS-1", "5678")  # no digits to match any more
