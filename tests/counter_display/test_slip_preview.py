"""The console's slip panel against the real server and the virtual printer: receive a
dossier while serving a ticket, preview the phiếu hẹn (Qt offscreen), print it, print
it again (audited as a reprint), switch to the phiếu nhận hồ sơ.

Set XEPHANG_SCREENSHOTS=1 to write the panel to docs/screenshots/console-slip-preview.png.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from assets import SAMPLE_CONFIG
from counter_display.slip_preview import SlipPanel
from counter_display.slips import SlipDesk
from printer.config import PrinterConfig
from printer.counter_slip import CounterSlipLayout, render_counter_slip
from printer.virtual import VirtualPrinter
from queue_server.core.siteconfig import load_config
from queue_server.domain.dossiers import return_date
from tests.counter_display.test_console import COUNTER, LAND_CHANGES, issue, signed_in_console
from tests.printer.test_printer_roundtrip import zbar
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import KIOSK_TOKEN, add_officer, peer, running_server
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)
SITE = load_config(SAMPLE_CONFIG)
PROCEDURE = next(p for p in SITE.procedures.values() if p.service == LAND_CHANGES)


def test_receive_preview_print_and_reprint(qtbot, tmp_path):
    async def scenario():
        async with (
            running_server(tmp_path / "q.db") as (base, server),
            VirtualPrinter(out_dir=tmp_path / "prints", width=576) as vp,
        ):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            ticket = await issue(kiosk)
            window = await signed_in_console(qtbot, base)
            window.model.act("call_next")
            await until(lambda: window.model.current is not None, what="a ticket called")
            printer = PrinterConfig.from_dict(
                {"connection": "network", "host": "127.0.0.1", "port": vp.port, "width": 576}
            )
            assert window.model.client is not None
            desk = SlipDesk(window.model.client, printer, CounterSlipLayout(), SITE.site.name)
            panel = SlipPanel(desk)
            qtbot.addWidget(panel)
            panel.resize(1180, 820)
            panel.show()
            assert not panel.print_button.isEnabled()  # nothing to print yet

            # the counter's procedures, with their documents, all ticked
            await until(lambda: panel.procedure.count() > 0, what="the procedures")
            assert {p["service"] for p in desk.procedures} <= {LAND_CHANGES}
            panel.procedure.setCurrentIndex(panel.procedure.findData(PROCEDURE.code))
            assert panel.received_documents() == [d.name for d in PROCEDURE.documents]
            # one paper not handed in: unticked, and not on the slip
            panel.documents.item(0).setCheckState(Qt.CheckState.Unchecked)
            # a wrong phone: the server's words, nothing received
            panel.citizen.setText("Trần Thị Bích Ngọc")
            panel.phone.setText("12345")
            qtbot.mouseClick(panel.receive_button, Qt.MouseButton.LeftButton)
            await until(lambda: panel.message.text(), what="the refusal")
            assert "điện thoại" in panel.message.text() and desk.slip is None

            panel.phone.setText("0912 345 678")
            qtbot.mouseClick(panel.receive_button, Qt.MouseButton.LeftButton)
            await until(lambda: panel.print_button.isEnabled(), what="the preview")
            slip = desk.slip
            assert slip is not None and slip.kind == "phieu_hen"
            today = dt.datetime.now(SITE.site.tz).date()  # the site's day, not UTC's
            assert slip.received_on == today
            assert slip.due_on == return_date(today, PROCEDURE.processing_days, SITE.site.holidays)
            assert slip.officer == "Nguyễn Văn An" and slip.counter == COUNTER
            assert slip.documents == tuple(d.name for d in PROCEDURE.documents[1:])
            assert slip.dossier_code == f"HS-{today:%y%m%d}-0001"
            # the preview is the printer's own image, one dot per pixel
            pixmap = panel.preview.pixmap()
            assert (pixmap.width(), pixmap.height()) == desk.preview.size
            assert desk.preview.tobytes() == (render_counter_slip(slip, desk.layout, 576).tobytes())
            save_shot(panel, "console-slip-preview.png", tmp_path)

            # the dossier is linked to the ticket being served
            with sqlite3.connect(tmp_path / "q.db") as db:
                linked = db.execute(
                    "SELECT ticket_id, counter, procedure_code FROM dossiers WHERE code = ?",
                    (slip.dossier_code,),
                ).fetchone()
            assert linked == (ticket["id"], COUNTER, PROCEDURE.code)
            with sqlite3.connect(tmp_path / "q.db") as db:  # the event the report reads
                logged = db.execute(
                    "SELECT ticket_id, counter, data FROM events WHERE type = 'dossier_received'"
                ).fetchall()
            assert [(t, n) for t, n, _ in logged] == [(ticket["id"], COUNTER)]
            assert PROCEDURE.code in logged[0][2] and slip.dossier_code in logged[0][2]

            qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)
            (job,) = await vp.wait_for_jobs(1)
            assert set(zbar(job.path).splitlines()) == {slip.dossier_code}  # Code 128 + QR
            await until(lambda: panel.message.text() == "Đã in phiếu hẹn.", what="printed")
            assert panel.print_button.text() == "In lại phiếu"

            qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)
            first, again = await vp.wait_for_jobs(2)
            await until(lambda: panel.message.text() == "Đã in lại phiếu hẹn.", what="reprint")
            with Image.open(first.path) as a, Image.open(again.path) as b:
                assert b.height > a.height  # "(In lại / Reprint)" on the second
            with sqlite3.connect(tmp_path / "q.db") as db:
                audit = db.execute(
                    "SELECT kind, officer, counter, reprint FROM dossier_prints ORDER BY id"
                ).fetchall()
            assert audit == [("phieu_hen", "an", COUNTER, 0), ("phieu_hen", "an", COUNTER, 1)]

            # paper out: said in plain words, nothing printed, the attempt in the audit
            vp.set_state(paper="out")
            qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)
            await until(lambda: "Máy in tại quầy không in được" in panel.message.text())
            assert len(vp.jobs) == 2
            with sqlite3.connect(tmp_path / "q.db") as db:
                assert db.execute("SELECT COUNT(*) FROM dossier_prints").fetchone() == (3,)
            vp.set_state(paper="ok")

            # the receipt: no return date on it
            panel.kind_nhan.setChecked(True)
            assert desk.slip.kind == "phieu_nhan" and desk.slip.due_on is None
            assert panel.print_button.text() == "In phiếu"

            # a reprint from another day's code: opened, marked as a reprint on paper
            panel.code.setText(slip.dossier_code.lower())
            panel.kind_hen.setChecked(True)
            qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
            await until(lambda: desk.printed.get("phieu_hen") == 3, what="opened")
            assert panel.print_button.text() == "In lại phiếu"
            desk.close()
            await kiosk.close()

    run_scenario(scenario())


def test_f9_in_the_console_opens_the_slip_panel(qtbot, tmp_path):
    from PySide6.QtWidgets import QApplication

    from counter_display.slip_preview import attach_slip_panel
    from counter_display.slips import load_counter_file

    config = tmp_path / "console.toml"
    config.write_text(
        '[printer]\nconnection = "dummy"\nwidth = 384\n\n'
        '[slips]\nheader_lines = ["UBND TỈNH BÌNH DƯƠNG", "SỞ TƯ PHÁP"]\n',
        encoding="utf-8",
    )
    printer, layout = load_counter_file(config)
    assert printer.width == 384 and layout.header_lines[1] == "SỞ TƯ PHÁP"

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            window = await signed_in_console(qtbot, base)
            attach_slip_panel(window, window.model, printer, layout)
            qtbot.keyClick(window, Qt.Key.Key_F9)
            panels = [w for w in QApplication.topLevelWidgets() if isinstance(w, SlipPanel)]
            assert len(panels) == 1 and panels[0].isVisible()
            assert panels[0].desk.centre == SITE.site.name
            assert panels[0].desk.width == 384
            panels[0].desk.close()
            panels[0].close()

    run_scenario(scenario())


def test_counter_file_errors_name_the_file_and_key(tmp_path):
    from counter_display.slips import load_counter_file
    from printer.errors import ConfigError

    bad = tmp_path / "console.toml"
    for text, words in (
        ('[printer]\nconnection = "dummy"\n[slip]\n', "unknown table(s) slip"),
        ("[slips]\n", "a [printer] table is required"),
        ('[printer]\nconnection = "dummy"\n[slips]\ncolour = "red"\n', "'colour'"),
    ):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(words)):
            load_counter_file(bad)
