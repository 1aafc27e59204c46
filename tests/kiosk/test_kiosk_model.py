"""The kiosk model (no Qt) against the real server and a real virtual ESC/POS printer;
and `python -m kiosk` as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from PIL import ImageChops

from kiosk.config import load_kiosk_file
from kiosk.model import Intent, KioskModel, Page, Phase
from kiosk.text import matches, telex_plain
from printer.errors import ConfigError
from printer.render import render_ticket
from queue_protocol.urls import server_urls
from tests.support import ROOT
from tests.support.booking import book
from tests.support.clock import FakeClock
from tests.support.kiosk import BIRTH, BIRTH_COUNTER, MARRIAGE, kiosk_model, running_kiosk
from tests.support.servers import KIOSK_TOKEN, InProcessServer, add_officer, login, peer
from tests.support.siteconfig import WEDNESDAY, WEDNESDAY_9AM
from tests.support.waiting import printer_drained, until
from vntext import fold

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def kiosk(server, vp):
    async with running_kiosk(server.base, vp) as model:
        yield model


def test_fold_ignores_case_and_diacritics():
    assert fold("Đăng Ký KINH doanh") == "dang ky kinh doanh"
    assert fold("Hộ tịch") == "ho tich"
    assert fold("Người có công, bảo trợ – xã hội") == "nguoi co cong bao tro xa hoi"
    assert matches("ho tich", "Hộ tịch") and matches("HỘ TỊCH", "Hộ tịch")
    assert matches("dang ky kinh doanh", "Đăng ký kinh doanh")
    assert not matches("ho tich", "Đất đai") and not matches("", "Hộ tịch")


async def test_search_with_and_without_diacritics(kiosk: KioskModel):
    def ids(query: str) -> list[str]:
        return [s.id for s in kiosk.search_results(query)]

    assert set(ids("ho tich")) == {BIRTH, MARRIAGE}
    assert ids("Hộ tịch") == ids("ho tich") == ids("HO TICH")
    assert set(ids("dang ky kinh doanh")) == {"thanh-lap-doanh-nghiep", "thay-doi-doanh-nghiep"}
    assert ids("khai sinh")[0] == BIRTH and ids("khai sinh") == ids("Khai Sinh")
    assert ids("đất đai")[:2] == ids("dat dai")[:2] and "cap-giay-chung-nhan" in ids("dat dai")
    assert ids("birth") == [BIRTH]  # English names too
    assert ids("xyzzy") == [] and ids("  ") == []
    # typed the Telex way on the on-screen keyboard (the habit of most Vietnamese users)
    assert ids("hoj tichj") == ids("ho tich")
    assert ids("ddaast ddai") == ids("dat dai")
    assert set(ids("ddawng kys kinh doanh")) == set(ids("dang ky kinh doanh"))
    assert ids("xay dung") and ids("xay dung") == ids("xaay duwngj")  # x, s, r lead


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("hoj", "ho"),
        ("tichj", "tich"),
        ("ddaast", "dat"),
        ("dduwowngf", "duong"),
        ("chuwsng", "chung"),
        ("thucwj", "thuc"),
        ("thwcj", "thuc"),
        ("nhw", "nhu"),
        ("giaasy", "giay"),
        ("nghieepj", "nghiep"),
        ("trowj", "tro"),
        ("xax", "xa"),
        ("sinh", "sinh"),
        ("rowif", "roi"),
        ("trung", "trung"),
        ("doanh", "doanh"),
    ],
)
def test_telex_keystrokes_are_read_as_marks(typed: str, plain: str) -> None:
    assert telex_plain(typed) == plain


async def test_ticket_is_issued_printed_and_shown(kiosk: KioskModel, server, vp):
    task = kiosk.take_ticket(BIRTH)
    assert task is not None and kiosk.screen is Page.PRINTING
    await task
    assert kiosk.screen is Page.TICKET
    (ticket,) = server.tickets(BIRTH)
    assert kiosk.ticket is not None and kiosk.ticket.number == ticket.number == "D001"
    assert ticket.status.value == "waiting"
    (job,) = await vp.wait_for_jobs(1)
    assert job.image.width == 576 and job.path is not None and job.path.exists()


async def test_a_commit_lost_on_the_server_is_retried_and_printed_once(
    kiosk: KioskModel, server, vp
):
    """A full disk on the server: the batch is refused `unavailable`, the server reloads
    and asks everyone to reconnect; the kiosk asks again with the same request id."""
    import sqlite3

    store = server.server.store
    real_write, failed = store._write, []

    def disk_full_once(*args):
        if not failed:
            failed.append(True)
            raise sqlite3.OperationalError("database or disk is full")
        real_write(*args)

    store._write = disk_full_once
    task = kiosk.take_ticket(BIRTH)
    assert task is not None
    await task
    assert failed and kiosk.screen is Page.TICKET
    (ticket,) = server.tickets(BIRTH)
    assert kiosk.ticket is not None and kiosk.ticket.number == ticket.number == "D001"
    assert len(await vp.wait_for_jobs(1)) == 1


async def test_double_tap_gives_one_ticket(kiosk: KioskModel, server, vp):
    first = kiosk.take_ticket(BIRTH)
    assert kiosk.take_ticket(BIRTH) is None and kiosk.take_ticket(MARRIAGE) is None
    await first
    assert len(server.tickets()) == 1
    await vp.wait_for_jobs(1)
    await printer_drained(vp)
    assert len(vp.jobs) == 1


async def test_priority_ticket_is_called_first(kiosk: KioskModel, server):
    await kiosk.take_ticket(BIRTH)
    normal = kiosk.ticket
    kiosk.open_priority()
    kiosk.choose_priority("nguoi-cao-tuoi")
    assert kiosk.page is Page.HOME and kiosk.priority is not None
    await kiosk.take_ticket(BIRTH)
    priority = kiosk.ticket
    assert priority is not None and normal is not None
    assert priority.priority is not None and priority.priority.id == "nguoi-cao-tuoi"
    assert kiosk.priority is None  # the next citizen chooses again
    stored = {t.number: t for t in server.tickets(BIRTH)}
    assert stored[priority.number].priority == "nguoi-cao-tuoi"
    assert stored[normal.number].priority is None
    await add_officer(server.server, "an")
    counter = await peer(
        server.base, "counter", await login(server.base, "an"), counter=BIRTH_COUNTER
    )
    try:
        first = await counter.request("call_next")
        assert first["ticket"]["number"] == priority.number
        second = await counter.request("call_next")
        assert second["ticket"]["number"] == normal.number
    finally:
        await counter.close()


async def test_paper_out_pauses_service_and_tells_the_server(server, vp):
    """A site that turned the ticket without paper off (`paperless_fallback = false`)."""
    async with running_kiosk(server.base, vp, paperless_fallback=False) as kiosk:
        vp.set_state(paper="out")
        await until(lambda: kiosk.screen is Page.OUT_OF_SERVICE, what="out of service")
        assert kiosk.printer_health.state == "paper_out"
        assert "paper_out" in kiosk.out_of_service_reason()
        assert kiosk.out_of_service_cause() == "cause_printer"
        await until(lambda: server.device_printer() == "paper_out", what="device_status sent")
        assert kiosk.take_ticket(BIRTH) is None
        assert server.tickets() == [] and vp.jobs == []
        vp.set_state(paper="ok")
        await until(lambda: kiosk.in_service, what="back in service")
        await until(lambda: server.device_printer() == "ok", what="ok reported")
        await kiosk.take_ticket(BIRTH)
        assert len(server.tickets()) == 1


async def test_paper_out_gives_tickets_on_screen_and_tells_the_server(
    kiosk: KioskModel, server, vp
):
    """Issue 12: no paper, and the kiosk goes on: the number on screen with the QR of
    its tracking page, issued and tracked like any other; the staff see paper_out."""
    vp.set_state(paper="out")
    await until(lambda: kiosk.printer_out, what="printer out, kiosk in service")
    assert kiosk.screen is Page.HOME
    await until(lambda: server.device_printer() == "paper_out", what="device_status sent")
    await kiosk.take_ticket(BIRTH)
    (ticket,) = server.tickets(BIRTH)
    assert ticket.status.value == "waiting" and vp.jobs == []
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None and kiosk.ticket.paperless
    assert kiosk.ticket.tracking_url.endswith(f"/t/{ticket.public_id}")
    vp.set_state(paper="ok")
    await until(lambda: kiosk.printer_ready, what="paper back")
    kiosk.go_home()
    await kiosk.take_ticket(BIRTH)
    assert len(await vp.wait_for_jobs(1)) == 1 and not kiosk.ticket.paperless


async def test_a_citizen_may_choose_no_paper(kiosk: KioskModel, server, vp):
    kiosk.toggle_paperless()
    await kiosk.take_ticket(BIRTH)
    assert kiosk.ticket is not None and kiosk.ticket.paperless and vp.jobs == []
    assert [t.status.value for t in server.tickets(BIRTH)] == ["waiting"]
    kiosk._on_idle()  # the next citizen: paper again
    assert not kiosk.paperless and not kiosk.large_text and not kiosk.voice


async def test_printer_checked_before_each_ticket(server, vp):
    async with running_kiosk(
        server.base, vp, printer_poll_seconds=60, paperless_fallback=False
    ) as kiosk:
        vp.set_state(cover_open=True)  # the next poll is a minute away
        await kiosk.take_ticket(BIRTH)
        assert server.tickets() == [] and vp.jobs == []
        assert kiosk.screen is Page.OUT_OF_SERVICE
        assert kiosk.printer_health.state == "cover_open"
        await until(lambda: server.device_printer() == "cover_open", what="cover reported")


@pytest.mark.parametrize("failure", [{"paper": "out"}, {"mute": True}])
async def test_print_failure_after_issue_voids_the_ticket(kiosk: KioskModel, server, vp, failure):
    def fail_once_issued() -> None:
        # The number exists on the server now; the printer fails before the job goes out.
        if kiosk.phase is Phase.PRINTING and not vp.state.mute and vp.state.paper == "ok":
            vp.set_state(**failure)

    kiosk.on_change(fail_once_issued)
    await kiosk.take_ticket(BIRTH)
    (ticket,) = server.tickets(BIRTH)
    assert ticket.status.value == "voided"
    assert kiosk.screen is Page.NOTICE and kiosk.notice is not None
    assert kiosk.notice.title == "print_failed"
    assert vp.jobs == []
    assert server.server.state.waiting.waiting(BIRTH) == 0
    expected = "paper_out" if "paper" in failure else "unknown"
    await until(lambda: server.device_printer() == expected, what="failure reported")


async def test_server_down_then_back_without_restart(kiosk: KioskModel, server, vp):
    await server.stop()
    await until(lambda: kiosk.screen is Page.OUT_OF_SERVICE, what="out of service")
    assert "127.0.0.1" in kiosk.out_of_service_reason()
    assert kiosk.take_ticket(BIRTH) is None
    assert vp.jobs == []
    await server.start()
    await until(lambda: kiosk.in_service, what="back in service")
    await until(lambda: server.device_printer() == "ok", what="printer reported again")
    await kiosk.take_ticket(BIRTH)
    assert kiosk.ticket is not None and [t.number for t in server.tickets()] == ["D001"]


async def test_a_ticket_on_screen_stays_through_a_server_blip(kiosk: KioskModel, server, vp):
    """The citizen is reading their number when the server goes: the number stays until
    the idle timer; then the kiosk shows it is out of service."""
    await kiosk.take_ticket(BIRTH)
    assert kiosk.screen is Page.TICKET
    await server.stop()
    await until(lambda: kiosk.client.state not in ("connected", "connecting"), what="server gone")
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    kiosk._on_idle()
    assert kiosk.screen is Page.OUT_OF_SERVICE


async def test_a_ticket_on_screen_stays_when_the_paper_runs_out(server, vp):
    """The last ticket of the roll is printed and shown; the roll ends: the number stays."""
    async with running_kiosk(server.base, vp, paperless_fallback=False) as kiosk:
        await kiosk.take_ticket(BIRTH)
        assert kiosk.screen is Page.TICKET
        vp.set_state(paper="out")
        await until(lambda: kiosk.printer_health.state == "paper_out", what="paper out seen")
        assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
        kiosk._on_idle()
        assert kiosk.screen is Page.OUT_OF_SERVICE


def restart_server_while_issuing(kiosk: KioskModel, server) -> list[asyncio.Task]:
    """Stop and restart the server once, the moment the kiosk has sent its request."""
    restarting: list[asyncio.Task] = []

    def drop_server_while_issuing() -> None:
        if kiosk.phase is Phase.ISSUING and not restarting:

            async def bounce() -> None:
                await server.stop()
                await until(
                    lambda: kiosk.client.state != "connected", what="the kiosk saw the server go"
                )
                await server.start()

            restarting.append(asyncio.create_task(bounce()))

    kiosk.on_change(drop_server_while_issuing)
    return restarting


async def test_retry_after_reconnect_reuses_the_request_id(kiosk: KioskModel, server, vp):
    restarting = restart_server_while_issuing(kiosk, server)
    await kiosk.take_ticket(BIRTH)
    await restarting[0]
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    tickets = server.tickets()
    assert [t.number for t in tickets] == [kiosk.ticket.number]
    assert len(await vp.wait_for_jobs(1)) == 1


def test_config_file_and_server_address(tmp_path):
    printer, settings = load_kiosk_file(ROOT / "kiosk" / "printer-virtual.toml")
    assert (printer.connection, printer.host, printer.port, printer.width) == (
        "network",
        "127.0.0.1",
        9100,
        576,
    )
    assert settings.idle_seconds == 30 and settings.printer_poll_seconds == 5
    assert server_urls("http://10.0.0.5:8765") == ("http://10.0.0.5:8765", "ws://10.0.0.5:8765/ws")
    assert server_urls("ws://10.0.0.5:8765/ws/") == (
        "http://10.0.0.5:8765",
        "ws://10.0.0.5:8765/ws",
    )
    assert server_urls("https://xephang.gov.vn/q")[1] == "wss://xephang.gov.vn/q/ws"
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[printer]\nconnection = "dummy"\n[kiosk]\nidle_second = 30\n')
    with pytest.raises(ConfigError, match=r"kiosk.toml: \[kiosk\] unknown key 'idle_second'"):
        load_kiosk_file(bad)
    bad.write_text('[printer]\nconnection = "dummy"\n[kiosk]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match="timezone"):
        load_kiosk_file(bad)
    with pytest.raises(ValueError):
        server_urls("ftp://10.0.0.5:8765")


async def test_slip_carries_what_the_citizen_needs(kiosk: KioskModel, server, vp):
    kiosk.choose_priority("nguoi-khuyet-tat")
    await kiosk.take_ticket(BIRTH)
    ticket = kiosk.ticket
    assert ticket is not None
    intent = Intent(BIRTH, "nguoi-khuyet-tat", "x")
    stored = next(t for t in server.tickets() if t.number == ticket.number)
    slip = kiosk._slip(
        {
            "number": stored.number,
            "issued_at": stored.issued_at,
            "public_id": stored.public_id,
            "ahead": 0,
            "estimated_wait": 125,
            "priority": stored.priority,
        },
        intent,
    )
    assert slip.centre_name == "Trung tâm Hành chính công tỉnh Bình Dương"
    assert slip.service_name == "Đăng ký khai sinh, khai tử"
    assert slip.priority_group == "Người khuyết tật"
    public = server.server.config.site.public_url  # the site's public address, not --server
    assert slip.tracking_url == f"{public}/t/{stored.public_id}"
    assert slip.estimated_wait_minutes == 3 and slip.issued_at.utcoffset().seconds == 7 * 3600
    (job,) = await vp.wait_for_jobs(1)
    assert job.image.height > 600  # a whole slip, not an empty cut


async def test_unanswered_tap_is_undone_after_the_reconnect(server, vp):
    async with running_kiosk(server.base, vp, issue_retry_seconds=1.0) as kiosk:
        down: list[asyncio.Task] = []

        def drop_server_while_issuing() -> None:
            if kiosk.phase is Phase.ISSUING and not down:
                down.append(asyncio.create_task(server.stop()))

        kiosk.on_change(drop_server_while_issuing)
        await kiosk.take_ticket(BIRTH)
        await down[0]
        assert kiosk.screen is Page.NOTICE and kiosk.notice is not None
        assert kiosk.notice.title == "not_issued"
        assert vp.jobs == []
        await server.start()
        await until(lambda: kiosk.in_service, what="back in service")
        # Whether or not the first frame reached the server, nothing may wait in the queue.
        await until(
            lambda: all(t.status.value == "voided" for t in server.tickets()),
            what="the orphan voided",
        )
        assert len(server.tickets()) == 1 and vp.jobs == []
        assert server.server.state.waiting.waiting(BIRTH) == 0


async def test_wrong_token_is_out_of_service(server, vp):
    model = kiosk_model(server.base, vp)
    model.client.token = "not-a-device-token"
    await model.start()
    try:
        await until(lambda: model.client.state == "refused", what="refused")
        assert model.screen is Page.OUT_OF_SERVICE
        assert "token" in model.out_of_service_reason()
        assert model.take_ticket(BIRTH) is None
    finally:
        await model.stop()


async def test_python_m_kiosk_starts_reports_and_stops(server, vp, tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\nconnection = "network"\nhost = "127.0.0.1"\n'
        f"port = {vp.port}\nstatus_timeout = 0.5\n"
        f"[kiosk]\nprinter_poll_seconds = 0.5\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kiosk",
        "--server",
        server.base,
        "--token",
        KIOSK_TOKEN,
        "--printer",
        str(config),
        "--windowed",
        "--size",
        "1920x1080",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await until(
            lambda: server.device_printer() == "ok" or proc.returncode is not None,
            timeout=40,
            what="the kiosk connected and reported its printer",
        )
        assert proc.returncode is None
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err, err.decode()
        assert b"Network printer enabled" not in err  # python-escpos' chatter is filtered
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# ----- a booking checked in at the kiosk ----------------------------------------------


@pytest.fixture
async def booked(tmp_path, vp):
    """A server whose clock reads 08:00 on a working Wednesday, a place booked for 09:00
    through the JSON API, and a kiosk; yields (server, clock, booking, kiosk)."""
    clock = FakeClock(WEDNESDAY_9AM - 3600)
    async with InProcessServer(tmp_path / "q.db", clock=clock) as server:
        booking = await book(server.base, BIRTH, WEDNESDAY, "09:00")
        async with running_kiosk(server.base, vp) as model:
            yield server, clock, booking, model


def printed_exactly(
    job, kiosk: KioskModel, stored, ahead: int, wait: int | None, calling=None
) -> bool:
    """The paper starts with the slip rendered from the server's own ticket."""
    slip = kiosk._slip(
        {
            "number": stored.number,
            "issued_at": stored.issued_at,
            "public_id": stored.public_id,
            "service": stored.service,
            "priority": stored.priority,
            "ahead": ahead,
            "estimated_wait": wait,
            "calling": calling,
        },
        Intent(None, None, "x", booking="x"),
    )
    render = render_ticket(slip, kiosk.layout, job.image.width).convert("1")
    top = job.image.convert("1").crop((0, 0, render.width, render.height))
    return ImageChops.difference(top.convert("L"), render.convert("L")).getbbox() is None


async def test_scanned_booking_is_printed_and_called_before_a_later_walk_in(booked, vp):
    server, clock, booking, kiosk = booked
    clock.now = WEDNESDAY_9AM + 120  # 09:02: a walk-in takes a number
    await kiosk.take_ticket(BIRTH)
    walk_in = kiosk.ticket
    assert walk_in is not None and walk_in.booking is None and walk_in.message == ""
    await vp.wait_for_jobs(1)
    clock.now = WEDNESDAY_9AM + 300  # 09:05: the booked citizen scans the QR, in time
    task = kiosk.submit_booking(booking["code_display"].lower())
    assert task is not None and kiosk.screen is Page.PRINTING
    await task
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    ticket = kiosk.ticket
    assert ticket.booking == booking["code"] and ticket.service.id == BIRTH
    assert "theo giờ hẹn" in ticket.message and "booked time" in ticket.message_en
    assert ticket.ahead == 0  # the slot's start is earlier than the walk-in's 09:02
    stored = {t.number: t for t in server.tickets(BIRTH)}
    assert set(stored) == {walk_in.number, ticket.number}
    mine = stored[ticket.number]
    assert mine.booking == booking["code"] and mine.status.value == "waiting"
    assert mine.effective_at == booking["slot_at"] == WEDNESDAY_9AM  # queued by the slot
    jobs = await vp.wait_for_jobs(2)
    assert len(jobs) == 2
    assert printed_exactly(
        jobs[1], kiosk, mine, ticket.ahead, ticket.estimated_wait, ticket.calling
    )
    assert not printed_exactly(
        jobs[0], kiosk, mine, ticket.ahead, ticket.estimated_wait, ticket.calling
    )
    await add_officer(server.server, "an")
    counter = await peer(
        server.base, "counter", await login(server.base, "an"), counter=BIRTH_COUNTER
    )
    try:
        first = await counter.request("call_next")
        second = await counter.request("call_next")
    finally:
        await counter.close()
    assert [first["ticket"]["number"], second["ticket"]["number"]] == [
        ticket.number,
        walk_in.number,
    ]


async def test_double_scan_gives_one_ticket(booked, vp):
    server, clock, booking, kiosk = booked
    clock.now = WEDNESDAY_9AM - 600  # 08:50: inside the window
    code = booking["code"]
    first = kiosk.submit_booking(code)
    assert first is not None
    assert kiosk.submit_booking(code) is None  # the scanner fired twice: ignored in flight
    assert kiosk.take_ticket(BIRTH) is None
    await first
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    number = kiosk.ticket.number
    assert kiosk.submit_booking(booking["code_display"]) is None  # its number is on screen
    assert kiosk.screen is Page.TICKET and kiosk.ticket.number == number
    await vp.wait_for_jobs(1)
    await printer_drained(vp)
    assert [t.number for t in server.tickets()] == [number] and len(vp.jobs) == 1


async def test_unknown_or_used_code_shows_the_server_refusal_and_prints_nothing(booked, vp):
    server, clock, booking, kiosk = booked
    clock.now = WEDNESDAY_9AM
    kiosk.open_booking()
    for ch in "ZZZZZZZZ":
        kiosk.set_booking_code(kiosk.booking_code + ch)
    await kiosk.submit_booking()
    assert kiosk.screen is Page.BOOKING and kiosk.booking_code == "ZZZZZZZZ"
    refusal = kiosk.booking_refusal
    assert refusal is not None and refusal.code == "unknown_booking"
    assert refusal.message == "Không tìm thấy lịch hẹn với mã này. Vui lòng kiểm tra lại mã."
    assert refusal.message_en == "No booking with this code."
    assert server.tickets() == [] and vp.jobs == []
    kiosk.set_booking_code("")  # typing again clears the refusal
    assert kiosk.booking_refusal is None
    # Scanned from the home screen: the refusal still shows on the booking page.
    kiosk.go_home()
    await kiosk.submit_booking("12")
    assert kiosk.screen is Page.BOOKING and kiosk.booking_refusal is not None
    assert kiosk.booking_refusal.code == "unknown_booking"
    assert server.tickets() == [] and vp.jobs == []
    # A booking already checked in is refused too, with its own message.
    await kiosk.submit_booking(booking["code"])
    assert kiosk.screen is Page.TICKET
    kiosk.go_home()
    await kiosk.submit_booking(booking["code"])
    assert kiosk.booking_refusal is not None and kiosk.booking_refusal.code == "booking_used"
    assert "đã được dùng" in kiosk.booking_refusal.message
    assert len(server.tickets()) == 1 and len(await vp.wait_for_jobs(1)) == 1


async def test_late_check_in_is_a_walk_in_with_a_polite_message(booked, vp):
    server, clock, booking, kiosk = booked
    clock.now = WEDNESDAY_9AM + 40 * 60  # 09:40: after the window
    await kiosk.submit_booking(booking["code_display"])
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    assert "sau giờ hẹn" in kiosk.ticket.message and "walk-in" in kiosk.ticket.message_en
    (stored,) = server.tickets()
    assert stored.effective_at == stored.issued_at == clock.now
    await vp.wait_for_jobs(1)


async def test_too_early_is_refused_before_anything_is_issued(booked, vp):
    server, clock, booking, kiosk = booked
    kiosk.toggle_language()
    await kiosk.submit_booking(booking["code"])  # 08:00: the window opens at 08:30
    assert kiosk.booking_refusal is not None
    assert kiosk.booking_refusal.code == "checkin_too_early"
    assert kiosk.booking_refusal.message_en.startswith("Too early")
    assert kiosk.language == "en" and server.tickets() == [] and vp.jobs == []


async def test_booking_print_failure_voids_the_checked_in_ticket(booked, vp):
    server, clock, booking, kiosk = booked
    clock.now = WEDNESDAY_9AM

    failed = []

    def fail_once_issued() -> None:
        if kiosk.phase is Phase.PRINTING and vp.state.paper == "ok" and not failed:
            failed.append(True)
            vp.set_state(paper="out")

    kiosk.on_change(fail_once_issued)
    await kiosk.submit_booking(booking["code"])
    (ticket,) = server.tickets()
    assert ticket.status.value == "voided" and ticket.booking == booking["code"]
    assert kiosk.screen is Page.NOTICE and kiosk.notice is not None
    assert kiosk.notice.title == "print_failed" and vp.jobs == []
    vp.set_state(paper="ok")
    await until(lambda: kiosk.printer_ready, what="printer back")
    await kiosk.submit_booking(booking["code"])  # the slip never came out: the code works again
    assert kiosk.booking_refusal is None
    voided, again = server.tickets()
    assert voided.status.value == "voided" and again.status.value == "waiting"
    assert again.booking == booking["code"] and again.number != voided.number
    await vp.wait_for_jobs(1)


async def test_booking_retry_after_reconnect_reuses_the_request_id(booked, vp):
    server, clock, booking, kiosk = booked
    clock.now = WEDNESDAY_9AM
    restarting = restart_server_while_issuing(kiosk, server)
    await kiosk.submit_booking(booking["code"])
    await restarting[0]
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    assert [t.number for t in server.tickets()] == [kiosk.ticket.number]
    assert len(await vp.wait_for_jobs(1)) == 1
