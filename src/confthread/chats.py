"""Q&A chats (#uklibchat style): a host's numbered questions and everyone's answers, as one thread. Pure.

A host posts questions labelled Q1, Q2, … at the start of the text (after any mentions or hashtags;
'Q1', 'q1:', 'Q1.' and 'Q1)' alike). Questions by one account less than CHAT_GAP apart make one chat,
which counts as a chat when it has two numbered questions or any labelled answer. An answer is labelled
A1, 'a1:', 'A1)' … and posted between the first question and CHAT_TAIL after the last; it goes under the
question of its number. A reply without a label goes under the post it answers, so an unlabelled answer
to a question is read under that question. The chat reads question by question: each question, then
its answers by time, each followed by the replies to it. A post is never read before the post it
replies to: an answer labelled for an earlier question than the one it replies to stays under its parent.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from confthread.models import ChatQuestion, Post, Thread, ThreadEntry
from confthread.threads import post_key, reading_order, reply_parents, thread_id, unique_posts

CHAT_GAP = timedelta(hours=2)
CHAT_TAIL = timedelta(hours=1)

_LEAD = r"^\s*(?:[@#][^\s]+\s+)*"
QUESTION = re.compile(_LEAD + r"q(\d{1,3})(?![\w])", re.IGNORECASE)
ANSWER = re.compile(_LEAD + r"a(\d{1,3})(?![\w])", re.IGNORECASE)


def label(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.match(text)
    return int(match.group(1)) if match else None


@dataclass
class _Chat:
    questions: list[tuple[int, Post]]
    answers: list[tuple[int, Post]] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.questions[0][1].created_at

    @property
    def end(self) -> datetime:
        return self.questions[-1][1].created_at + CHAT_TAIL

    def question_for(self, number: int, post: Post) -> Post | None:
        """The latest question of that number asked before the answer; an answer never precedes it."""
        before = [q for n, q in self.questions if n == number and post_key(q) < post_key(post)]
        return before[-1] if before else None


def chat_threads(
    posts: Iterable[Post],
    withheld: Mapping[str, int] | None = None,
    also_at: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[list[Thread], list[Post]]:
    """The chats as threads of kind "chat", and every post that belongs to none of them."""
    by_uri = unique_posts(posts)
    threads, claimed = chats_of(by_uri, None, withheld or {}, also_at or {})
    return threads, [post for uri, post in by_uri.items() if uri not in claimed]


def chats_of(
    by_uri: Mapping[str, Post],
    parents: Mapping[str, str] | None,
    withheld: Mapping[str, int],
    also_at: Mapping[str, tuple[str, ...]],
) -> tuple[list[Thread], set[str]]:
    """`chat_threads` of posts already made unique (`unique_posts`), with the uris of the posts the chats
    hold; `parents` are their `reply_parents`, worked out here only when there is a chat (None)."""
    chats = _find_chats(list(by_uri.values()))
    if not chats:  # most events hold none: no need for the reply tree
        return [], set()
    if parents is None:
        parents = reply_parents(by_uri)
    children: dict[str, list[Post]] = {}
    for uri, parent in parents.items():
        children.setdefault(parent, []).append(by_uri[uri])
    asked = {post.uri for chat in chats for _, post in chat.questions}
    claimed: set[str] = set()
    threads: list[Thread] = []
    for chat in chats:
        members = _members(chat, parents, children, asked, claimed)
        if not any(post.uri in members for _, post in chat.questions):
            continue
        claimed |= members
        threads.append(_thread(chat, members, by_uri, parents, withheld, also_at))
    return threads, claimed


def _find_chats(posts: Sequence[Post]) -> list[_Chat]:
    runs: dict[tuple[str, str], list[_Chat]] = {}
    for post in posts:  # in time order
        # `label`, without a call for each post; a question can only open with a space, '@', '#' or 'q'.
        first = post.text[:1]
        if not (first in "qQ@#" or first.isspace()) or (match := QUESTION.match(post.text)) is None:
            continue
        number = int(match.group(1))
        host = runs.setdefault((post.author.platform, post.author.id), [])
        if host and post.created_at - host[-1].questions[-1][1].created_at <= CHAT_GAP:
            host[-1].questions.append((number, post))
        else:
            host.append(_Chat([(number, post)]))
    chats = sorted(
        (chat for host in runs.values() for chat in host), key=lambda c: post_key(c.questions[0][1])
    )
    if not chats:
        return []
    asked = {post.uri for chat in chats for _, post in chat.questions}
    for post in posts:
        answered = label(ANSWER, post.text)
        if answered is None or post.uri in asked:
            continue
        # The chat that began last before the answer and asked its number takes it.
        open_chats = [
            chat
            for chat in chats
            if chat.start <= post.created_at <= chat.end and chat.question_for(answered, post) is not None
        ]
        if open_chats:
            open_chats[-1].answers.append((answered, post))
    return [chat for chat in chats if len({n for n, _ in chat.questions}) >= 2 or chat.answers]


def _members(
    chat: _Chat,
    parents: Mapping[str, str],
    children: Mapping[str, list[Post]],
    asked: set[str],
    claimed: set[str],
) -> set[str]:
    """The chat's questions, its labelled answers that answer nothing else, and every reply below them."""
    own = {post.uri for _, post in chat.questions}
    starts = [post for _, post in chat.questions] + [
        post for _, post in chat.answers if post.uri not in parents
    ]
    members: set[str] = set()
    stack = [post for post in starts if post.uri not in claimed]
    while stack:
        post = stack.pop()
        if post.uri in members:
            continue
        members.add(post.uri)
        stack.extend(
            reply
            for reply in children.get(post.uri, [])
            if reply.uri not in claimed and (reply.uri not in asked or reply.uri in own)
        )
    return members


def _thread(
    chat: _Chat,
    members: set[str],
    by_uri: Mapping[str, Post],
    parents: Mapping[str, str],
    withheld: Mapping[str, int],
    also_at: Mapping[str, tuple[str, ...]],
) -> Thread:
    questions = sorted(
        ((number, post) for number, post in chat.questions if post.uri in members),
        key=lambda pair: (pair[0], *post_key(pair[1])),
    )
    position = {post.uri: index for index, (_, post) in enumerate(questions)}
    labelled = {post.uri: number for number, post in chat.answers if post.uri in members}
    placed: dict[str, list[Post]] = {}
    for uri in sorted(members - position.keys(), key=lambda u: post_key(by_uri[u])):
        parent = parents.get(uri)
        asked = chat.question_for(labelled[uri], by_uri[uri]) if uri in labelled else None
        # The label wins, unless it would put the answer before the question it replies to.
        if (
            asked is not None
            and asked.uri in position
            and (parent is None or (parent in position and position[asked.uri] >= position[parent]))
        ):
            parent = asked.uri
        if parent is not None:
            placed.setdefault(parent, []).append(by_uri[uri])

    proposed: list[tuple[Post, int]] = []
    for _, question in questions:
        _walk(question, 0, placed, proposed, set(position))
    walked = {post.uri for post, _ in proposed}
    for uri in sorted(members - walked, key=lambda u: post_key(by_uri[u])):
        if uri not in walked:  # only broken data leaves a post unplaced; it is still read, once
            start = len(proposed)
            _walk(by_uri[uri], 0, placed, proposed, set(position))
            walked.update(post.uri for post, _ in proposed[start:])
    entries = _parents_first(proposed, parents, members, set(position))
    numbers = {post.uri: number for number, post in questions}
    return Thread(
        id=thread_id(entries[0][0]),
        kind="chat",
        entries=tuple(
            ThreadEntry(post, depth, withheld.get(post.uri, 0), also_at.get(post.uri, ()))
            for post, depth in entries
        ),
        questions=_questions(entries, numbers),
    )


def _walk(
    post: Post, depth: int, placed: Mapping[str, list[Post]], out: list[tuple[Post, int]], questions: set[str]
) -> None:
    stack = [(post, depth)]
    while stack:
        current, level = stack.pop()
        out.append((current, level))
        if current.uri in questions and current is not post:
            continue
        under = placed.get(current.uri, [])
        ordered = sorted(under, key=post_key) if current.uri in questions else reading_order(current, under)
        stack.extend(
            (
                reply,
                level if reply.author.id == current.author.id and current.uri not in questions else level + 1,
            )
            for reply in reversed(ordered)
        )


def _parents_first(
    proposed: Sequence[tuple[Post, int]], parents: Mapping[str, str], members: set[str], questions: set[str]
) -> list[tuple[Post, int]]:
    """The proposed order, except that a post waits for the post it replies to and then follows it.

    A question never waits: it starts its part of the chat. Should it reply to a post that can only
    come later (which only odd data holds), that reply link is dropped, as a reply cycle's would be.
    """
    out: list[tuple[Post, int]] = []
    done: set[str] = set()
    waiting: dict[str, list[Post]] = {}

    def emit(post: Post, depth: int) -> None:
        stack = [(post, depth)]
        while stack:
            current, level = stack.pop()
            if current.uri in done:
                continue
            out.append((current, level))
            done.add(current.uri)
            stack.extend((reply, level + 1) for reply in reversed(waiting.pop(current.uri, [])))

    for post, depth in proposed:
        parent = parents.get(post.uri)
        if parent not in members or parent in done:
            emit(post, depth)
        elif post.uri in questions:
            emit(dataclasses.replace(post, reply_to=None), depth)
        else:
            waiting.setdefault(parent, []).append(post)
    return out


def _questions(entries: Sequence[tuple[Post, int]], numbers: Mapping[str, int]) -> tuple[ChatQuestion, ...]:
    sections: list[ChatQuestion] = []
    for post, _ in entries:
        if post.uri in numbers:
            sections.append(ChatQuestion(numbers[post.uri], post.uri))
        elif sections:
            last = sections[-1]
            sections[-1] = ChatQuestion(last.number, last.question, (*last.answers, post.uri))
    return tuple(sections)
