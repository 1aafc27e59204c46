"""The console's slip panel: receive a dossier, see its phiếu hẹn (or phiếu nhận hồ sơ)
exactly as the printer will print it, print, reprint (audited by the server).

A thin Qt view over `counter_display.slips.SlipDesk`; the preview is the printer's own
1-bit image, shown at one screen pixel per printer dot.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from counter_display.console_model import ConsoleModel
from counter_display.slips import SlipDesk
from printer.config import PrinterConfig
from printer.counter_slip import CounterSlipLayout

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]


class SlipPanel(QWidget):
    def __init__(self, desk: SlipDesk, spawn: Spawn | None = None) -> None:
        super().__init__()
        self.desk = desk
        self._spawn: Spawn = spawn or asyncio.ensure_future
        self.setWindowTitle("Phiếu hẹn – phiếu nhận hồ sơ")

        self.procedure = QComboBox()  # the counter's procedures: "name (code)"
        self.procedure.setMinimumContentsLength(30)
        self.documents = QListWidget()  # the papers handed in: ticked
        self.documents.setWordWrap(True)  # long names wrap instead of hiding behind a scrollbar
        self.documents.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.citizen = QLineEdit(placeholderText="Họ và tên người nộp")
        self.phone = QLineEdit(placeholderText="Số điện thoại di động")
        self.receive_button = QPushButton("Tiếp nhận hồ sơ")
        self.code = QLineEdit(placeholderText="Mã hồ sơ đã nhận, để in lại")
        self.open_button = QPushButton("Mở hồ sơ")
        form = QFormLayout()
        form.addRow("Thủ tục", self.procedure)
        form.addRow("Giấy tờ đã nhận", self.documents)
        form.addRow("Người nộp", self.citizen)
        form.addRow("Điện thoại", self.phone)
        form.addRow("", self.receive_button)
        form.addRow("In lại", self.code)
        form.addRow("", self.open_button)

        self.kind_hen = QRadioButton("Phiếu hẹn trả kết quả")
        self.kind_nhan = QRadioButton("Phiếu nhận hồ sơ")
        self.kind_hen.setChecked(True)
        self.kinds = QButtonGroup(self)
        self.kinds.addButton(self.kind_hen)
        self.kinds.addButton(self.kind_nhan)
        self.print_button = QPushButton("In phiếu")
        self.message = QLabel(wordWrap=True)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.kind_hen)
        left.addWidget(self.kind_nhan)
        left.addWidget(self.print_button)
        left.addWidget(self.message)
        left.addStretch(1)

        self.preview = QLabel("Chưa có phiếu", alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: white; color: #555; padding: 8px;")
        scroll = QScrollArea()
        scroll.setWidget(self.preview)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(desk.width + 40)
        row = QHBoxLayout(self)
        row.addLayout(left, 1)
        row.addWidget(scroll, 2)

        self.receive_button.clicked.connect(self._receive)
        self.open_button.clicked.connect(self._open)
        self.print_button.clicked.connect(self._print)
        self.kind_hen.toggled.connect(self._kind_changed)
        self.procedure.currentIndexChanged.connect(self._show_documents)
        self.refresh()
        self._run(desk.load_procedures())

    @property
    def kind(self) -> str:
        return "phieu_hen" if self.kind_hen.isChecked() else "phieu_nhan"

    def refresh(self) -> None:
        desk = self.desk
        if self.procedure.count() != len(desk.procedures):
            self.procedure.clear()
            for p in desk.procedures:
                self.procedure.addItem(f"{p['name']} ({p['code']})", p["code"])
        image = desk.preview
        if image is not None:
            buffer = io.BytesIO()
            image.convert("L").save(buffer, format="PNG")
            pixmap = QPixmap()
            pixmap.loadFromData(buffer.getvalue(), "PNG")
            self.preview.setPixmap(pixmap)  # one dot, one pixel: no smoothing
        self.print_button.setEnabled(desk.slip is not None)
        printed = desk.printed.get(self.kind, 0) if desk.slip is not None else 0
        self.print_button.setText("In lại phiếu" if printed else "In phiếu")
        if desk.error:
            self.message.setStyleSheet("color: #b00020; font-weight: bold;")
            self.message.setText(desk.error)
        else:
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.setText(desk.info or "")

    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        async def then_refresh() -> None:
            try:
                await coro
            finally:
                self.refresh()

        self._spawn(then_refresh())

    def _show_documents(self) -> None:
        code = self.procedure.currentData()
        procedure = next((p for p in self.desk.procedures if p["code"] == code), None)
        self.documents.clear()
        for name in procedure["documents"] if procedure else ():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.documents.addItem(item)

    def received_documents(self) -> list[str]:
        items = (self.documents.item(i) for i in range(self.documents.count()))
        return [i.text() for i in items if i.checkState() is Qt.CheckState.Checked]

    def _receive(self) -> None:
        self.kind_hen.setChecked(True)
        code = self.procedure.currentData() or ""
        docs = self.received_documents()
        self._run(self.desk.receive(code, self.citizen.text(), self.phone.text(), docs))

    def _open(self) -> None:
        self._run(self.desk.open(self.code.text(), self.kind))

    def _print(self) -> None:
        self._run(self.desk.print_slip())

    def _kind_changed(self) -> None:
        if self.desk.dossier is not None:
            self.desk.show(self.kind)
        self.refresh()


def attach_slip_panel(
    window: QWidget, model: ConsoleModel, printer: PrinterConfig, layout: CounterSlipLayout
) -> QShortcut:
    """F9 in the console opens the slip panel for the signed-in counter."""
    panels: list[SlipPanel] = []

    def open_panel() -> None:
        if model.client is None or model.phase != "signed_in":
            return
        if panels and panels[0].desk.client is model.client:
            panels[0].show()
            panels[0].raise_()
            return
        for old in panels:
            old.desk.close()
            old.close()
        centre = str((model.site or {}).get("name", ""))
        panel = SlipPanel(SlipDesk(model.client, printer, layout, centre))
        panel.resize(1180, 820)
        panel.show()
        panels[:] = [panel]

    shortcut = QShortcut(QKeySequence(Qt.Key.Key_F9), window)
    shortcut.activated.connect(open_panel)
    return shortcut
