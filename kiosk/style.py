"""Look of the kiosk: the bundled Noto Sans, big type and high-contrast colours.

Sizes are for a 22" touch screen at 1080p (≈ 4 px per mm): touch targets at least
110 px (≈ 27 mm), body text 24 pt and up, colours with a contrast ratio above 7:1.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

import assets

FONT_DIR = assets.FONTS
FAMILY = "Noto Sans"

NAVY = "#0B3D91"  # tiles, top bar: white on it is 10:1
YELLOW = "#FFE066"  # figures on navy: 8:1
INK = "#111827"  # text on the light background: 16:1
PAPER = "#F3F5F9"
GREY_TILE = "#D9DDE3"  # closed services: ink on it is 12:1
PURPLE = "#5B1A8C"  # priority: white on it is 11:1
TEAL = "#00584F"  # search: white on it is 8:1
SLATE = "#37474F"  # booking: white on it is 10:1
RED = "#8E1B1B"  # out of service: white on it is 9:1
BROWN = "#7C2D12"  # procedure guides: white on it is 10:1

BODY_PT = 24
TILE_PT = 28
TITLE_PT = 34
NUMBER_PT = 150
TOUCH_PX = 110  # smallest touch target (≈ 27 mm on a 22" 1080p screen)
KEY_PX = 96  # on-screen keyboard keys (≈ 24 mm)
PAD_PX = 120  # number pad keys: fewer keys, so bigger ones (≈ 30 mm)


def load_fonts(app: QApplication) -> str:
    """Register the bundled fonts so every kiosk shows the same Vietnamese letters."""
    family = FAMILY
    for name in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        font_id = QFontDatabase.addApplicationFont(str(FONT_DIR / name))
        if font_id >= 0:
            family = QFontDatabase.applicationFontFamilies(font_id)[0]
    font = QFont(family, BODY_PT)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyleSheet(STYLE)
    return family


STYLE = f"""
* {{ font-family: "{FAMILY}"; color: {INK}; }}
QWidget#kiosk {{ background: {PAPER}; }}
QFrame#topbar {{ background: {NAVY}; }}
QLabel#site {{ color: white; font-size: {TILE_PT}pt; font-weight: bold; }}
QLabel[role="title"] {{ font-size: {TITLE_PT}pt; font-weight: bold; }}
QLabel[role="body"] {{ font-size: {BODY_PT}pt; }}
QLabel[role="small_body"] {{ font-size: 22pt; color: #1F2937; }}
QLabel[role="small"] {{ font-size: 14pt; color: #374151; }}
QLabel[role="number"] {{ font-size: {NUMBER_PT}pt; font-weight: bold; color: {NAVY}; }}
QLabel[role="big"] {{ font-size: 60pt; font-weight: bold; }}
QLabel[role="checkin"] {{ font-size: {BODY_PT}pt; font-weight: bold; color: {TEAL}; }}
QLabel[role="refusal"] {{
    font-size: {BODY_PT}pt; font-weight: bold; color: white; background: {RED};
    border-radius: 14px; padding: 16px 24px;
}}
QPushButton {{
    font-size: {BODY_PT}pt; font-weight: bold; border-radius: 14px;
    min-height: {TOUCH_PX - 24}px; padding: 8px 24px;  /* + border: {TOUCH_PX} px in all */
    background: white; color: {NAVY}; border: 4px solid {NAVY};
}}
QPushButton:pressed {{ background: #C7D2FE; }}
QPushButton:disabled {{ color: #4B5563; border-color: #6B7280; }}
QPushButton#language {{ background: white; color: {NAVY}; border: 4px solid white; }}
QPushButton[kind="tile"] {{ background: {NAVY}; border: 4px solid {NAVY}; padding: 12px; }}
QPushButton[kind="tile"]:pressed {{ background: #06245A; }}
QPushButton[kind="tile"]:disabled {{ background: {GREY_TILE}; border-color: #9CA3AF; }}
QLabel[role="tile_title"] {{
    font-size: {TILE_PT}pt; font-weight: bold; color: white; background: transparent;
}}
QLabel[role="detail"] {{
    font-size: {BODY_PT}pt; font-weight: bold; color: {YELLOW}; background: transparent;
}}
QLabel[dim="true"] {{ color: {INK}; }}
QPushButton[kind="priority"] {{ background: {PURPLE}; border-color: {PURPLE}; color: white; }}
QPushButton[kind="search"] {{ background: {TEAL}; border-color: {TEAL}; color: white; }}
QPushButton[kind="booking"] {{ background: {SLATE}; border-color: {SLATE}; color: white; }}
QPushButton[kind="guide"] {{ background: {BROWN}; border-color: {BROWN}; color: white; }}
QPushButton[kind="key"] {{
    min-height: {KEY_PX - 6}px; min-width: {KEY_PX - 22}px; padding: 0px;
    font-size: {TILE_PT}pt; border-width: 3px; border-radius: 10px;
}}
QPushButton[kind="pad"] {{ min-height: {PAD_PX}px; font-size: 40pt; border-radius: 16px; }}
QPushButton[kind="pad_delete"] {{ min-height: {PAD_PX}px; border-radius: 16px; }}
QPushButton[kind="choice"] {{ min-height: {TOUCH_PX}px; }}
QPushButton[kind="choice"]:checked {{ background: {NAVY}; color: white; }}
QPushButton[kind="submit"] {{ background: {TEAL}; border-color: {TEAL}; color: white; }}
QPushButton[kind="submit"]:disabled {{ background: {GREY_TILE}; color: #4B5563; }}
QFrame#banner {{ background: {PURPLE}; border-radius: 14px; }}
QFrame#banner QLabel {{ color: white; font-size: {BODY_PT}pt; font-weight: bold; }}
QFrame#banner QPushButton {{ background: white; color: {PURPLE}; border-color: white; }}
QLineEdit {{
    font-size: {TILE_PT}pt; font-weight: bold; min-height: {TOUCH_PX - 10}px;
    border: 4px solid {NAVY}; border-radius: 14px; padding: 0 20px; background: white;
}}
QFrame#outofservice {{ background: {RED}; border-radius: 24px; }}
QFrame#outofservice QLabel {{ color: white; }}
QFrame#ticketcard {{ background: white; border: 6px solid {NAVY}; border-radius: 24px; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:vertical {{ width: 28px; background: {PAPER}; }}
QScrollBar::handle:vertical {{ background: #6B7280; border-radius: 10px; min-height: 80px; }}
"""
