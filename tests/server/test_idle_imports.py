"""Finding 9 of issue 18: the idle server carries only what serving needs. Pillow and
qrcode (a booking's QR) and the announcement builder (a hall's wave) are imported when
first used, not at start; so are the mail and modem libraries (only a site that sends
mail or has a modem needs them) (`bench/bench_memory.py` measures the RSS). /metrics is
written without prometheus_client (`core/exposition.py`), whose package brings its own
HTTP servers."""

import json
import subprocess
import sys

from tests.support import ROOT

LAZY = (
    "PIL",
    "qrcode",
    "announce",
    "aiosmtplib",
    "serial",
    "serial_asyncio_fast",
    "prometheus_client",
)

PROBE = """
import json, sys
from assets import SAMPLE_CONFIG
from queue_server.app import create_app
from queue_server.core.siteconfig import load_config
create_app(load_config(SAMPLE_CONFIG), sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_served_app_does_not_import_pillow_qrcode_or_the_announcer(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "q.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(out.stdout))
    assert "queue_server" in loaded
    assert loaded.isdisjoint(LAZY), sorted(loaded.intersection(LAZY))
