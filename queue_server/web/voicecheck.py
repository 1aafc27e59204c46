"""At start: do two number series of this site sound the same when the hall reads them?

"D015" and "G015" read by the hall's voice (`announce`, the clips in assets/voice) must
not be mistaken for each other; see `announce/alike.py`. The server only warns: the
site can change a series letter, or the centre can record clips that differ.
"""

from __future__ import annotations

from queue_server.domain.config import SiteConfig


def series_warning(config: SiteConfig, voice_dir: str | None = None) -> str | None:
    """The warning naming every pair of series that sound alike, or None."""
    # Imported here: the check runs once, at start.
    from announce.alike import colliding_series

    by_prefix = {s.prefix: s for s in config.services.values() if s.prefix}
    pairs = colliding_series(by_prefix, voice_dir)
    if not pairs:
        return None
    named = "; ".join(f"{a} ({by_prefix[a].name}) and {b} ({by_prefix[b].name})" for a, b in pairs)
    return (
        f"these number series sound alike when the hall reads them: {named}. "
        "Give one of each pair another letter (services.prefix) or record clips that "
        "differ (assets/voice/vi, [sound_alike])"
    )
