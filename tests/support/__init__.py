"""What the tests share: real servers and protocol peers (`servers`), the small test site
(`siteconfig`), booking over HTTP (`booking`), the kiosk harness (`kiosk`), the Qt runner
(`qt`), the one way to wait for a condition (`waiting`), the one settable clock (`clock`),
and the writer a crash test kills (`crash_worker`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout
SHOTS = ROOT / "docs" / "screenshots"  # where XEPHANG_SCREENSHOTS=1 writes pictures
