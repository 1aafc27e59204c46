"""Building blocks: a big tile button with wrapped text, and the on-screen keyboard."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.style import TOUCH_PX
from kiosk.text import tr


def label(
    text: str = "",
    role: str = "body",
    wrap: bool = True,
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
) -> QLabel:
    widget = QLabel(text)
    widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    return widget


KEYS = ("key", "pad", "pad_delete")  # keyboard and number-pad keys: one short word


class WrapButton(QPushButton):
    """A button whose words wrap onto more lines when its box is narrow, instead of being
    cut (issue 20: every size, large text). The words are a child label; `text()` and
    `setText()` read and write them, so callers use it like any button."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.words = label(text, role="button", align=Qt.AlignmentFlag.AlignHCenter)
        self.words.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.picture = QLabel()
        self.picture.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.picture.hide()
        self.box = QHBoxLayout(self)
        self.box.setContentsMargins(20, 8, 20, 8)
        self.box.addWidget(self.picture)
        self.box.addWidget(self.words, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_icon(self, picture: QPixmap) -> None:
        self.picture.setPixmap(picture)
        self.picture.setFixedSize(picture.size())
        self.picture.show()

    def text(self) -> str:
        return self.words.text()

    def setText(self, text: str) -> None:
        if self.words.text() != text:
            self.words.setText(text)
            self.updateGeometry()
        self.setAccessibleName(text)

    def changeEvent(self, event: QEvent) -> None:
        # Stylesheets ignore an ancestor's state: the label carries disabled and checked.
        if event.type() in (QEvent.Type.EnabledChange, QEvent.Type.StyleChange):
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        self.words.setProperty("dim", not self.isEnabled())
        self.words.setProperty("on", self.isChecked())
        self.words.setProperty("kind", self.property("kind") or "")
        self.words.style().unpolish(self.words)
        self.words.style().polish(self.words)

    def nextCheckState(self) -> None:
        super().nextCheckState()
        self._restyle()

    def setChecked(self, checked: bool) -> None:
        super().setChecked(checked)
        self._restyle()

    def sizeHint(self) -> QSize:
        hint = self.box.sizeHint()
        return QSize(hint.width(), max(hint.height(), TOUCH_PX))

    def minimumSizeHint(self) -> QSize:
        metrics = self.words.fontMetrics()
        widest = max((metrics.horizontalAdvance(w) for w in self.text().split()), default=0)
        margins = self.box.contentsMargins()
        icon = self.picture.width() + self.box.spacing() if self.picture.isVisibleTo(self) else 0
        return QSize(widest + icon + margins.left() + margins.right() + 12, TOUCH_PX)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(TOUCH_PX, self.box.totalHeightForWidth(width))


def speaker_icon(side: int, colour: str) -> QPixmap:
    """A loudspeaker with two sound waves, drawn: the kiosk's font has no 🔊."""
    picture = QPixmap(side, side)
    picture.fill(Qt.GlobalColor.transparent)
    painter = QPainter(picture)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = side / 48
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    body = [(4, 17), (14, 17), (26, 6), (26, 42), (14, 31), (4, 31)]
    painter.drawPolygon(QPolygonF([QPointF(x * s, y * s) for x, y in body]))
    pen = QPen(QColor(colour), 4 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for r in (9, 17):
        arc = QRectF((26 - r) * s, (24 - r) * s, 2 * r * s, 2 * r * s)
        painter.drawArc(arc, -50 * 16, 100 * 16)
    painter.end()
    return picture


def button(text: str, kind: str = "", on_click: Callable[[], object] | None = None) -> QPushButton:
    widget = QPushButton(text) if kind in KEYS else WrapButton(text)
    if kind:
        widget.setProperty("kind", kind)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the scanner, not to focus
    if on_click is not None:
        widget.clicked.connect(on_click)
    return widget


class Tile(QPushButton):
    """A big button with a wrapped title and a detail line (waiting, estimate, opening)."""

    def __init__(self, key: str, on_click: Callable[[str], object], min_height: int) -> None:
        super().__init__()
        self.key = key
        self.setProperty("kind", "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.title = label(role="tile_title")
        self.detail = label(role="detail")
        for child in (self.title, self.detail):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(22, 10, 22, 12)
        self.box.setSpacing(6)
        self.box.addWidget(self.title, 1)
        self.box.addWidget(self.detail)
        self._min_height = self._full_height = min_height
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.clicked.connect(lambda: on_click(self.key))

    def set_text(self, title: str, detail: str) -> None:
        if self.title.text() != title:
            self.title.setText(title)
        if self.detail.text() != detail:
            self.detail.setText(detail)
        self.setAccessibleName(f"{title}. {detail}")

    def set_compact(self, compact: bool) -> None:
        """The title alone, with narrow margins (large text on the home page)."""
        self.detail.setVisible(not compact)
        self.box.setContentsMargins(*((12, 4, 12, 4) if compact else (22, 10, 22, 12)))
        self._min_height = TOUCH_PX if compact else self._full_height

    def changeEvent(self, event: QEvent) -> None:
        # Stylesheets ignore an ancestor's :disabled, so the labels carry the state.
        if event.type() == QEvent.Type.EnabledChange:
            for child in (self.title, self.detail):
                child.setProperty("dim", not self.isEnabled())
                child.style().unpolish(child)
                child.style().polish(child)
        super().changeEvent(event)

    def sizeHint(self) -> QSize:
        hint = self.box.sizeHint()
        return QSize(max(hint.width(), 300), max(hint.height(), self._min_height))

    def minimumSizeHint(self) -> QSize:
        return QSize(TOUCH_PX * 2, self._min_height)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(self._min_height, self.box.totalHeightForWidth(width))


class TileGrid(QScrollArea):
    """Tiles in as many columns as the orientation allows, scrolled by touch if they overflow."""

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        inner = QWidget()
        self.grid = QGridLayout(inner)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(16)
        self.grid.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)
        self.setWidget(inner)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self.tiles: list[Tile] = []
        self.columns = 1

    def sizeHint(self) -> QSize:
        """Small: the tiles scroll inside, and a page around the grid (itself in a scroll
        area, which lays its page out at the preferred height) should not scroll for them."""
        return QSize(super().sizeHint().width(), TOUCH_PX * 2)

    def set_tiles(self, tiles: list[Tile], columns: int) -> None:
        for tile in self.tiles:
            if tile not in tiles:
                tile.deleteLater()
        self.tiles = tiles
        self.columns = -1
        self.set_columns(columns)

    def set_columns(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        while self.grid.count():
            self.grid.takeAt(0)
        for i, tile in enumerate(self.tiles):
            self.grid.addWidget(tile, i // columns, i % columns)
            tile.show()  # now, not at the next event-loop turn: a tap may come first
        for c in range(max(self.grid.columnCount(), 4)):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        rows = (len(self.tiles) + columns - 1) // columns
        for r in range(max(self.grid.rowCount(), rows + 1)):
            # Tiles keep their size; the space left gathers below the last row.
            self.grid.setRowStretch(r, 1 if r == rows else 0)


class Keyboard(QWidget):
    """Plain letters and digits, space, delete, clear: there is no physical keyboard."""

    typed = Signal(str)
    deleted = Signal()
    cleared = Signal()

    ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.keys: dict[str, QPushButton] = {}
        for row, letters in enumerate(self.ROWS):
            offset = 1 if row == 3 else (20 - 2 * len(letters)) // 2  # half a key at a time
            for i, letter in enumerate(letters):
                key = button(letter, "key", self._typer(letter))
                self.keys[letter] = key
                grid.addWidget(key, row, offset + 2 * i, 1, 2)
        self.delete = button("", "key", self.deleted.emit)
        self.space = button("", "key", lambda: self.typed.emit(" "))
        self.clear = button("", "key", self.cleared.emit)
        grid.addWidget(self.delete, 3, 15, 1, 5)
        grid.addWidget(self.space, 4, 0, 1, 14)
        grid.addWidget(self.clear, 4, 14, 1, 6)
        for c in range(20):
            grid.setColumnStretch(c, 1)

    def _typer(self, letter: str) -> Callable[[], None]:
        return lambda: self.typed.emit(letter)

    def set_language(self, language: str) -> None:
        self.delete.setText("⌫ " + tr("keyboard_delete", language))
        self.space.setText(tr("keyboard_space", language))
        self.clear.setText(tr("keyboard_clear", language))


class NumberPad(QWidget):
    """Ten big digits and delete, for a phone number: the kiosk has no keyboard."""

    typed = Signal(str)
    deleted = Signal()

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(14)
        self.keys: dict[str, QPushButton] = {}
        for i, digit in enumerate("1234567890"):
            key = button(digit, "pad", self._typer(digit))
            self.keys[digit] = key
            row, column = (i // 3, i % 3) if digit != "0" else (3, 1)
            grid.addWidget(key, row, column)
        self.delete = button("", "pad_delete", self.deleted.emit)
        grid.addWidget(self.delete, 3, 2)

    def _typer(self, digit: str) -> Callable[[], None]:
        return lambda: self.typed.emit(digit)

    def set_language(self, language: str) -> None:
        self.delete.setText("⌫ " + tr("keyboard_delete", language))


def typing_layout(
    layout: QVBoxLayout,
    row: QLayout,
    status: QWidget,
    results: QWidget,
    query: Callable[[], str],
    set_query: Callable[[str], None],
) -> tuple[QLineEdit, Keyboard, QBoxLayout]:
    """A page where the citizen types on the screen (service search, procedure guides):
    the header row, what is typed (read-only: only the keys below write it), a status
    line and the results, then the keyboard; `body` turns to side by side in landscape."""
    field = QLineEdit()
    field.setReadOnly(True)
    field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    keyboard = Keyboard()
    keyboard.typed.connect(lambda ch: set_query(query() + ch))
    keyboard.deleted.connect(lambda: set_query(query()[:-1]))
    keyboard.cleared.connect(lambda: set_query(""))
    column = QVBoxLayout()
    column.addWidget(status)
    column.addWidget(results, 1)
    body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
    body.setSpacing(24)
    body.addLayout(column, 1)
    body.addWidget(keyboard)
    layout.addLayout(row)
    layout.addWidget(field)
    layout.addLayout(body, 1)
    return field, keyboard, body
