"""The shipped data — fonts with their licences, voice clips, the sample site
configuration — as package data, so an installed wheel finds them as a checkout does."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
FONTS = ROOT / "fonts"
WEB_FONTS = FONTS / "web"
VOICE_VI = ROOT / "voice" / "vi"
SAMPLE_CONFIG = ROOT / "config" / "binh-duong.toml"
