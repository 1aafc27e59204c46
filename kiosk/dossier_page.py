"""The Qt view of the kiosk's "Tra cứu hồ sơ" (`kiosk.dossier.DossierLookup`): the code on
the keyboard, the digits on the number pad, the answer beside them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.dossier import DossierLookup, say
from kiosk.widgets import Keyboard, NumberPad, button, label


class DossierPage(QWidget):
    """One page of the kiosk (`refresh`, `set_portrait` like the others)."""

    def __init__(self, lookup: DossierLookup, back: Callable[[], object]) -> None:
        super().__init__()
        self.lookup = lookup
        self.back = button("", "back", back)
        self.title = label(role="title")
        self.hint = label()
        self.code_label, self.phone_label = label(), label()
        self.code = QLineEdit(readOnly=True)
        self.phone4 = QLineEdit(readOnly=True, maxLength=4)
        self.submit = button("", "search", self._ask)
        self.refusal = label(role="refusal")
        self.status = label(role="title")
        self.due = label()
        self.pickup = button("", "booking", lookup.take_pickup_ticket)
        self.keyboard = Keyboard()
        self.keyboard.typed.connect(lambda ch: lookup.set_code(lookup.code + ch.strip()))
        self.keyboard.deleted.connect(lambda: lookup.set_code(lookup.code[:-1]))
        self.keyboard.cleared.connect(lambda: lookup.set_code(""))
        self.pad = NumberPad()
        self.pad.typed.connect(lambda d: lookup.set_phone4(lookup.phone4 + d))
        self.pad.deleted.connect(lambda: lookup.set_phone4(lookup.phone4[:-1]))

        top = QHBoxLayout()
        top.addWidget(self.back)
        top.addWidget(self.title, 1)
        form = QVBoxLayout()
        for widget in (self.hint, self.code_label, self.code, self.phone_label, self.phone4):
            form.addWidget(widget)
        form.addWidget(self.submit)
        form.addWidget(self.refusal)
        form.addWidget(self.status)
        form.addWidget(self.due)
        form.addWidget(self.pickup)
        form.addStretch(1)
        keys = QVBoxLayout()
        keys.addWidget(self.keyboard)
        keys.addWidget(self.pad)
        body = QHBoxLayout()
        body.addLayout(form, 1)
        body.addLayout(keys, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self.refresh()

    def _ask(self) -> None:
        asyncio.ensure_future(self.lookup.ask())

    def refresh(self) -> None:
        lk, lang = self.lookup, self.lookup.model.language
        self.back.setText("‹ " + say("back", lang))
        self.title.setText(say("title", lang))
        self.hint.setText(say("hint", lang))
        self.code_label.setText(say("code", lang))
        self.phone_label.setText(say("phone4", lang))
        self.code.setText(lk.code)
        self.phone4.setText(lk.phone4)
        self.submit.setText(say("submit", lang))
        self.submit.setEnabled(not lk.busy)
        self.refusal.setVisible(lk.refusal is not None)
        self.refusal.setText(lk.refusal or "")
        self.status.setVisible(lk.result is not None)
        self.status.setText(lk.status_text())
        self.due.setVisible(lk.result is not None)
        self.due.setText(say("due", lang, due=(lk.result or {}).get("due_on", "")))
        service = lk.pickup_service()
        self.pickup.setVisible(service is not None)
        if service is not None:
            name = service["name_en"] if lang == "en" else service["name"]
            self.pickup.setText(f"{say('pickup', lang)}\n{name}")
        self.keyboard.set_language(lang)
        self.pad.set_language(lang)

    def set_portrait(self, portrait: bool) -> None:
        """The same two columns either way: the keys stay big enough to touch."""
