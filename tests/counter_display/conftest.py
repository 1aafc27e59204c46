"""The counter-side apps' tests run with the bundled fonts, as `run_app` loads them, so
sizes measured on screen are the same on every machine."""

import pytest

from counter_display.ui import load_fonts


@pytest.fixture(autouse=True)
def fonts(qapp) -> None:
    load_fonts()
