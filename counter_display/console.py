"""The officer console: `python -m counter_display.console --server URL [--counter N]`.

Widgets only render `ConsoleModel` and forward the officer's intent; every action
has a button and two keys (F1…F8 and the numeric keypad, for a USB keypad).
Choices (outcome, pause reason, transfer service) open in a panel: a digit picks a
line, Enter confirms, Esc goes back; a long list (the transfer services) has a search
field: type part of a name (with or without marks), arrows move, Enter confirms.
F7 looks a number up (state, counter, history) and offers to call it or, for a
no-show, to put it back in the queue; F8 parks the ticket being served (the citizen
fetches a document) and, with nobody at the counter, serves a parked one again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_display.console_model import ConsoleModel
from counter_display.slip_preview import attach_slip_panel
from counter_display.slips import load_counter_file
from counter_display.ui import (
    ALERT,
    ConnectionBanner,
    FitLabel,
    base_arguments,
    font,
    run_app,
    show_window,
)
from queue_protocol.urls import server_url_lists
from vntext import fold
from vntext.durations import minutes_text

TRANSFER_REASONS = ("Nhầm dịch vụ", "Chuyển bộ phận chuyên môn", "Cần giải quyết thêm thủ tục")


def wait_cell(waiting: int, estimate: float | None) -> str:
    """What the console says beside a service's waiting count: the expected wait of
    the next one to join, "–" when no counter is expected to call, nothing when
    nobody waits (not "≈ 0 phút")."""
    if not waiting:
        return ""
    return "–" if estimate is None else f"≈ {minutes_text(estimate)}"


@dataclass(frozen=True)
class Key:
    action: str  # a console action, or "pause_resume"
    label: str
    function_key: Qt.Key
    keypad_key: Qt.Key

    @property
    def hint(self) -> str:
        number = self.function_key.value - Qt.Key.Key_F1.value + 1
        return f"F{number} · Num {chr(self.keypad_key.value)}"


KEYS = (
    Key("call_next", "Gọi số tiếp", Qt.Key.Key_F1, Qt.Key.Key_1),
    Key("recall", "Gọi lại", Qt.Key.Key_F2, Qt.Key.Key_2),
    Key("no_show", "Vắng mặt", Qt.Key.Key_F3, Qt.Key.Key_3),
    Key("transfer", "Chuyển dịch vụ", Qt.Key.Key_F4, Qt.Key.Key_4),
    Key("finish", "Kết thúc", Qt.Key.Key_F5, Qt.Key.Key_5),
    Key("pause_resume", "Tạm dừng", Qt.Key.Key_F6, Qt.Key.Key_6),
    Key("lookup", "Tra / gọi số", Qt.Key.Key_F7, Qt.Key.Key_7),
    Key("hold_resume", "Giữ số", Qt.Key.Key_F8, Qt.Key.Key_8),
)
STATUS_WORDS = {
    "waiting": "đang chờ",
    "called": "đang được phục vụ",
    "held": "đang được giữ tại quầy",
    "done": "đã xong",
    "no_show": "vắng mặt khi được gọi",
    "voided": "đã huỷ (không in được phiếu)",
    "expired": "hết hạn cuối ngày",
}
HISTORY_WORDS = {
    "ticket_issued": "Cấp số",
    "ticket_called": "Gọi",
    "ticket_finished": "Kết thúc",
    "ticket_no_show": "Vắng mặt",
    "ticket_transferred": "Chuyển dịch vụ",
    "ticket_requeued": "Đưa lại vào hàng chờ",
    "ticket_held": "Giữ tại quầy",
    "ticket_resumed": "Phục vụ tiếp",
    "ticket_voided": "Huỷ",
    "ticket_expired": "Hết hạn",
    "ticket_rated": "Đánh giá",
    "ticket_subscribed": "Đăng ký nhận tin",
    "booking_checked_in": "Đến theo lịch hẹn",
}
ACTION_LABELS = {"resume": "Tiếp tục", "resume_held": "Phục vụ số giữ"}
STATUS_TEXT = {
    "open": ("Đang mở", "#2e9d5b"),
    "paused": ("Tạm dừng", "#d08a00"),
    "closed": ("Đóng", "#6b7280"),
}


class SignInPage(QWidget):
    def __init__(self, counter: int | None, submit: Callable[[str, str, int], None]) -> None:
        super().__init__()
        self._submit = submit
        self.username = QLineEdit(placeholderText="Tên đăng nhập")
        self.password = QLineEdit(placeholderText="Mật khẩu")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.counter = QSpinBox(minimum=1, maximum=999, value=counter or 1)
        self.button = QPushButton("Đăng nhập")
        self.message = QLabel(wordWrap=True)
        self.message.setStyleSheet(f"color:{ALERT}")
        self.message.setFont(font(20, bold=True))  # a refusal is read at a glance
        title = QLabel("Đăng nhập quầy")
        title.setFont(font(30, bold=True))
        grid = QGridLayout()
        for row, (text, field) in enumerate(
            (("Cán bộ", self.username), ("Mật khẩu", self.password), ("Quầy số", self.counter))
        ):
            grid.addWidget(QLabel(text), row, 0)
            grid.addWidget(field, row, 1)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(title, alignment=Qt.AlignmentFlag.AlignCenter)
        box.addLayout(grid)
        box.addWidget(self.button)
        box.addWidget(self.message)
        box.addStretch(2)
        box.setContentsMargins(360, 40, 360, 40)
        for field in (self.username, self.password):
            field.returnPressed.connect(self._go)
        self.button.clicked.connect(self._go)
        self.setFont(font(20))

    def _go(self) -> None:
        self._submit(self.username.text(), self.password.text(), self.counter.value())

    def refresh(self, model: ConsoleModel) -> None:
        busy = model.phase == "signing_in"
        self.button.setEnabled(not busy)
        self.button.setText("Đang đăng nhập…" if busy else "Đăng nhập")
        self.message.setText(model.error or model.info or "")


class ChoicePanel(QFrame):
    """Pick one line (digit keys or arrows), optionally give a reason, Enter confirms."""

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setFont(font(24, bold=True))
        self.search = QLineEdit(placeholderText="Gõ để tìm (không cần dấu)…")
        self.search.setFont(font(20))
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget()
        self.list.setFont(font(20))
        self.list.setWordWrap(True)  # a long service name wraps, never hides
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrapped to the width
        self.reason = QLineEdit(placeholderText="Lý do")
        self.reason_box = QWidget()
        reason_row = QHBoxLayout(self.reason_box)
        reason_row.setContentsMargins(0, 0, 0, 0)
        reason_row.addWidget(QLabel("Lý do:"))
        reason_row.addWidget(self.reason, 1)
        self.confirm = QPushButton("Xác nhận (Enter)")
        self.cancel = QPushButton("Quay lại (Esc)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.confirm)
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.search)
        box.addWidget(self.list, 1)
        box.addWidget(self.reason_box)
        box.addLayout(buttons)
        self._on_confirm: Callable[[str, str], None] | None = None
        self.closed: Callable[[], None] = lambda: None  # the window re-enables its keys
        self.confirm.clicked.connect(self._confirm)
        self.cancel.clicked.connect(self.close_panel)
        self.list.itemActivated.connect(lambda _item: self._confirm())
        for widget in (self.list, self.reason, self.search):
            widget.installEventFilter(self)
        self.hide()

    def open(
        self,
        title: str,
        options: list[tuple[str, str]],
        on_confirm: Callable[[str, str], None],
        reason: str | None = None,
        selected: int = 0,
        searchable: bool = False,
    ) -> None:
        """A digit picks one of the first nine lines; `searchable`: a field above the
        list filters it as the officer types (folded: "ket hon" finds "Kết hôn")."""
        self.title.setText(title)
        self.list.clear()
        for index, (option_id, name) in enumerate(options, start=1):
            label = name if searchable or index >= 10 else f"{index}. {name}"
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, option_id)
            item.setData(Qt.ItemDataRole.UserRole + 1, fold(name))
            self.list.addItem(item)
        self.list.setCurrentRow(min(selected, len(options) - 1))
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.search.setVisible(searchable)
        self.reason_box.setVisible(reason is not None)
        self.reason.setText(reason or "")
        self._on_confirm = on_confirm
        self.show()
        (self.search if searchable else self.list).setFocus()

    def _filter(self, text: str) -> None:
        """Show the lines whose every typed word starts a word of the name; the first
        of them is the current one."""
        words = fold(text).split()
        first = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            name_words = str(item.data(Qt.ItemDataRole.UserRole + 1)).split()
            shown = all(any(n.startswith(w) for n in name_words) for w in words)
            # only on a change: every void call of PySide6 6.12 on Python 3.11 drops a
            # reference to None (a refcount bug), so the fewer the better
            if self.list.isRowHidden(row) == shown:
                self.list.setRowHidden(row, not shown)
            if shown and first is None:
                first = row
        target = -1 if first is None else first
        if self.list.currentRow() != target:
            self.list.setCurrentRow(target)  # Enter takes the first match

    def _move(self, step: int) -> None:
        """Up/Down from the search field: the previous/next line still shown."""
        row = self.list.currentRow()
        while 0 <= row + step < self.list.count():
            row += step
            if not self.list.isRowHidden(row):
                self.list.setCurrentRow(row)
                return

    def close_panel(self) -> None:
        self._on_confirm = None
        self.hide()
        parent = self.parentWidget()
        if parent is not None:
            parent.setFocus()
        self.closed()

    def _confirm(self) -> None:
        item = self.list.currentItem()
        callback = self._on_confirm
        if item is None or self.list.isRowHidden(self.list.row(item)) or callback is None:
            return
        reason = self.reason.text().strip()
        if self.reason_box.isVisible() and not reason:
            self.reason.setFocus()
            return
        self.close_panel()
        callback(item.data(Qt.ItemDataRole.UserRole), reason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._confirm()
            return True
        if key == Qt.Key.Key_Escape:
            self.close_panel()
            return True
        if watched is self.search and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._move(-1 if key == Qt.Key.Key_Up else 1)
            return True
        searching = self.search.isVisible()
        if watched is self.list and not searching and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            row = key - Qt.Key.Key_1
            if row < self.list.count():
                self.list.setCurrentRow(row)
            return True
        return False


class LookupPanel(QFrame):
    """F7: type a number, Enter looks it up (state, counter, history); then a digit or
    the arrows pick what to do with it (call it now; a no-show: back in the queue),
    Enter confirms, Esc goes back."""

    def __init__(self, model: ConsoleModel) -> None:
        super().__init__()
        self.model = model
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel("Tra cứu / gọi một số")
        title.setFont(font(24, bold=True))
        self.number = QLineEdit(placeholderText="Số thứ tự, ví dụ B012 – Enter để tra")
        self.number.setFont(font(24, bold=True))
        self.details = QLabel(wordWrap=True)
        self.details.setFont(font(18))
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.list = QListWidget()
        self.list.setFont(font(20))
        self.list.setWordWrap(True)
        self.cancel = QPushButton("Quay lại (Esc)")
        self.cancel.clicked.connect(self.close_panel)
        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addWidget(self.number)
        box.addWidget(self.details, 1)
        box.addWidget(self.list)
        box.addWidget(self.cancel)
        self.on_lookup: Callable[[str], None] | None = None
        self.on_choice: Callable[[str, str], None] | None = None
        self.closed: Callable[[], None] = lambda: None
        self.found_number = ""
        self.list.itemActivated.connect(lambda _item: self._confirm())
        for widget in (self.number, self.list):
            widget.installEventFilter(self)
        self.hide()

    def open(self) -> None:
        self.number.clear()
        self.details.setText("")
        self.list.clear()
        self.list.hide()
        self.show()
        self.number.setFocus()

    def close_panel(self) -> None:
        self.hide()
        parent = self.parentWidget()
        if parent is not None:
            parent.setFocus()
        self.closed()

    def show_found(self, found: dict[str, Any] | None, error: str | None) -> None:
        """The looked-up ticket, and what this counter may do with it."""
        self.list.clear()
        if found is None:
            self.details.setText(f"<span style='color:{ALERT}'>{error or ''}</span>")
            self.list.hide()
            self.number.setFocus()
            return
        self.details.setText(found_text(self.model, found))
        number, status = found["number"], found.get("status")
        self.found_number = number  # as the server writes it ("b001" typed finds B001)
        mine = found.get("service") in self.model.callable_services
        options = []
        if mine and status in ("waiting", "no_show"):
            options.append(("call_number", f"Gọi số {number} ngay"))
        if mine and status == "no_show":
            options.append(("requeue", f"Đưa số {number} lại vào hàng chờ"))
        for index, (action, label) in enumerate(options, start=1):
            item = QListWidgetItem(f"{index}. {label}")
            item.setData(Qt.ItemDataRole.UserRole, action)
            self.list.addItem(item)
        self.list.setVisible(bool(options))
        if options:
            self.list.setCurrentRow(0)
            self.list.setFixedHeight(self.list.sizeHintForRow(0) * len(options) + 8)
            self.list.setFocus()

    def _confirm(self) -> None:
        item = self.list.currentItem()
        if item is None or self.on_choice is None:
            return
        action, number = item.data(Qt.ItemDataRole.UserRole), self.found_number
        self.close_panel()
        self.on_choice(action, number)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.close_panel()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if watched is self.number:
                if self.on_lookup is not None:
                    self.on_lookup(self.number.text())
            else:
                self._confirm()
            return True
        if watched is self.list and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            row = key - Qt.Key.Key_1
            if row < self.list.count():
                self.list.setCurrentRow(row)
            return True
        return False


def found_text(model: ConsoleModel, ticket: dict[str, Any]) -> str:
    """A looked-up ticket: number, service, state and counter, then its history."""
    status = STATUS_WORDS.get(ticket.get("status", ""), ticket.get("status", ""))
    where = f" · Quầy {ticket['counter']}" if ticket.get("counter") else ""
    lines = [
        f"<b style='font-size:26px'>{ticket['number']}</b> – "
        f"{ticket.get('service_name') or model.service_name(ticket.get('service'))}",
        f"Trạng thái: <b>{status}</b>{where}",
    ]
    if ticket.get("status") == "waiting":
        lines.append(f"Số người chờ trước: {ticket.get('ahead', 0)}")
    for step in ticket.get("history") or []:
        what = HISTORY_WORDS.get(step.get("type", ""), step.get("type", ""))
        if step.get("recall"):
            what = "Gọi lại"
        counter = f" – quầy {step['counter']}" if step.get("counter") else ""
        lines.append(f"{model.local_clock(step.get('at'))}  {what}{counter}")
    return "<br>".join(lines)


class WorkPage(QWidget):
    def __init__(
        self, model: ConsoleModel, on_action: Callable[[str], None], on_sign_out: Callable[[], None]
    ) -> None:
        super().__init__()
        self.model = model
        self.title = QLabel()
        self.title.setFont(font(28, bold=True))
        self.status = QLabel()
        self.status.setFont(font(20, bold=True))
        self.banner = ConnectionBanner(english=False)
        self.message = QLabel(wordWrap=True)
        self.message.setFont(font(20, bold=True))
        self.message.setMinimumHeight(36)
        self.suggestion = QLabel(wordWrap=True)  # a supervisor's request, from the board
        self.suggestion.setFont(font(20, bold=True))
        self.suggestion.setStyleSheet("background:#fff1c2; color:#6b4a00; padding:6px 10px;")
        self.suggestion.hide()
        self.printers = QLabel(wordWrap=True)  # kiosks of these services that cannot print
        self.printers.setFont(font(20, bold=True))
        self.printers.setStyleSheet("background:#fde8e8; color:#8a1c1c; padding:6px 10px;")
        self.printers.hide()
        self.my_day = QLabel()  # this officer's own figures today
        self.my_day.setFont(font(18))
        self.my_day.setStyleSheet("color:#374151")
        self.sign_out = QPushButton("Đăng xuất")
        self.sign_out.clicked.connect(on_sign_out)

        self.number = FitLabel("—", max_pixels=150, color="#0b2a4a")
        self.number.setMinimumHeight(170)
        self.service = QLabel(wordWrap=True)
        self.service.setFont(font(22))
        self.priority = QLabel()
        self.priority.setFont(font(20, bold=True))
        self.priority.setStyleSheet("color:#b45309")
        self.timers = QLabel()
        self.timers.setFont(font(22))
        ticket_box = QFrame(frameShape=QFrame.Shape.StyledPanel)
        tbox = QVBoxLayout(ticket_box)
        caption = QLabel("Số đang phục vụ")
        caption.setFont(font(20))
        self.held = QLabel(wordWrap=True)  # tickets parked here while a citizen fetches papers
        self.held.setFont(font(20, bold=True))
        self.held.setStyleSheet("color:#6b4a00")
        for widget in (caption, self.number, self.service, self.priority, self.timers):
            tbox.addWidget(widget)
        tbox.addWidget(self.held)

        self.waiting = QLabel(wordWrap=True)
        self.waiting.setFont(font(20))
        self.waiting.setTextFormat(Qt.TextFormat.RichText)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignTop)
        waiting_box = QFrame(frameShape=QFrame.Shape.StyledPanel)
        wbox = QVBoxLayout(waiting_box)
        wcaption = QLabel("Đang chờ tại quầy")
        wcaption.setFont(font(20))
        wbox.addWidget(wcaption)
        wbox.addWidget(self.waiting, 1)

        self.panel = ChoicePanel()
        self.lookup = LookupPanel(model)
        middle = QHBoxLayout()
        middle.addWidget(ticket_box, 3)
        middle.addWidget(waiting_box, 2)
        middle.addWidget(self.panel, 3)
        middle.addWidget(self.lookup, 3)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key in KEYS:
            button = QPushButton()
            button.setFont(font(16, bold=True))
            button.setMinimumHeight(84)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, a=key.action: on_action(a))
            self.buttons[key.action] = button
            row.addWidget(button)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.status)
        head.addWidget(self.sign_out)
        box = QVBoxLayout(self)
        box.addLayout(head)
        box.addWidget(self.banner)
        box.addWidget(self.message)
        box.addWidget(self.suggestion)
        box.addWidget(self.printers)
        box.addLayout(middle, 1)
        box.addWidget(self.my_day)
        box.addLayout(row)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def refresh(self) -> None:
        m = self.model
        counter = m.counter
        self.title.setText(
            f"{counter.get('name') or 'Quầy'} · Cán bộ: "
            f"{counter.get('officer_name') or counter.get('officer') or m.username}"
        )
        text, colour = STATUS_TEXT.get(counter.get("status", ""), ("", "#6b7280"))
        reason = self._pause_reason_name(counter.get("pause_reason"))
        back = m.local_clock(counter.get("back_at")) if m.paused else ""
        self.status.setText(
            f" {text}{' – ' + reason if m.paused and reason else ''}"
            f"{' · đến ' + back if back else ''} "
        )
        self.status.setStyleSheet(f"background:{colour}; color:white; padding:4px 10px;")
        self.suggestion.setText(m.suggestion or "")
        self.suggestion.setVisible(bool(m.suggestion))
        self.printers.setText("\n".join(m.printer_lines))
        self.printers.setVisible(bool(m.printer_lines))
        self.banner.show_state(m.connection, m.ever_connected)
        if m.error:
            self.message.setStyleSheet(f"color:{ALERT}")
            self.message.setText(m.error)
        else:
            self.message.setStyleSheet("color:#1f6f3f")
            self.message.setText(m.info or ("Đang xử lý…" if m.busy else ""))
        self._render_ticket()
        self._render_waiting()
        self.my_day.setText(my_day_text(m.my_day))
        for key in KEYS:
            button = self.buttons[key.action]
            action = self.action_of(key.action)
            label = ACTION_LABELS.get(action, key.label)
            button.setText(f"{label}\n{key.hint}")
            button.setEnabled(m.can(action) and self.panels_closed())
        self.sign_out.setEnabled(m.busy is None)

    def panels_closed(self) -> bool:
        return self.panel.isHidden() and self.lookup.isHidden()

    def action_of(self, key_action: str) -> str:
        if key_action == "pause_resume":
            return "resume" if self.model.paused else "pause"
        if key_action == "hold_resume":
            held_only = self.model.current is None and self.model.held
            return "resume_held" if held_only else "hold"
        return key_action

    def _pause_reason_name(self, reason_id: str | None) -> str:
        for reason in self.model.pause_reasons:
            if reason["id"] == reason_id:
                return reason["name"]
        return reason_id or ""

    def _render_ticket(self) -> None:
        m, ticket = self.model, self.model.current
        if ticket is None:
            self.number.setText("—")
            self.service.setText("Chưa gọi số nào. Nhấn F1 để gọi số tiếp.")
            self.priority.setText("")
            self.timers.setText("")
            self.update_timers()
            return
        self.number.setText(ticket["number"])
        self.service.setText(ticket.get("service_name") or m.service_name(ticket.get("service")))
        group = m.priority_name(ticket.get("priority"))
        self.priority.setText(f"Ưu tiên: {group}" if group else "")
        self.update_timers()

    def update_timers(self) -> None:
        m = self.model
        held = ", ".join(t["number"] for t in m.held)
        hint = " (F8 để phục vụ tiếp)" if m.current is None else ""
        self.held.setText(f"Đang giữ chờ bổ sung hồ sơ: {held}{hint}" if held else "")
        if m.current is None:
            return
        self.timers.setText(
            f"Đã chờ: {minutes_text(m.waited())}   ·   Đang phục vụ: {minutes_text(m.serving())}"
        )

    def _render_waiting(self) -> None:
        rows = []
        for figures, secondary in self.model.counter_services:
            name = figures.get("name", figures["id"])
            waiting = figures.get("waiting", 0)
            wait = wait_cell(waiting, figures.get("estimated_wait"))
            extra = " <i>(phụ)</i>" if secondary else ""
            rows.append(
                f"<tr><td style='padding:4px 12px 4px 0'>{name}{extra}</td>"
                f"<td align=right style='padding:4px'><b style='font-size:28px'>"
                f"{waiting}</b></td>"
                f"<td style='padding:4px; color:#4b5563'>{wait}</td></tr>"
            )
        table = (
            f"<table width='100%'>{''.join(rows)}</table>"
            if rows
            else "Quầy này chưa được giao dịch vụ nào."
        )
        upcoming = " · ".join(
            f"<b>{t['number']}</b>"
            + (" <span style='color:#b45309'>(ưu tiên)</span>" if t.get("priority") else "")
            for t in self.model.upcoming
        )
        self.waiting.setText(
            table
            + "<p style='margin-top:12px'>Số tiếp theo: "
            + (upcoming or "<i>không còn ai chờ</i>")
            + "</p>"
        )


def my_day_text(figures: dict[str, Any] | None) -> str:
    """One line of the officer's own day, by the leaders' report's definitions."""
    if not figures:
        return ""
    parts = [f"Hôm nay: {figures['served']} đã phục vụ"]
    if figures.get("no_show"):
        parts.append(f"{figures['no_show']} vắng mặt")
    if figures.get("transferred"):
        parts.append(f"{figures['transferred']} chuyển")
    median = (figures.get("service") or {}).get("p50")
    if median is not None:
        parts.append(f"phục vụ trung vị {minutes_text(median)}")
    if figures.get("rated"):
        parts.append(
            f"hài lòng {round(100 * figures['satisfied'])} % ({figures['rated']} đánh giá)"
        )
    return "   ·   ".join(parts)


class ConsoleWindow(QWidget):
    def __init__(self, model: ConsoleModel, counter: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.signin = SignInPage(counter, self._sign_in)
        self.work = WorkPage(model, self.trigger, self._sign_out)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.signin)
        self.pages.addWidget(self.work)
        QVBoxLayout(self).addWidget(self.pages)
        self.setStyleSheet(
            "QWidget { background:#f4f6f9; color:#111827; }"
            "QPushButton { background:#0b2a4a; color:white; border-radius:6px;"
            " padding:8px; } QPushButton:disabled { background:#9ca3af; }"
            "QFrame { background:white; }"
        )
        self.setFont(font(18))
        self.shortcuts: list[QShortcut] = []
        for key in KEYS:
            for sequence in (
                QKeySequence(key.function_key),
                QKeySequence(QKeyCombination(Qt.KeyboardModifier.KeypadModifier, key.keypad_key)),
            ):
                shortcut = QShortcut(sequence, self)
                shortcut.activated.connect(lambda a=key.action: self.trigger(a))
                self.shortcuts.append(shortcut)
        self._tasks: set[asyncio.Future[Any]] = set()
        self.work.lookup.on_lookup = self._lookup
        self.work.lookup.closed = self.work.panel.closed = self.refresh
        self.work.lookup.on_choice = lambda action, number: self._act(action, number=number)
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(self.work.update_timers)
        self.ticker.start(1000)
        model.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        signed_in = self.model.phase == "signed_in"
        self.pages.setCurrentWidget(self.work if signed_in else self.signin)
        counter = self.model.counter
        self.setWindowTitle(
            f"{counter.get('name')} – {counter.get('officer')} – Xếp hàng"
            if signed_in
            else "Đăng nhập quầy – Xếp hàng"
        )
        self.signin.refresh(self.model)
        if signed_in:
            self.work.refresh()
        for shortcut in self.shortcuts:
            shortcut.setEnabled(signed_in and self.work.panels_closed())

    def trigger(self, key_action: str) -> None:
        """A button or a key: run the action, or open its choice panel first."""
        action = self.work.action_of(key_action)
        if not self.model.can(action) or not self.work.panels_closed():
            return
        m, panel = self.model, self.work.panel
        if action == "finish":
            panel.open(
                "Kết thúc – chọn kết quả xử lý",
                [(o["id"], o["name"]) for o in m.outcomes],
                lambda choice, _r: self._act("finish", outcome=choice),
            )
        elif action == "pause":
            panel.open(
                "Tạm dừng – chọn lý do",
                [(r["id"], r["name"]) for r in m.pause_reasons],
                lambda choice, _r: self._act("pause", reason=choice),
            )
        elif action == "transfer":
            current = (m.current or {}).get("service")
            options = [(sid, s.get("name", sid)) for sid, s in m.services.items() if sid != current]
            panel.open(
                "Chuyển sang dịch vụ",
                options,
                lambda choice, reason: self._act("transfer", service=choice, reason=reason),
                reason=TRANSFER_REASONS[0],
                searchable=True,
            )
        elif action == "lookup":
            self.work.lookup.open()
        elif action == "resume_held" and len(m.held) > 1:
            panel.open(
                "Phục vụ tiếp số đang giữ",
                [
                    (t["number"], f"{t['number']} – {m.service_name(t.get('service'))}")
                    for t in m.held
                ],
                lambda choice, _r: self._act("resume_held", number=choice),
            )
        elif action == "resume_held":
            self._act("resume_held", number=m.held[0]["number"])
            return
        else:
            self._act(action)
            return
        self.refresh()

    def _act(self, action: str, **fields: Any) -> None:
        self.model.act(action, **fields)
        self.refresh()

    def _lookup(self, number: str) -> None:
        async def run() -> None:
            found = await self.model.lookup(number)
            self.work.lookup.show_found(found, self.model.error)

        self._spawn(run())

    def _sign_in(self, username: str, password: str, counter: int) -> None:
        self._spawn(self.model.sign_in(username, password, counter))

    def _sign_out(self) -> None:
        self._spawn(self.model.sign_out())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def main(argv: list[str] | None = None) -> int:
    parser = base_arguments("Xếp hàng – bàn làm việc của cán bộ tại quầy")
    parser.add_argument("--counter", type=int, default=None, help="the counter to sign in to")
    parser.add_argument(
        "--counter-printer",
        type=Path,
        default=None,
        help="TOML with the counter printer ([printer]) and the slips' wording ([slips]); "
        "F9 then opens the phiếu hẹn panel",
    )
    args = parser.parse_args(argv)
    # one address, or the active server and its standby: sign-in and connection alike
    http_base, ws_url = server_url_lists(args.server)
    slips = load_counter_file(args.counter_printer) if args.counter_printer else None

    async def run(_app: QApplication, closed: asyncio.Event) -> None:
        model = ConsoleModel(http_base, ws_url)
        window = ConsoleWindow(model, args.counter)
        if slips is not None:
            attach_slip_panel(window, model, *slips)
        show_window(window, args.fullscreen, args.size, (1280, 800))
        await closed.wait()
        await model.close()

    return run_app(run, args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
