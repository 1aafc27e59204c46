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


def voice_style_problem(style: str, voice_dir: str | None = None) -> tuple[str, str] | None:
    """Why this server's voice cannot read numbers in `style` (`[hall] voice`): the
    first clip it lacks, named (English, Vietnamese); None when it can. The web hall
    speaks with this voice, so a style without its clips is refused, at start and in
    the admin screen, rather than read wrongly or half in silence."""
    from announce import DEFAULT_VOICE_DIR, VoiceError, load_manifest, style_words

    directory = voice_dir or DEFAULT_VOICE_DIR
    try:
        manifest = load_manifest(directory)
        for word in style_words(style):
            try:
                manifest.path_for(word)
            except VoiceError as exc:
                return (
                    f"the voice has no clip {word!r} that style {style!r} needs ({exc})",
                    f"giọng đọc thiếu tệp âm thanh {word!r} mà kiểu giọng {style!r} cần ({exc})",
                )
    except VoiceError as exc:
        return (f"the voice cannot be read: {exc}", f"không đọc được giọng đọc: {exc}")
    return None
