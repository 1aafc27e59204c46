"""The hidden maintenance page (issue 20): five quick taps on the top left corner, the
staff PIN, then the printer's and the server's state, a printer test page and
re-registering; real widgets against the real server and a virtual printer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from kiosk.model import Page
from tests.kiosk.test_kiosk_ui import run_kiosk, shown, tap
from tests.support.waiting import until

__all__ = ["run_kiosk"]

pytestmark = pytest.mark.timeout(90)


def corner_taps(window, n: int) -> None:
    for _ in range(n):
        QTest.mouseClick(window, Qt.MouseButton.LeftButton, pos=QPoint(30, 30))


def test_five_corner_taps_and_the_pin_open_maintenance(run_kiosk):
    async def scenario(window, model, server, vp):
        corner_taps(window, 4)
        assert shown(window) is window.home  # four are not enough
        corner_taps(window, 1)
        assert shown(window) is window.staff and window.staff.pad.isVisible()
        assert not window.staff.test.isVisible()
        for digit in "1111":
            tap(window.staff.pad.keys[digit])
        assert window.staff.message.text() == "Sai mã PIN" and not model.staff_open
        for digit in "2468":
            tap(window.staff.pad.keys[digit])
        assert model.staff_open and window.staff.test.isVisible()
        status = window.staff.status
        await until(lambda: "Máy in / Printer: ok" in status.text(), what="printer state")
        assert "(connected)" in status.text()
        tap(window.staff.test)
        await until(lambda: model.staff_message == "test_printed", what="test page")
        assert len(await vp.wait_for_jobs(1)) == 1 and server.tickets() == []
        tap(window.staff.reregister)
        await until(lambda: model.staff_message == "reregistered", what="re-registered")
        await until(lambda: model.in_service, what="back in service")
        assert shown(window) is window.staff  # re-registering keeps the page
        tap(window.staff.leave)
        assert shown(window) is window.home and not model.staff_open

    run_kiosk(scenario, staff_pin="2468")


def test_three_wrong_pins_close_the_pad(run_kiosk):
    async def scenario(window, model, server, vp):
        corner_taps(window, 5)
        for _ in range(3):
            assert shown(window) is window.staff
            for digit in "9999":
                tap(window.staff.pad.keys[digit])
        assert shown(window) is window.home and not model.staff_open

    run_kiosk(scenario, staff_pin="2468")


def test_no_pin_configured_no_maintenance_page(run_kiosk):
    async def scenario(window, model, server, vp):
        corner_taps(window, 6)
        assert model.screen is Page.HOME

    run_kiosk(scenario)
