"""Tickets to paper: layout (`render`), ESC/POS output (`device`), a virtual printer.

Imports Pillow, qrcode and python-escpos only (escpos lazily, see `printer._escpos`);
never Qt, never the server.
"""
