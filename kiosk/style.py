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


def stylesheet(scale: float = 1.0, contrast: bool = False) -> str:
    """The kiosk's stylesheet; `scale` multiplies every text size (large text: 1.5, not
    the number, already 150 pt), `contrast` makes the page white and the ink black with
    thicker borders (every text pair at or above WCAG AAA's 7:1, see `CONTRAST_PAIRS`)."""

    def pt(size: float) -> int:
        return round(size * scale)

    ink, paper, border = ("#000000", "#FFFFFF", 6) if contrast else (INK, PAPER, 4)
    body_pt, tile_pt, title_pt = pt(BODY_PT), pt(TILE_PT), pt(TITLE_PT)
    dim = "#1F2937" if contrast else "#4B5563"  # disabled on grey: 11:1 in contrast mode
    return f"""
* {{ font-family: "{FAMILY}"; color: {ink}; }}
QWidget#kiosk {{ background: {paper}; }}
QFrame#topbar {{ background: {NAVY}; }}
QLabel#site {{ color: white; font-size: {tile_pt}pt; font-weight: bold; }}
QLabel[role="title"] {{ font-size: {title_pt}pt; font-weight: bold; }}
QLabel[role="body"] {{ font-size: {body_pt}pt; }}
QLabel[role="small_body"] {{ font-size: {pt(22)}pt; color: #1F2937; }}
QLabel[role="small"] {{ font-size: {pt(16)}pt; color: #374151; }}
QLabel[role="number"] {{ font-size: {NUMBER_PT}pt; font-weight: bold; color: {NAVY}; }}
QLabel[role="big"] {{ font-size: {pt(60 if scale == 1 else 40)}pt; font-weight: bold; }}
QLabel[role="checkin"] {{ font-size: {body_pt}pt; font-weight: bold; color: {TEAL}; }}
QLabel[role="refusal"] {{
    font-size: {body_pt}pt; font-weight: bold; color: white; background: {RED};
    border-radius: 14px; padding: 16px 24px;
}}
QPushButton {{
    font-size: {body_pt}pt; font-weight: bold; border-radius: 14px;
    min-height: {TOUCH_PX - 24}px; padding: 8px 24px;  /* + border: {TOUCH_PX} px in all */
    background: white; color: {NAVY}; border: {border}px solid {NAVY};
}}
QPushButton:pressed {{ background: #C7D2FE; }}
QPushButton:disabled {{ color: #4B5563; border-color: #6B7280; }}
QPushButton#language {{ background: white; color: {NAVY}; border: 4px solid white; }}
QPushButton[kind="tile"] {{ background: {NAVY}; border: {border}px solid {NAVY}; padding: 12px; }}
QPushButton[kind="tile"]:pressed {{ background: #06245A; }}
QPushButton[kind="tile"]:disabled {{ background: {GREY_TILE}; border-color: #9CA3AF; }}
QLabel[role="tile_title"] {{
    font-size: {tile_pt}pt; font-weight: bold; color: white; background: transparent;
}}
QLabel[role="detail"] {{
    font-size: {body_pt}pt; font-weight: bold; color: {YELLOW}; background: transparent;
}}
QLabel[dim="true"] {{ color: {ink}; }}
QPushButton[kind="priority"] {{ background: {PURPLE}; border-color: {PURPLE}; color: white; }}
QPushButton[kind="search"] {{ background: {TEAL}; border-color: {TEAL}; color: white; }}
QPushButton[kind="booking"] {{ background: {SLATE}; border-color: {SLATE}; color: white; }}
QPushButton[kind="guide"] {{ background: {BROWN}; border-color: {BROWN}; color: white; }}
QPushButton[kind="key"] {{
    min-height: {KEY_PX - 6}px; min-width: {KEY_PX - 40}px; padding: 0px;
    font-size: {TILE_PT}pt; border-width: 3px; border-radius: 10px;
}}
QPushButton[kind="pad"] {{ min-height: {PAD_PX}px; font-size: {pt(40)}pt; border-radius: 16px; }}
QPushButton[kind="pad_delete"] {{ min-height: {PAD_PX}px; border-radius: 16px; }}
QPushButton[kind="choice"] {{ min-height: {TOUCH_PX}px; }}
QPushButton[kind="choice"]:checked {{ background: {NAVY}; color: white; }}
QPushButton[kind="submit"] {{ background: {TEAL}; border-color: {TEAL}; color: white; }}
QPushButton[kind="submit"]:disabled {{ background: {GREY_TILE}; color: {dim}; }}
QFrame#banner {{ background: {PURPLE}; border-radius: 14px; }}
QFrame#banner QLabel {{ color: white; font-size: {body_pt}pt; font-weight: bold; }}
QFrame#banner QPushButton {{ background: white; color: {PURPLE}; border-color: white; }}
QLabel[role="button"] {{
    font-size: {body_pt}pt; font-weight: bold; color: {NAVY}; background: transparent;
}}
QLabel[role="button"][kind="priority"], QLabel[role="button"][kind="search"],
QLabel[role="button"][kind="booking"], QLabel[role="button"][kind="submit"],
QLabel[role="button"][kind="guide"],
QLabel[role="button"][on="true"] {{ color: white; }}
QLabel[role="button"][dim="true"] {{ color: {dim}; }}
QFrame#banner QPushButton QLabel[role="button"] {{ color: {PURPLE}; }}
QLineEdit {{
    font-size: {tile_pt}pt; font-weight: bold; min-height: {TOUCH_PX - 10}px;
    border: {border}px solid {NAVY}; border-radius: 14px; padding: 0 20px; background: white;
}}
QFrame#outofservice {{ background: {RED}; border-radius: 24px; }}
QFrame#outofservice QLabel {{ color: white; }}
QFrame#ticketcard {{ background: white; border: 6px solid {NAVY}; border-radius: 24px; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:vertical {{ width: 28px; background: {paper}; }}
QScrollBar::handle:vertical {{ background: #6B7280; border-radius: 10px; min-height: 80px; }}
"""


STYLE = stylesheet()
LARGE_STYLE = stylesheet(1.5, contrast=True)

# Every (text, background) colour pair the large-text stylesheet draws; the test checks
# each against WCAG AAA (7:1) with `contrast_ratio`.
CONTRAST_PAIRS = (
    ("#000000", "#FFFFFF"),  # ink on the page, on white buttons and cards
    ("white", NAVY),  # tiles, top bar, chosen buttons
    (YELLOW, NAVY),  # figures on tiles
    (NAVY, "white"),  # buttons, the number
    ("white", PURPLE),  # priority
    ("white", TEAL),  # search, submit
    (TEAL, "white"),  # the check-in message
    ("white", SLATE),  # booking
    ("white", BROWN),  # procedure guides, dossiers
    ("white", RED),  # refusals, out of service
    ("#4B5563", "white"),  # disabled buttons
    ("#1F2937", GREY_TILE),  # disabled submit
    (INK, GREY_TILE),  # closed services
    ("#1F2937", "#FFFFFF"),  # small body
    ("#374151", "#FFFFFF"),  # small print
    ("#000000", "#C7D2FE"),  # a pressed button
)


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two colours (#RRGGBB or "white")."""

    def luminance(colour: str) -> float:
        colour = {"white": "#FFFFFF", "black": "#000000"}.get(colour, colour)
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)
