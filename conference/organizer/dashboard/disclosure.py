"""The one rule for small numbers, for every figure, chart, table and export of a conference's data.

A count of 1 to 4 people (or connections) is never published: it reads "<5" (primary suppression).
Where a total and its parts are both known (registrants and their states; connections and the role
pairs; a group of roles in the network file and the role pairs inside it), a part could be worked
out by subtracting the others, so more parts are hidden beside it (complementary suppression): a
hidden part reads "suppressed", until no hidden part of any block can be pinned to one value from
what is published. Where every part of a block is hidden and one can still be pinned (two cells of
4 beside a total of 8), hiding more cannot help: `protect` records the block as withheld and
refuses to hand out any of its cells, and `Breakdowns.publish` leaves the breakdown out whole and
names it, so every page and export says it is left out. The network file (exporters.graphml)
publishes roles in groups that hold at least 5 people, with 0 or at least 5 edges each way between
any two groups (`role_groups`), and the figures hide their role pairs by the same groups.
Dashboard, charts, CSV and JSON figures, snapshots and GraphML all take their numbers through
this module.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

SMALL = 5
MARKER = f"<{SMALL}"
COMPLEMENT = "suppressed"


@dataclass(frozen=True)
class Count:
    """People (or connections) in one cell: 1 to 4 read "<5"; a part hidden beside one reads "suppressed"."""

    raw: int
    complement: bool = False     # hidden so that a small part beside it can't be worked out

    @property
    def small(self) -> bool:
        return 0 < self.raw < SMALL

    @property
    def suppressed(self) -> bool:
        return self.small or self.complement

    @property
    def shown(self) -> str:
        return MARKER if self.small else COMPLEMENT if self.complement else f"{self.raw:,}"

    @property
    def value(self) -> int | str:
        """For CSV and JSON: the number, "<5", or "suppressed"."""
        return MARKER if self.small else COMPLEMENT if self.complement else self.raw

    @property
    def plot(self) -> int:
        """The length a chart may draw: a suppressed cell draws nothing and is labelled instead."""
        return 0 if self.suppressed else self.raw

    @property
    def low(self) -> int:
        """The least the published value allows."""
        return 1 if self.small else SMALL if self.complement else self.raw

    @property
    def high(self) -> float:
        """The most the published value allows."""
        return SMALL - 1 if self.small else float("inf") if self.complement else self.raw

    @property
    def order(self) -> tuple:
        """Sort key from the published value only: largest shown first, then suppressed, then zeros."""
        if self.suppressed:
            return (1, 0)
        return (0, -self.raw) if self.raw else (2, 0)


def _pinned(cells: list[Count], unseen: list[bool] | None = None) -> bool:
    """Whether the hidden cells of a block whose total is known leave any of them one possible value.

    An `unseen` part is never published: it could be anything from 0 up, so only the other hidden
    cells are tested (without `unseen`, every part is taken as what it reads)."""
    unseen = unseen or [False] * len(cells)
    bounds = [(c.raw, 0, float("inf"), True) if away else (c.raw, c.low, c.high, False)
              for c, away in zip(cells, unseen) if away or c.suppressed]
    if not bounds:
        return False
    total = sum(raw for raw, *_ in bounds)   # known: the block's total minus its shown parts
    for i, (_, low, high, away) in enumerate(bounds):
        if away:
            continue
        others = bounds[:i] + bounds[i + 1:]
        least = max(low, total - sum(o[2] for o in others))
        most = min(high, total - sum(o[1] for o in others))
        if least >= most:
            return True
    return False


class Withheld(Exception):
    """A cell of a withheld block was read: its breakdown is to be left out, not published.

    Not a KeyError, so that `.get(key, default)` cannot turn it into a published default."""


class Protected(Mapping):
    """`protect`'s answer: each value as a Count, or, when some block is `withheld`, nothing at all."""

    def __init__(self, counts: dict[Hashable, Count], withheld: tuple[tuple[Hashable, ...], ...]) -> None:
        self._counts = counts
        self.withheld = withheld     # the blocks in which a hidden part can still be worked out

    def _readable(self) -> dict[Hashable, Count]:
        if self.withheld:
            raise Withheld(f"{len(self.withheld)} block(s) would give a hidden part away")
        return self._counts

    def __getitem__(self, key: Hashable) -> Count:
        return self._readable()[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._readable())

    def __len__(self) -> int:
        return len(self._readable())


def protect(values: Mapping[Hashable, int], blocks: Iterable[Iterable[Hashable]] = (),
            unseen: Iterable[Hashable] = ()) -> Protected:
    """Every value as a Count. `blocks` are sets of keys whose sum is published (or can be worked out):
    in each, more parts are hidden, smallest first, until no hidden one can be worked out. `unseen`
    keys are parts nobody publishes (registrants who gave no state): while hiding they count as
    known, like every part, but a block whose every published part is hidden is withheld only if a
    part can be worked out with them unknown."""
    counts = {key: Count(int(value)) for key, value in values.items()}
    blocks = [list(dict.fromkeys(block)) for block in blocks]
    unseen = set(unseen)
    changed = True
    while changed:
        changed = False
        for block in blocks:
            while _pinned([counts.get(key, Count(0)) for key in block]):
                spare = sorted((counts[key].raw, str(key)) for key in block
                               if key in counts and counts[key].raw and not counts[key].suppressed)
                if not spare:
                    break  # every part is hidden already: withheld below, unless an unseen part covers it
                key = next(k for k in block if str(k) == spare[0][1])
                counts[key] = Count(counts[key].raw, complement=True)
                changed = True
    withheld = tuple(tuple(block) for block in blocks
                     if _pinned([counts.get(key, Count(0)) for key in block], [key in unseen for key in block]))
    return Protected(counts, withheld)


T = TypeVar("T")


class Breakdowns:
    """The one way to publish a breakdown from `protect`'s answers: built from them, or, when one of
    them is withheld, left out whole (`empty`) with its name in `withheld`, for the page and the
    exports to say so."""

    def __init__(self) -> None:
        self.withheld: list[str] = []

    def publish(self, name: str, empty: T, build: Callable[..., T], *protected: Protected) -> T:
        if any(p.withheld for p in protected):
            self.withheld.append(name)
            return empty
        return build(*protected)


def role_groups(people: Mapping[str, int], edges: Mapping[tuple[str, str], int],
                order: list[str]) -> list[tuple[str, ...]]:
    """The roles (those with people), grouped so that each group holds 0 or at least 5 people and
    the directed edges from any group to any group (itself included) number 0 or at least 5.

    The smallest group at fault is merged with the group it has too few edges with (or, for too few
    people, the next smallest group) until nothing is at fault or one group is left."""
    groups = [(role,) for role in order if people.get(role, 0)]

    def size(group) -> int:
        return sum(people.get(role, 0) for role in group)

    def between(g, h) -> int:
        return sum(edges.get((a, b), 0) for a in g for b in h)

    while len(groups) > 1:
        faults: list[tuple[int, int, tuple, tuple | None]] = []
        for g in groups:
            if 0 < size(g) < SMALL:
                faults.append((size(g), order.index(g[0]), g, None))
            for h in groups:
                if 0 < between(g, h) < SMALL:
                    small, other = sorted((g, h), key=lambda x: (size(x), order.index(x[0])))
                    faults.append((size(small), order.index(small[0]), small, other if other != small else None))
        if not faults:
            break
        _, _, group, partner = min(faults, key=lambda f: f[:2])
        if partner is None:
            partner = min((x for x in groups if x != group), key=lambda x: (size(x), order.index(x[0])))
        merged = tuple(role for role in order if role in group or role in partner)
        groups = [x for x in groups if x not in (group, partner)] + [merged]
        groups.sort(key=lambda x: order.index(x[0]))
    return groups


def group_label(group: tuple[str, ...]) -> str:
    """How the network file names a group: the role key, or the keys joined by "|"."""
    return "|".join(group)


def role_pair_blocks(groups: list[tuple[str, ...]], order: list[str]) -> list[list[tuple[str, str]]]:
    """The unordered role pairs whose sums the network file publishes: one block per pair of
    groups (a group with itself included), and all pairs together (the number of edges)."""
    def pair(a: str, b: str) -> tuple[str, str]:
        return tuple(sorted((a, b), key=order.index))

    blocks = []
    for i, g in enumerate(groups):
        for h in groups[i:]:
            blocks.append(list(dict.fromkeys(pair(a, b) for a in g for b in h)))
    blocks.append([pair(a, b) for i, a in enumerate(order) for b in order[i:]])
    return blocks
