"""A conference of N posts in the platforms' wire formats, built with the replay builders from a seed."""

from __future__ import annotations

import gc
import html
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from benchmarks.blog import writeup_links, writeups
from benchmarks.drafts import Draft, Planner, Unit
from benchmarks.texts import Link
from confthread.replay.blog import BlogSite
from confthread.replay.build_bluesky import Network
from confthread.replay.build_mastodon import Instance

TAG = "BenchConf"
SINCE = datetime(2026, 6, 10, tzinfo=UTC)
UNTIL = datetime(2026, 6, 13, tzinfo=UTC)
HOSTS = ("mastodon.bench.example", "glam.bench.example")
# How often a thread on one instance is also seen whole on the other (someone there follows its author).
FEDERATED_SHARE = 0.3


@dataclass
class Event:
    """A generated conference: what the replayed Bluesky and each replayed instance hold, and its mix."""

    size: int
    seed: int
    blog: BlogSite
    network: Network = field(default_factory=Network)
    instances: dict[str, Instance] = field(default_factory=dict)
    mix: Counter[str] = field(default_factory=Counter)


def generate(size: int, seed: int = 1) -> Event:
    """`size` posts (each post once, however many instances show it), the same for the same seed;
    and beside them, blog write-ups of the event (one per 400 posts) that some posts link to."""
    if size < 1:
        raise ValueError(f"an event needs at least one post, not {size}")
    blog = writeups(size, random.Random(seed + 2), TAG)
    event = Event(size, seed, blog, instances={host: Instance(host) for host in HOSTS})
    emitter = _Emitter(event, random.Random(seed + 1))
    # Millions of small acyclic dicts: the cycle collector would rescan them all, again and again,
    # and make a 100,000-post event take twice as long for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for unit in Planner(size, seed, HOSTS, writeup_links(blog)).units():
            emitter.emit(unit)
    finally:
        if collecting:
            gc.enable()
    return event


class _Emitter:
    """Puts drafts on their platform through `Network` and `Instance`, amending only what they cannot
    say (text, links, language), so the replay servers hold what the builders make; author and
    account objects are shared between posts, not repeated, to keep 100,000 posts small."""

    def __init__(self, event: Event, rng: random.Random) -> None:
        self.event = event
        self.rng = rng
        self.authors: dict[str, Any] = {}
        self.accounts: dict[tuple[str, str], Any] = {}

    def emit(self, unit: Unit) -> None:
        mix = self.event.mix
        mix[f"threads.{unit.kind}"] += 1
        mix["posts"] += unit.size
        if unit.platform == "both":
            self._bluesky([unit.drafts[0]])
            self._mastodon(unit.drafts[1:])
        elif unit.platform == "bluesky":
            self._bluesky(unit.drafts)
        else:
            self._mastodon(unit.drafts)
        for draft in unit.drafts:
            mix["images"] += draft.alt is not None
            mix["links"] += draft.link is not None
            mix["replies"] += draft.parent is not None
            mix["other_scripts"] += draft.lang != "en"
            mix["emoji"] += draft.lang == "en" and not draft.text.isascii()
        if unit.kind == "live":
            mix["posts.live"] += sum(d.person == unit.drafts[0].person for d in unit.drafts)

    # -- Bluesky ------------------------------------------------------------------------------------

    def _bluesky(self, drafts: Iterable[Draft]) -> None:
        network = self.event.network
        for draft in drafts:
            text, link_span = _with_link(draft.text, draft.link)
            network.add(
                draft.key,
                draft.person.name,
                draft.minute,
                reply_to=draft.parent,
                tag=TAG if draft.tag == "facet" else None,
                text_tag=TAG if draft.tag == "text" else None,
                record_tag=TAG.lower() if draft.tag == "record" else None,
                quote=draft.quote,
                alt=draft.alt,
                opted_out=draft.person.opted_out,
                text=text,
            )
            view = network.posts[-1]
            view["author"] = self.authors.setdefault(draft.person.name, view["author"])
            record = view["record"]
            record["langs"] = [draft.lang]
            if draft.link is not None and link_span is not None:
                start, end = link_span
                record["facets"].append(
                    {
                        "index": {"byteStart": start, "byteEnd": end},
                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": draft.link.url}],
                    }
                )
                if draft.card and "embed" not in record:
                    _bluesky_card(view, draft.link)
            self.event.mix["bluesky"] += 1
            self.event.mix["quotes"] += draft.quote is not None

    # -- Mastodon -----------------------------------------------------------------------------------

    def _mastodon(self, drafts: list[Draft]) -> None:
        """Every post on its author's instance; the other sees its own people's replies and what they
        answered, and now and then the whole thread."""
        if not drafts:
            return
        home = drafts[0].person.home or HOSTS[0]
        by_key = {draft.key: draft for draft in drafts}
        for host, instance in self.event.instances.items():
            if host == home or self.rng.random() < FEDERATED_SHARE:
                seen = {draft.key for draft in drafts}
            else:
                seen = _seen_from(host, drafts)
            for draft in drafts:
                if draft.key in seen:
                    self._add_status(instance, draft, by_key)
        self.event.mix["mastodon"] += len(drafts)

    def _add_status(self, instance: Instance, draft: Draft, by_key: dict[str, Draft]) -> None:
        person = draft.person
        instance.add(
            draft.key,
            person.name,
            draft.minute,
            home=person.home,
            reply_to=draft.parent,
            tags=(TAG,) if draft.tag != "none" else (),
            noindex=person.opted_out,
            alt=draft.alt,
        )
        status = instance.statuses[-1]
        account_key = (person.name, instance.host)
        status["account"] = self.accounts.setdefault(account_key, status["account"])
        tail = str(status["content"]).removeprefix(f"<p>Post {draft.key}").removesuffix("</p>")
        mention = ""
        parent = by_key.get(draft.parent or "")
        if parent is not None and parent.person != person:
            mention = _mention(parent.person.name, parent.person.home or instance.host)
            status["mentions"] = [_mention_entity(parent.person.name, parent.person.home or instance.host)]
        link = ""
        if draft.link is not None:
            href, shown = html.escape(draft.link.url), draft.link.url.removeprefix("https://")
            link = f' <a href="{href}" rel="nofollow noopener" target="_blank">{shown}</a>'
            if draft.card:
                status["card"] = _mastodon_card(draft.link)
        status["content"] = f"<p>{mention}{html.escape(draft.text, quote=False)}{link}{tail}</p>"
        status["language"] = draft.lang
        self.event.mix[f"copies.{instance.host}"] += 1


def _seen_from(host: str, drafts: list[Draft]) -> set[str]:
    """What reaches another instance: its own people's posts and the chain each of them answered."""
    by_key = {draft.key: draft for draft in drafts}
    seen: set[str] = set()
    for draft in drafts:
        if draft.person.home == host:
            current: Draft | None = draft
            while current is not None and current.key not in seen:
                seen.add(current.key)
                current = by_key.get(current.parent or "")
    return seen


def _with_link(text: str, link: Link | None) -> tuple[str, tuple[int, int] | None]:
    """The text with the link as Bluesky clients show it, and the link's span in UTF-8 bytes."""
    if link is None:
        return text, None
    shown = link.url.removeprefix("https://")
    start = len(f"{text} ".encode())
    return f"{text} {shown}", (start, start + len(shown.encode()))


def _bluesky_card(view: dict[str, Any], link: Link) -> None:
    external = {"uri": link.url, "title": link.title, "description": link.description}
    view["record"]["embed"] = {"$type": "app.bsky.embed.external", "external": external}
    view["embed"] = {"$type": "app.bsky.embed.external#view", "external": external}


def _mention(name: str, home: str) -> str:
    return (
        f'<span class="h-card" translate="no"><a href="https://{home}/@{name}" class="u-url mention">'
        f"@<span>{name}</span></a></span> "
    )


def _mention_entity(name: str, home: str) -> dict[str, str]:
    return {"id": "0", "username": name, "url": f"https://{home}/@{name}", "acct": f"{name}@{home}"}


def _mastodon_card(link: Link) -> dict[str, Any]:
    return {
        "url": link.url,
        "title": link.title,
        "description": link.description,
        "language": "en",
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": "",
        "provider_url": "",
        "html": "",
        "width": 400,
        "height": 200,
        "image": None,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": None,
    }


def main(argv: list[str]) -> int:
    """`python -m benchmarks.generate N [SEED]`: how long N posts take to make, and their mix."""
    size, seed = int(argv[0]), int(argv[1]) if len(argv) > 1 else 1
    started = time.perf_counter()
    event = generate(size, seed)
    seconds = time.perf_counter() - started
    print(f"{size} posts in {seconds:.2f} s")
    for name, count in sorted(event.mix.items()):
        print(f"  {name}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
