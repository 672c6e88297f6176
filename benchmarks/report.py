"""The benchmark's results as Markdown: one table of stages, one of a collect's requests in detail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One stage at one size; None where a stage was not measured (the notes say why)."""

    stage: str
    size: int | None
    seconds: float | None
    peak_mib: float | None
    requests: str = "—"
    notes: str = ""


@dataclass(frozen=True)
class SourceRow:
    """What one source of a collect asked for, against what its data needs."""

    size: int
    source: str
    made: Mapping[str, int]
    minimum: Mapping[str, int]
    refused: int
    unavoidable: float
    childless: int = 0


def markdown(title: str, settings: Sequence[str], rows: Sequence[Row], sources: Sequence[SourceRow]) -> str:
    lines = [f"# {title}", "", *(f"- {line}" for line in settings), "", "## Stages", ""]
    lines += [
        "| stage | N | wall time | peak memory | requests | notes |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        size = f"{row.size:,}" if row.size is not None else ""
        measured = f"{_seconds(row.seconds)} | {_mib(row.peak_mib)}"
        lines.append(f"| {row.stage} | {size} | {measured} | {row.requests} | {row.notes} |")
    if sources:
        lines += ["", "## Collect requests by source", ""]
        lines += [
            "| N | source | endpoint: made / minimum | 429s | unavoidable | notes |",
            "| ---: | --- | --- | ---: | ---: | --- |",
        ]
        for source in sources:
            endpoints = sorted(set(source.made) | set(source.minimum))
            counts = ", ".join(
                f"{name}: {source.made.get(name, 0):,} / {source.minimum.get(name, 0):,}"
                for name in endpoints
            )
            notes = (
                f"{source.childless:,} thread fetches of posts listed without replies"
                if source.childless
                else ""
            )
            lines.append(
                f"| {source.size:,} | {source.source} | {counts} | {source.refused:,} | "
                f"{_seconds(source.unavoidable)} | {notes} |"
            )
    return "\n".join(lines) + "\n"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:,.2f} s"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MiB"
