"""One search for Vietnamese names as citizens type them (stdlib only).

An in-memory inverted index over folded words (`vntext.fold`): a few thousand entries
(services, procedures) fit in well under a megabyte and a query takes a fraction of a
millisecond, with no database round trip. SQLite FTS5 was weighed and not taken: its
tokenizer does not fold "đ", and Telex/VNI keystrokes, i/y spellings, one-typo
tolerance and phrase synonyms would all have to be written around it anyway.

What a query may be:
- with or without marks, any case: "Đăng ký", "dang ky", "DANG KY";
- typed the Telex way ("hoj tichj", "ddaang kys") or the VNI way ("ho5 ti5ch",
  "d9a8ng ky1");
- "i" or "y" after a consonant at the end of a word ("đăng kí", "lí lịch");
- one slip of the finger in a word of 4 letters or more ("khai sinhh", "kethon" is
  two words run together, "chung thuc" for "chứng thực");
- everyday words (synonyms from the site config: "sổ đỏ" → "giấy chứng nhận quyền sử
  dụng đất"), or words of an entry's keywords, documents or sector;
- still being typed: the last word may be the start of a word ("khai si").

Words match whole words only ("hon" is not inside "thong"). Ranking: the share of
the query's words an entry holds first, then the sum of its words' weights (where the
word is — name, keywords, sector, documents — times how exactly it matched, times its
rarity), then how much of the entry's name the query covers (the plain "Đăng ký khai
sinh" before "Đăng ký khai sinh có yếu tố nước ngoài").
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from vntext import fold

__all__ = ["Entry", "Hit", "Index", "normal_word", "telex_plain", "vni_plain"]

# Where a word was found → its weight.
FIELD_WEIGHTS = {"name": 3.0, "keywords": 2.5, "name_en": 1.5, "sector": 1.0, "documents": 0.4}
EXACT, PREFIX, SPLIT, TYPO = 1.0, 0.75, 0.8, 0.6
MAX_PREFIX = 40  # words a word being typed may be the start of (the first, in order)
# Words that say nothing about which procedure ("tôi muốn làm … cho con"): they add to
# the score when found but a query is not judged by them.
FILLER = frozenset(
    [
        "toi",
        "muon",
        "can",
        "lam",
        "o",
        "dau",
        "the",
        "nao",
        "cach",
        "xin",
        "cua",
        "cho",
        "gi",
        "la",
        "ve",
        "minh",
        "em",
        "anh",
        "chi",
        "thi",
        "phai",
        "giup",
        "hoi",
        "nhu",
        "bao",
        "nhieu",
    ]
)

_TELEX_PAIRS = (("dd", "d"), ("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"))
_VOWELS = "aeiouy"


def telex_plain(word: str) -> str:
    """A folded word typed the Telex way, without its keystrokes for marks and tones:
    "hoj" → "ho", "ddaast" → "dat", "chuwsng" → "chung", "nhw" → "nhu".

    Plain Vietnamese spelling never has f, j, w or z, nor s, x or r after the first
    letter (but "tr"), so these are Telex keys; a word that is not Telex may come out
    changed, which is why a search tries the word as typed as well.
    """

    def tone_key(i: int, c: str) -> bool:
        if c in "fjz":
            return True
        if c in "sx":
            return i > 0
        return c == "r" and i > 0 and not (i == 1 and word[0] == "t")

    plain = "".join(c for i, c in enumerate(word) if not tone_key(i, c))
    plain = plain.replace("uw", "u")
    for keys, letter in _TELEX_PAIRS:
        plain = plain.replace(keys, letter)
    while "w" in plain:  # a late "w" marks an earlier vowel; alone it is "ư"
        at = plain.index("w")
        plain = plain[:at] + ("" if any(v in plain[:at] for v in "uoa") else "u") + plain[at + 1 :]
    return plain


def vni_plain(word: str) -> str:
    """A folded word typed the VNI way, without its digits for marks and tones:
    "ho5" → "ho", "ti5ch" → "tich", "d9a8ng" → "dang". A number stays a number."""
    if not re.search(r"[a-z]", word):
        return word
    return re.sub(r"[0-9]", "", word)


def normal_word(word: str) -> str:
    """The spelling both sides are compared in: "y" after a consonant at the end of a
    word is written "i" ("ky"/"ki", "ly"/"li", "quy"/"qui"); "ay", "uy" stay."""
    if len(word) >= 2 and word.endswith("y") and word[-2] not in _VOWELS:
        return word[:-1] + "i"
    if word.endswith("quy"):
        return word[:-1] + "i"
    return word


def words_of(text: str) -> list[str]:
    return [normal_word(w) for w in fold(text).split()]


@dataclass(frozen=True)
class Entry:
    """One thing to find: `key` is the caller's (a service id, a procedure code)."""

    key: str
    name: str
    name_en: str = ""
    keywords: tuple[str, ...] = ()
    sector: str = ""
    documents: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # exact look-ups: "1.001193", "001193"


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    coverage: float  # share of the query's words found


@dataclass(eq=False)
class _Slot:
    """One thing the citizen asked for: a word, or a phrase with its synonyms."""

    alternatives: list[list[str]]
    filler: bool = False
    last: bool = False  # the word being typed: may be a prefix


@dataclass
class _Doc:
    entry: Entry
    fields: dict[str, float] = field(default_factory=dict)  # word → best field weight
    name_words: frozenset[str] = frozenset()
    name_en_words: frozenset[str] = frozenset()
    phrases: str = ""  # " name | keyword | … ", folded: to tell words side by side


class Index:
    """The entries, their words, and the synonyms; built once, searched many times."""

    def __init__(
        self, entries: Iterable[Entry], synonyms: Sequence[tuple[str, Sequence[str]]] = ()
    ) -> None:
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = {}  # word → (entry, weight)
        self._codes: dict[str, int] = {}
        for entry in entries:
            doc = _Doc(entry)
            for name, weight in FIELD_WEIGHTS.items():
                value = getattr(entry, name)
                texts = value if isinstance(value, tuple) else (value,)
                for text in texts:
                    for word in words_of(text):
                        if doc.fields.get(word, 0.0) < weight:
                            doc.fields[word] = weight
            doc.name_words = frozenset(words_of(entry.name))
            doc.name_en_words = frozenset(words_of(entry.name_en))
            texts = (entry.name, *entry.keywords, entry.name_en)
            doc.phrases = " " + " | ".join(" ".join(words_of(t)) for t in texts) + " "
            n = len(self._docs)
            self._docs.append(doc)
            for word, weight in doc.fields.items():
                self._postings.setdefault(word, []).append((n, weight))
            for code in entry.codes:
                self._codes[re.sub(r"\D", "", code)] = n
        total = max(1, len(self._docs))
        self._idf = {w: 1.0 + math.log(total / len(docs)) / 4 for w, docs in self._postings.items()}
        # a word typed whole: its weight in each entry, ready (never changed in place)
        self._exact = {
            w: {n: weight * self._idf[w] for n, weight in docs}
            for w, docs in self._postings.items()
        }
        self._deletes: dict[str, set[str]] = {}
        for word in self._postings:
            if len(word) >= 4:
                for d in _deletions(word):
                    self._deletes.setdefault(d, set()).add(word)
        self._sorted = sorted(self._postings)
        self._synonyms: list[tuple[list[str], list[list[str]]]] = []
        for phrase, targets in synonyms:
            words, wanted = words_of(phrase), [w for w in map(words_of, targets) if w]
            if words and wanted:  # a phrase of no letters would match everywhere
                self._synonyms.append((words, wanted))
        self._synonym_words = {w for p, ts in self._synonyms for w in p}
        self._known = self._postings.keys() | self._synonym_words

    def __len__(self) -> int:
        return len(self._docs)

    # -- the query ----------------------------------------------------------

    def _canonical(self, word: str) -> str:
        """The word as the index spells it: as typed if known, else without its VNI
        digits or Telex keys if that is known."""
        known = self._known
        for form in (word, vni_plain(word), telex_plain(word)):
            form = normal_word(form)
            if form in known:
                return form
        return normal_word(vni_plain(word))

    def _slots(self, query: str) -> list[_Slot]:
        raw = fold(query).split()
        ends_in_space = query[-1:].isspace()
        words = [self._canonical(w) for w in raw]
        slots: list[_Slot] = []
        i = 0
        while i < len(words):
            for phrase, targets in self._synonyms:
                if words[i : i + len(phrase)] == phrase:
                    slots.append(_Slot([phrase, *targets]))
                    i += len(phrase)
                    break
            else:
                slots.append(_Slot([[words[i]]], filler=words[i] in FILLER))
                i += 1
        if slots and not ends_in_space and len(slots[-1].alternatives) == 1:
            slots[-1].last = True
        return slots

    def _matches(self, word: str, prefix: bool) -> dict[str, float]:
        """Index words `word` stands for, with how well: itself, the words it starts
        (while typing), words one edit away."""
        found: dict[str, float] = {}
        if word in self._postings:
            found[word] = EXACT
        if prefix and len(word) >= 2 and not found:  # a whole word typed is that word
            at = bisect.bisect_left(self._sorted, word)
            end = min(len(self._sorted), at + MAX_PREFIX)
            while at < end and self._sorted[at].startswith(word):
                found[self._sorted[at]] = PREFIX
                at += 1
        if not found and len(word) >= 4:
            for d in (word, *_deletions(word)):
                for candidate in self._deletes.get(d, ()):
                    if _one_edit(word, candidate):
                        found.setdefault(candidate, TYPO)
                if len(d) >= 3 and d in self._postings:  # one letter too many
                    found.setdefault(d, TYPO)
        return found

    def _split(self, word: str) -> list[str] | None:
        """Two words run together ("kethon") → both, if the index knows both."""
        for at in range(2, len(word) - 1):
            left, right = normal_word(word[:at]), normal_word(word[at:])
            if left in self._postings and right in self._postings:
                return [left, right]
        return None

    # -- the search ---------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        """The entries for `query`, best first (at most `limit`)."""
        query = query[:200]
        digits = re.sub(r"\D", "", query)
        if len(digits) >= 6 and digits in self._codes and not re.search(r"[^\W\d_]", query):
            return [Hit(self._docs[self._codes[digits]].entry.key, 100.0, 1.0)]
        slots = self._slots(query)
        if not slots:
            return []
        asked = sum(1 for s in slots if not s.filler) or len(slots)
        everything_filler = asked == len(slots) and all(s.filler for s in slots)
        scores: dict[int, float] = {}
        covered: Counter[int] = Counter()
        reached: set[str] = set()  # every index word some slot matched
        for slot in slots:
            phrase = len(slot.alternatives) > 1  # a synonym: its phrases are phrases
            best: dict[int, float] = {}
            for i, alternative in enumerate(slot.alternatives):
                got = self._alternative(alternative, slot.last and not phrase, phrase, reached)
                if i == 0:
                    best = dict(got) if phrase else got  # `got` may be the index's own
                    continue
                for n, value in got.items():
                    if value > best.get(n, 0.0):
                        best[n] = value
            if everything_filler or not slot.filler:
                covered.update(best.keys())  # counted in C
            if not scores:
                scores = dict(best)
                continue
            get = scores.get
            for n, value in best.items():
                scores[n] = get(n, 0.0) + value
        need = asked if asked <= 2 else math.ceil(asked / 2)
        levels: dict[int, list[int]] = {}
        for n, c in covered.items():
            if c >= need:
                levels.setdefault(c, []).append(n)
        if not levels:
            return []
        top = max(levels)
        chosen: list[int] = []
        for c in sorted(levels, reverse=True):
            if c / asked < top / asked - 0.3:
                break  # the best tiers only
            ns = levels[c]
            if len(ns) > limit:
                # The bonus below adds at most 2: only entries within 2 of the
                # `limit`-th best score of their tier can still be among the first.
                floor = heapq.nlargest(limit, [scores[n] for n in ns])[-1] - 2.0
                ns = [n for n in ns if scores[n] >= floor]
            chosen.extend(ns)
            if len(chosen) >= limit:
                break  # a lower tier comes after all of these
        typed = " " + " ".join(w for slot in slots for w in slot.alternatives[0]) + " "
        hits = []
        for n in chosen:
            doc = self._docs[n]
            named = reached.intersection(doc.fields)
            share = max(
                len(named & words) / max(1, len(words))
                for words in (doc.name_words, doc.name_en_words)
            )
            if len(slots) > 1 and typed in doc.phrases:
                share += 1.0  # the words as typed, side by side
            hits.append(Hit(doc.entry.key, round(scores[n] + share, 4), covered[n] / asked))
        hits.sort(key=lambda h: (-h.coverage, -h.score))
        return hits[:limit]

    def _word(self, word: str, prefix: bool, reached: set[str]) -> dict[int, float]:
        """Per entry: the best weight of `word` in it (as typed, its start, a typo, two
        words run together)."""
        matches = self._matches(word, prefix)
        found: dict[int, float] = {}
        if not matches:
            parts = self._split(word)
            if parts is None:
                return found
            reached.update(parts)
            second = dict(self._postings[parts[1]])
            factor = SPLIT * self._idf[parts[1]]
            for n, weight in self._postings[parts[0]]:
                if n in second:
                    found[n] = min(weight, second[n]) * factor
            return found
        reached.update(matches)
        if len(matches) == 1 and word in matches:
            return self._exact[word]  # the usual case: shared, so read only
        for candidate, quality in matches.items():
            factor = quality * self._idf[candidate]
            if not found and quality == EXACT:
                found = dict(self._exact[candidate])
                continue
            get = found.get
            for n, weight in self._postings[candidate]:
                value = weight * factor
                if value > get(n, 0.0):
                    found[n] = value
        return found

    def _alternative(
        self, words: list[str], last: bool, phrase: bool, reached: set[str]
    ) -> dict[int, float]:
        """Per entry: the weight of `words` in it (all must be there, side by side if a
        `phrase`)."""
        if len(words) == 1:
            return self._word(words[0], last, reached)
        per_word = []
        for i, word in enumerate(words):
            found = self._word(word, last and i == len(words) - 1, reached)
            if not found:
                return {}
            per_word.append(found)
        per_word.sort(key=len)
        common = set(per_word[0]).intersection(*per_word[1:])
        together = f" {' '.join(words)} "
        out: dict[int, float] = {}
        for n in common:
            total = sum(found[n] for found in per_word)
            if together in self._docs[n].phrases:
                total *= 1.5  # the words side by side
            elif phrase:
                continue
            out[n] = total / len(words) * 2
        return out


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
