"""Per-printer settings (`PrinterConfig`), loadable from a dict or a TOML table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from printer.errors import ConfigError

CONNECTIONS = ("usb", "serial", "network", "file", "dummy")
IMAGE_MODES = ("bitImageRaster", "bitImageColumn", "graphics")
CUT_MODES = ("full", "partial", "none")
_REQUIRED = {
    "usb": ("usb_vendor_id", "usb_product_id"),
    "serial": ("serial_device",),
    "network": ("host",),
    "file": ("device_path",),
    "dummy": (),
}
_NO_READ_BACK = ("file", "dummy")  # python-escpos opens these write-only
_GS_L_MAX = 65535 - 12  # a GS ( L block carries at most 64 KiB incl. its header


@dataclass(frozen=True)
class PrinterConfig:
    """One printer: how to reach it, what paper it has and how to send images to it."""

    connection: str = "dummy"
    width: int = 576
    profile: str = "default"
    image_mode: str = "bitImageRaster"
    hybrid: bool = False
    hybrid_text_size: int = 6
    hybrid_native_qr: bool = True
    fragment_height: int = 240
    cut: str = "full"
    timeout: float = 5.0
    status_timeout: float = 1.0
    require_status: bool | None = None
    host: str = ""
    port: int = 9100
    serial_device: str = ""
    baudrate: int = 9600
    usb_vendor_id: int = 0
    usb_product_id: int = 0
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    device_path: str = ""

    @property
    def status_required(self) -> bool:
        """Refuse to print without a status answer (default: when the link can answer)."""
        if self.require_status is not None:
            return self.require_status
        return self.connection not in _NO_READ_BACK

    def transfer_seconds(self, nbytes: int) -> float:
        """Time the bytes need on the wire; only a serial line is slow enough to matter."""
        return nbytes * 10 / self.baudrate if self.connection == "serial" else 0.0

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], source: str = "<dict>", section: str = "printer"
    ) -> PrinterConfig:
        """Build and validate; a `ConfigError` names `source`, `[section]` and the key."""
        where = f"{source}: [{section}]"
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in fields:
                raise ConfigError(f"{where} unknown key '{key}' (known: {', '.join(fields)})")
            values[key] = _coerce(where, key, value, cls.__annotations__[key])
        config = cls(**values)
        config.validate(where)
        return config

    def validate(self, where: str = "printer config") -> None:
        _check_choice(where, "connection", self.connection, CONNECTIONS)
        _check_choice(where, "image_mode", self.image_mode, IMAGE_MODES)
        _check_choice(where, "cut", self.cut, CUT_MODES)
        for key in _REQUIRED[self.connection]:
            if not getattr(self, key):
                raise ConfigError(
                    f"{where} '{key}' is required when connection = '{self.connection}'"
                )
        self._validate_numbers(where)
        self._validate_profile(where)

    def _validate_numbers(self, where: str) -> None:
        if self.width % 8 or not 128 <= self.width <= 832:
            raise ConfigError(
                f"{where} 'width' must be a multiple of 8 between 128 and 832 "
                f"dots (58 mm paper: 384, 80 mm: 512 or 576), got {self.width}"
            )
        if self.fragment_height % 24 or self.fragment_height <= 0:
            raise ConfigError(
                f"{where} 'fragment_height' must be a positive multiple of 24 "
                f"(column mode prints 24-dot bands), got {self.fragment_height}"
            )
        if self.image_mode == "graphics" and self.fragment_height * self.width // 8 > _GS_L_MAX:
            raise ConfigError(
                f"{where} 'fragment_height' {self.fragment_height} is too tall "
                f"for graphics mode at width {self.width} (64 KiB per block)"
            )
        if not 1 <= self.hybrid_text_size <= 8:
            raise ConfigError(f"{where} 'hybrid_text_size' must be 1..8 (GS ! magnification)")
        if self.baudrate <= 0:
            raise ConfigError(f"{where} 'baudrate' must be > 0, got {self.baudrate}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"{where} 'port' must be 1..65535, got {self.port}")
        for key in ("timeout", "status_timeout"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"{where} '{key}' must be > 0 seconds")

    def _validate_profile(self, where: str) -> None:
        from printer import _escpos

        try:
            declared = _escpos.profile_width(self.profile)
        except KeyError:
            raise ConfigError(
                f"{where} 'profile': unknown python-escpos profile '{self.profile}'"
            ) from None
        if declared is not None and declared < self.width:
            raise ConfigError(
                f"{where} 'width' {self.width} is wider than profile "
                f"'{self.profile}' allows ({declared} dots)"
            )


def _check_choice(where: str, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{where} '{key}' must be one of {', '.join(choices)}; got {value!r}")


def _coerce(where: str, key: str, value: Any, annotation: str) -> Any:
    """Check a TOML value against the field type; USB ids may be given as "0x04b8"."""
    if key.startswith("usb_") and isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            raise ConfigError(
                f"{where} '{key}' must be an integer like 0x04b8, got {value!r}"
            ) from None
    if value is None and "None" in annotation:
        return None
    wanted = annotation.split(" | ")[0]
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
    }[wanted]
    if not ok:
        raise ConfigError(f"{where} '{key}' must be {wanted}, got {value!r}")
    return float(value) if wanted == "float" else value
