"""The one rule for small numbers, for every figure, chart, table and export of a conference's data.

A count of 1 to 4 people (or connections) is never published: it reads "<5" (primary suppression).
Where a total and its parts are both known (registrants and their states; connections and the role
pairs; a group of roles in the network file and the role pairs inside it), a part could be worked
out by subtracting the others, so more parts are hidden beside it (complementary suppression): a
hidden part reads "suppressed", until no hidden part of any block can be pinned to one value from
what is published. The network file (exporters.graphml) publishes roles in groups that hold at
least 5 people, with 0 or at least 5 edges each way between any two groups (`role_groups`), and
the figures hide their role pairs by the same groups. Dashboard, charts, CSV and JSON figures,
snapshots and GraphML all take their numbers through this module.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

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


def _pinned(cells: list[Count]) -> bool:
    """Whether the hidden cells of a block whose total is known leave any of them one possible value."""
    hidden = [c for c in cells if c.suppressed]
    if not hidden:
        return False
    total = sum(c.raw for c in hidden)   # known: the block's total minus its shown parts
    for i, cell in enumerate(hidden):
        others = hidden[:i] + hidden[i + 1:]
        least = max(cell.low, total - sum(c.high for c in others))
        most = min(cell.high, total - sum(c.low for c in others))
        if least >= most:
            return True
    return False


def protect(values: Mapping[Hashable, int], blocks: Iterable[Iterable[Hashable]] = ()) -> dict[Hashable, Count]:
    """Every value as a Count. `blocks` are sets of keys whose sum is published (or can be worked out):
    in each, more parts are hidden, smallest first, until no hidden one can be worked out."""
    counts = {key: Count(int(value)) for key, value in values.items()}
    blocks = [list(dict.fromkeys(block)) for block in blocks]
    changed = True
    while changed:
        changed = False
        for block in blocks:
            while _pinned([counts.get(key, Count(0)) for key in block]):
                spare = sorted((counts[key].raw, str(key)) for key in block
                               if key in counts and counts[key].raw and not counts[key].suppressed)
                if not spare:
                    break  # every part is hidden already: nothing more this block can do
                key = next(k for k in block if str(k) == spare[0][1])
                counts[key] = Count(counts[key].raw, complement=True)
                changed = True
    return counts


def still_pinned(counts: Mapping[Hashable, Count], blocks: Iterable[Iterable[Hashable]]) -> bool:
    """Whether some block of `protect`'s answer still leaves a hidden part one possible value (every
    part of it was small, e.g. two huddles of 1 beside a total of 2): that breakdown is withheld."""
    return any(_pinned([counts.get(key, Count(0)) for key in block]) for block in blocks)


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
