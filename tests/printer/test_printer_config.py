"""PrinterConfig: loading from TOML tables, and errors that name the key."""

from __future__ import annotations

import tomllib

import pytest

from printer.config import PrinterConfig
from printer.errors import ConfigError

SITE = """
[printer]
connection = "usb"
usb_vendor_id = "0x04b8"
usb_product_id = 0x0e15
profile = "TM-T88V"
width = 512
image_mode = "bitImageColumn"
fragment_height = 480
cut = "partial"
timeout = 3
"""


def test_loads_a_toml_table() -> None:
    config = PrinterConfig.from_dict(tomllib.loads(SITE)["printer"], source="site.toml")
    assert (config.connection, config.usb_vendor_id, config.usb_product_id) == (
        "usb",
        0x04B8,
        0x0E15,
    )
    assert (config.width, config.image_mode, config.cut) == (512, "bitImageColumn", "partial")
    assert config.timeout == 3.0 and isinstance(config.timeout, float)
    assert config.status_required


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"connection": "bluetooth"}, "connection"),
        ({"connection": "network"}, "host"),
        ({"connection": "serial"}, "serial_device"),
        ({"connection": "file"}, "device_path"),
        ({"connection": "usb", "usb_vendor_id": 1}, "usb_product_id"),
        ({"usb_vendor_id": "epson"}, "usb_vendor_id"),
        ({"width": 580}, "width"),
        ({"width": "576"}, "width"),
        ({"image_mode": "raster"}, "image_mode"),
        ({"fragment_height": 100}, "fragment_height"),
        ({"image_mode": "graphics", "fragment_height": 960}, "fragment_height"),
        ({"cut": "half"}, "cut"),
        ({"timeout": 0}, "timeout"),
        ({"status_timeout": "1s"}, "status_timeout"),
        ({"profile": "TM-NOPE"}, "profile"),
        ({"profile": "TM-T88V", "width": 576}, "width"),
        ({"hybrid": "yes"}, "hybrid"),
        ({"hybrid_text_size": 9}, "hybrid_text_size"),
        ({"port": 70000}, "port"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_errors_name_the_source_and_the_key(table: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        PrinterConfig.from_dict(table, source="kiosk-3.toml")
    message = str(info.value)
    assert message.startswith("kiosk-3.toml: [printer]") and f"'{key}'" in message


def test_links_without_a_read_channel_do_not_require_status_by_default() -> None:
    assert not PrinterConfig.from_dict(
        {"connection": "file", "device_path": "/dev/usb/lp0"}
    ).status_required
    assert PrinterConfig.from_dict(
        {"connection": "file", "device_path": "/dev/usb/lp0", "require_status": True}
    ).status_required
    assert PrinterConfig.from_dict({"connection": "network", "host": "10.0.0.9"}).status_required
