"""What people write at a conference: sentences, emoji, other scripts, links and alt texts, seeded."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

TOPICS = (
    "open peer review",
    "search filters",
    "research data management",
    "citation metrics",
    "systematic reviews",
    "preprint servers",
    "metadata quality",
    "digital preservation",
    "library carpentry",
    "text and data mining",
    "open access funding",
    "persistent identifiers",
    "AI literacy",
    "evidence synthesis",
    "FAIR principles",
    "research software",
)
OPENERS = (
    "Great point on {topic} from {speaker}",
    "{speaker} is making the case for {topic} and the room is nodding",
    "Really useful session on {topic} this morning",
    "Question from the floor about {topic}: who pays for it?",
    "Slides on {topic} are going up after the break",
    "Loving the {topic} panel, especially the part about workflows",
    "Hot take from {speaker}: {topic} is a people problem, not a tech problem",
    "Three lessons on {topic} so far, notes below",
    "Poster {number} on {topic} deserves more attention",
    "Lunch conversations all about {topic} today",
)
CONTINUATIONS = (
    "Next slide: a survey of {number} libraries on {topic}.",
    "{speaker} says most of the cost is staff time, not licences.",
    "Key number: {number}% of respondents had no policy at all.",
    "Now on to the case study, a small team doing {topic} on a shoestring.",
    "Audience question: how do you measure success? Answer: you ask the users.",
    "The tooling matters less than the training, says {speaker}.",
    "A nice diagram of the workflow, from request to review to release.",
    "They piloted it for {number} weeks before rolling it out.",
    "Lots of agreement that {topic} needs shared standards.",
    "Wrapping up with recommendations, slides to follow.",
)
REPLIES = (
    "Agreed, we saw the same with {topic} at our place",
    "Do you have a link to the slides?",
    "Thanks for live-posting this, following from home",
    "Interesting! How big was the team?",
    "This matches our experience with {topic} exactly",
    "Was the session recorded?",
    "Great summary, thank you",
    "We tried this in {number} departments, happy to compare notes",
)
SPEAKERS = ("Dr Okafor", "Prof. Lindqvist", "Ms Tanaka", "Dr Haddad", "Mr Novak", "Dr Ruiz", "Prof. Chen")
EMOJI = ("🎉", "📚", "👏", "🔥", "💡", "🙌", "📊", "☕", "🧵", "🤔", "🇬🇧", "👩🏽‍🔬", "❤️")
# (language code, sentence): posts written in other scripts, as an international audience writes them;
# Cyrillic and Greek letters that look Latin are the point here, not a slip.
OTHER_SCRIPTS = (
    ("ja", "オープンアクセスについての素晴らしい発表でした"),
    ("zh", "关于研究数据管理的精彩报告"),
    ("ar", "جلسة رائعة حول البيانات المفتوحة والمكتبات"),
    ("ru", "Отличный доклад о метаданных и цифровом хранении"),  # noqa: RUF001
    ("el", "Εξαιρετική παρουσίαση για την ανοικτή πρόσβαση"),  # noqa: RUF001
    ("hi", "खुले विज्ञान पर शानदार सत्र"),
    ("ko", "연구 데이터 관리에 관한 훌륭한 발표"),
    ("he", "הרצאה מצוינת על גישה פתוחה בספריות"),
)
ALTS = (
    "A slide titled {topic}, with a bar chart of survey results by year",
    "Photo of the speaker at the lectern in front of a full room",
    "A workflow diagram: request, review, release, with arrows between them",
    "Screenshot of a dashboard showing usage statistics for {topic}",
    "The conference poster hall, crowded, with coffee cups on every table",
)


@dataclass(frozen=True)
class Link:
    """A page people share; `title` is what its card shows."""

    url: str
    title: str
    description: str


LINKS = tuple(
    Link(url, title, description)
    for url, title, description in (
        ("https://doi.org/10.5555/bench.{n}", "A study of {topic}", "Peer-reviewed article, open access."),
        ("https://slides.example.org/talks/{n}", "Slides: {topic}", "The slides of the talk."),
        ("https://github.com/bench-lab/tool-{n}", "bench-lab/tool-{n}", "Open-source tooling for {topic}."),
    )
)
# Of the links people share, this many point at a write-up of the event on a blog.
WRITEUP_SHARE = 0.3


class Writer:
    """Draws every piece of text from one seeded generator, so an event is the same for the same seed."""

    def __init__(self, rng: random.Random, writeups: Sequence[Link] = ()) -> None:
        self.rng = rng
        self.writeups = writeups

    def _fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            topic=rng.choice(TOPICS), speaker=rng.choice(SPEAKERS), number=rng.randint(2, 97)
        )

    def opener(self) -> tuple[str, str]:
        """(language, text) of a first post: now and then in another script, often with an emoji."""
        if self.rng.random() < 0.08:
            return self.rng.choice(OTHER_SCRIPTS)
        return "en", self._decorate(self._fill(self.rng.choice(OPENERS)))

    def continuation(self, number: int) -> str:
        return self._decorate(f"{number}/ {self._fill(self.rng.choice(CONTINUATIONS))}")

    def reply(self) -> tuple[str, str]:
        if self.rng.random() < 0.06:
            return self.rng.choice(OTHER_SCRIPTS)
        return "en", self._decorate(self._fill(self.rng.choice(REPLIES)))

    def alt(self) -> str:
        return self._fill(self.rng.choice(ALTS))

    def link(self) -> Link:
        if self.writeups and self.rng.random() < WRITEUP_SHARE:
            return self.rng.choice(self.writeups)
        template = self.rng.choice(LINKS)
        number, topic = self.rng.randint(1, 400), self.rng.choice(TOPICS)
        return Link(
            template.url.format(n=number),
            template.title.format(n=number, topic=topic),
            template.description.format(topic=topic),
        )

    def _decorate(self, text: str) -> str:
        if self.rng.random() < 0.3:
            text = f"{text} {self.rng.choice(EMOJI)}"
        return text
