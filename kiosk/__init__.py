"""The touchscreen kiosk: `python -m kiosk`. `model` is asyncio only; `window` is Qt."""
