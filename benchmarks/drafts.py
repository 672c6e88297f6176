"""A conference planned platform-free, one thread at a time: who posts what, when, in reply to whom."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from benchmarks.texts import Link, Writer

Kind = Literal["single", "conversation", "live", "quote", "crosspost", "noise"]
Platform = Literal["bluesky", "mastodon", "both"]
TagStyle = Literal["facet", "text", "record", "none"]

DAYS = 3
DAY_MINUTES = 24 * 60
# Minutes after 09:00 on the first day: sessions until 18:00, then evening posts until 23:00.
SESSION_END = 9 * 60
EVENING_END = 14 * 60
# (kind, weight): how often a thread of each kind starts; live threads and conversations hold most posts.
KINDS: tuple[tuple[Kind, float], ...] = (
    ("single", 0.44),
    ("conversation", 0.30),
    ("live", 0.10),
    ("quote", 0.08),
    ("crosspost", 0.07),
    ("noise", 0.01),
)
BLUESKY_SHARE = 0.6
IMAGE_SHARE = 0.15
LINK_SHARE = 0.1
TAGGED_REPLY_SHARE = 0.15


@dataclass(frozen=True)
class Person:
    """Someone at the event; `home` is their Mastodon instance, `bluesky` whether they post there."""

    name: str
    bluesky: bool
    home: str | None
    opted_out: bool = False


@dataclass(frozen=True)
class Draft:
    """One post before it is put on a platform; `parent` and `quote` are keys of earlier drafts."""

    key: str
    person: Person
    minute: float
    text: str
    lang: str = "en"
    parent: str | None = None
    tag: TagStyle = "none"
    alt: str | None = None
    link: Link | None = None
    card: bool = False
    quote: str | None = None


@dataclass
class Unit:
    """A thread as it starts: the drafts come parent before reply, so any prefix is a whole thread.

    A cross-post ("both") holds two drafts: the Bluesky post, then the same words on Mastodon.
    """

    kind: Kind
    platform: Platform
    drafts: list[Draft] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.drafts)


class Planner:
    """Draws units until the event holds `size` posts; memory stays bounded by one unit and the people."""

    def __init__(self, size: int, seed: int, hosts: tuple[str, str], writeups: Sequence[Link] = ()) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.writer = Writer(self.rng, writeups)
        self.hosts = hosts
        self.counter = 0
        self.posted = {"bluesky": 0, "mastodon": 0}
        self.recent_bluesky: list[str] = []
        people = max(30, size // 12)
        self.bluesky_people: list[Person] = []
        self.mastodon_people: list[Person] = []
        self.crossposters: list[Person] = []
        for number in range(people):
            self._add_person(f"{self.rng.choice(_FIRST)}{number}")
        self.outsiders = [Person(f"outside{n}", bluesky=True, home=None) for n in range(10)]

    def _add_person(self, name: str) -> None:
        draw, opted_out = self.rng.random(), self.rng.random() < 0.01
        home = self.hosts[0] if self.rng.random() < 0.65 else self.hosts[1]
        # 45% on Bluesky only, 35% on Mastodon only, 20% on both: those are the ones who cross-post.
        bluesky, mastodon = draw < 0.65 or draw >= 0.9, draw >= 0.55
        person = Person(name, bluesky=bluesky, home=home if mastodon else None, opted_out=opted_out)
        if person.bluesky:
            self.bluesky_people.append(person)
        if person.home:
            self.mastodon_people.append(person)
        if person.bluesky and person.home:
            self.crossposters.append(person)

    def units(self) -> Iterator[Unit]:
        made = 0
        while made < self.size:
            unit = self._unit()
            room = self.size - made
            if unit.size > room:
                unit = _cut(unit, room)
            made += unit.size
            if unit.platform == "both":
                self.posted["bluesky"] += 1
                self.posted["mastodon"] += 1
            else:
                self.posted[unit.platform] += unit.size
            if unit.platform == "bluesky" and unit.kind != "noise":
                # In-event posts a later quote may point at: a bounded window of recent ones.
                self.recent_bluesky.extend(draft.key for draft in unit.drafts)
                del self.recent_bluesky[:-200]
            yield unit

    # -- one thread ---------------------------------------------------------------------------------

    def _unit(self) -> Unit:
        kind = self.rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        if kind == "quote":
            return self._quote(self._start())
        if kind == "noise":
            return self._noise(self._start())
        if kind == "crosspost" and self.crossposters:
            return self._crosspost(self._start())
        platform: Platform = "bluesky" if self._bluesky_next() else "mastodon"
        if kind == "crosspost":
            kind = "single"
        people = self.bluesky_people if platform == "bluesky" else self.mastodon_people
        unit = Unit(kind, platform)
        start = self._start()
        if kind == "live":
            self._live(unit, people, start)
        elif kind == "conversation":
            self._conversation(unit, people, start)
        else:
            lang, text = self.writer.opener()
            unit.drafts.append(self._draft(self.rng.choice(people), start, text, lang, tag="facet"))
        return unit

    def _bluesky_next(self) -> bool:
        """Steers towards the promised share of Bluesky posts without a visible pattern."""
        total = sum(self.posted.values()) or 1
        drift = BLUESKY_SHARE - self.posted["bluesky"] / total
        return self.rng.random() < min(0.95, max(0.05, BLUESKY_SHARE + 3 * drift))

    def _live(self, unit: Unit, people: list[Person], start: float) -> None:
        """A live-post thread: the first post tagged, each continuation an untagged reply to the last."""
        author = self.rng.choice(people)
        lang, text = self.writer.opener()
        chain = [self._draft(author, start, f"🧵 {text}", lang, tag="facet")]
        minute = start
        for number in range(2, self.rng.randint(5, 40) + 1):
            minute += self.rng.uniform(0.5, 3)
            text = self.writer.continuation(number)
            chain.append(self._draft(author, minute, text, parent=chain[-1].key))
        unit.drafts.extend(chain)
        for _ in range(self.rng.randint(0, 3)):
            parent = self.rng.choice(chain)
            lang, text = self.writer.reply()
            other = self._other(people, author)
            unit.drafts.append(self._reply(other, parent, text, lang))

    def _conversation(self, unit: Unit, people: list[Person], start: float) -> None:
        lang, text = self.writer.opener()
        root = self._draft(self.rng.choice(people), start, text, lang, tag="facet")
        unit.drafts.append(root)
        for _ in range(min(14, 1 + int(self.rng.expovariate(1 / 4)))):
            parent = root if self.rng.random() < 0.5 else self.rng.choice(unit.drafts)
            by_root = self.rng.random() < 0.25 and parent.person != root.person
            person = root.person if by_root else self._other(people, parent.person)
            lang, text = self.writer.reply()
            unit.drafts.append(self._reply(person, parent, text, lang))

    def _quote(self, start: float) -> Unit:
        """A tagged Bluesky post quoting either an earlier post of the event or a post from outside it."""
        unit = Unit("quote", "bluesky")
        if self.recent_bluesky and self.rng.random() < 0.5:
            quoted = self.rng.choice(self.recent_bluesky)
        else:
            outside = self.rng.choice(self.outsiders)
            text = f"New paper out today: {self.rng.choice(_PAPERS)}"
            unit.drafts.append(self._draft(outside, max(0.0, start - 30), text, link=self.writer.link()))
            quoted = unit.drafts[-1].key
        lang, text = self.writer.opener()
        author = self.rng.choice(self.bluesky_people)
        draft = self._draft(author, start, text, lang, tag="facet")
        unit.drafts.append(replace(draft, quote=quoted, alt=None, card=False))
        return unit

    def _crosspost(self, start: float) -> Unit:
        """One person, the same words on both platforms a few minutes apart."""
        lang, text = self.writer.opener()
        first = self._draft(self.rng.choice(self.crossposters), start, text, lang, tag="facet")
        self.counter += 1
        again = replace(first, key=f"p{self.counter}", minute=start + self.rng.uniform(0.2, 4), tag="facet")
        return Unit("crosspost", "both", [first, again])

    def _noise(self, start: float) -> Unit:
        """The event's name as a plain word, no hashtag: the word search finds it and it is not kept."""
        text = f"Packing for BenchConf, see you all there {self.rng.choice(('☕', '🚆', '✈️'))}"
        return Unit("noise", "bluesky", [self._draft(self.rng.choice(self.bluesky_people), start, text)])

    # -- one post -----------------------------------------------------------------------------------

    def _reply(self, person: Person, parent: Draft, text: str, lang: str) -> Draft:
        minute = min(parent.minute + self.rng.expovariate(1 / 10), _last_minute())
        tag: TagStyle = "facet" if self.rng.random() < TAGGED_REPLY_SHARE else "none"
        return self._draft(person, minute, text, lang, parent=parent.key, tag=tag)

    def _draft(
        self,
        person: Person,
        minute: float,
        text: str,
        lang: str = "en",
        *,
        parent: str | None = None,
        tag: TagStyle = "none",
        link: Link | None = None,
    ) -> Draft:
        self.counter += 1
        rng = self.rng
        if tag == "facet" and rng.random() < 0.05:
            tag = "text" if rng.random() < 0.6 else "record"  # typed without a facet, or in record.tags
        if link is None and rng.random() < LINK_SHARE:
            link = self.writer.link()
        alt = self.writer.alt() if rng.random() < IMAGE_SHARE else None
        return Draft(
            key=f"p{self.counter}",
            person=person,
            minute=min(minute, _last_minute()),
            text=text,
            lang=lang,
            parent=parent,
            tag=tag,
            alt=alt,
            link=link,
            card=link is not None and alt is None and rng.random() < 0.5,
        )

    def _other(self, people: list[Person], not_this: Person) -> Person:
        for _ in range(5):
            person = self.rng.choice(people)
            if person != not_this:
                return person
        return person

    def _start(self) -> float:
        """Most threads start during the sessions of one of three days; some in the evening."""
        day = self.rng.randrange(DAYS) * DAY_MINUTES
        if self.rng.random() < 0.88:
            return day + self.rng.uniform(0, SESSION_END)
        return day + self.rng.uniform(SESSION_END, EVENING_END)


def _last_minute() -> float:
    """Just before midnight after the third day (the window's end), counted from 09:00 on the first."""
    return DAYS * DAY_MINUTES - 9 * 60 - 1


def _cut(unit: Unit, room: int) -> Unit:
    """The last thread of an event cut to fit: a prefix of drafts is still a whole thread."""
    if unit.platform == "both":
        return Unit("single", "bluesky", unit.drafts[:1])
    keep = unit.drafts[:room]
    if unit.kind == "quote" and keep and keep[-1].quote is None:
        return Unit("single", unit.platform, [replace(keep[0], tag="facet")])
    return Unit(unit.kind, unit.platform, keep)


_FIRST = ("ada", "bea", "cyd", "dev", "eli", "fay", "gus", "hana", "ivo", "jun", "kai", "lea", "mo", "nia")
_PAPERS = (
    "a survey of open peer review in 40 journals",
    "what search filters miss, a validation study",
    "the cost of research data management, counted",
)
