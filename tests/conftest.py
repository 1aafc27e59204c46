"""Shared test set-up: Qt runs offscreen so tests work on a machine without a display."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
