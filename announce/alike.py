"""Series letters that a hall would hear as the same: "D015" and "G015" must not sound
alike in the voice the hall uses.

Two letter names sound alike in a voice when its manifest says so (`[sound_alike]
groups`: in the south "dê" and "vê" are both /je/) or when their clips are the same
recording (byte-identical files). Two series prefixes collide when they have as many
letters and, letter by letter, each pair is the same name or sounds alike, without
being the same prefix. Stdlib only: the server checks its site at start, the hall its
voice directory.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

from announce.numbers import LETTER_NAMES
from announce.voice import MANIFEST_NAME, Manifest, load_manifest
from vntext import nfc


def alike_names(manifest: Manifest) -> list[frozenset[str]]:
    """The groups of letter names this voice makes sound the same."""
    data = tomllib.loads((manifest.directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    groups = [
        frozenset(nfc(name) for name in group)
        for group in data.get("sound_alike", {}).get("groups", [])
    ]
    by_sound: dict[str, set[str]] = {}
    for name in set(LETTER_NAMES.values()):
        relative = manifest.clips.get(name)
        path = manifest.directory / relative if relative else None
        if path is not None and path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            by_sound.setdefault(digest, set()).add(name)
    groups += [frozenset(names) for names in by_sound.values() if len(names) > 1]
    return groups


def _same_sound(a: str, b: str, groups: list[frozenset[str]]) -> bool:
    return a == b or any(a in g and b in g for g in groups)


def colliding_series(
    prefixes: Iterable[str], voice_dir: Path | str | None = None
) -> list[tuple[str, str]]:
    """Pairs of distinct series prefixes a listener cannot tell apart in this voice."""
    manifest = load_manifest(voice_dir) if voice_dir is not None else load_manifest()
    groups = alike_names(manifest)
    names: dict[str, list[str] | None] = {}
    for prefix in {p for p in prefixes if p}:
        letters = nfc(prefix).lower()
        names[prefix] = (
            [LETTER_NAMES[ch] for ch in letters]
            if all(ch in LETTER_NAMES for ch in letters)
            else None
        )
    out = []
    for a, b in combinations(sorted(names), 2):
        spoken_a, spoken_b = names[a], names[b]
        if spoken_a is None or spoken_b is None or len(spoken_a) != len(spoken_b):
            continue
        if all(_same_sound(x, y, groups) for x, y in zip(spoken_a, spoken_b, strict=True)):
            out.append((a, b))
    return out
