"""The seat rules, as pure functions over a hall's plan and the seats taken - no database here.

The callers read the state (under the locks when they write: booking/services/seating.py) and
decide what a refusal means; these functions only reason about rows.

- A **row** is a hall row's seats by number. Two seats are side by side when their drawing
  positions touch (`x` differs by one); an aisle is a step of more. The row's ends and its aisles
  bound its **segments**.
- A **single-seat gap** is a free seat with nothing free beside it - on each side a taken seat, an
  aisle or the row's end - and a taken seat on at least one side (a one-seat segment between two
  aisles is nobody's doing). Wheelchair spaces and companion seats are never gaps (they are sold
  with their pair, not one by one) but count as free neighbours. A hold is refused for a gap it
  makes, unless no block of that many seats in that row, open to the customer, would make none:
  `gap_refusal`. Gaps that were there before the hold are not its doing.
- **Best available** (`best_choice`) proposes N seats side by side in one row (within a segment
  where possible), nearest the hall's ideal spot; failing that, the best split: fewest rows,
  nearest together. It never makes a gap while a choice without one exists, and whatever it
  proposes passes `gap_refusal`.
- **Wheelchair spaces and companions** are held back for bookings with a wheelchair space until
  the release time (`accessibility_refused`); a companion seat only with its own space.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from math import hypot

from screening.models import ACCESSIBLE_SPACES, SeatType

# A row further back or forward counts this many seats sideways: rows are spaced wider than seats.
ROW_WEIGHT = 1.5


@dataclass(frozen=True, slots=True)
class PlanSeat:
    id: int
    row: int  # the index of its row in the plan, from the screen backwards
    index: int  # its index in its row
    label: str
    x: int
    y: int
    seat_type: str
    pair: int | None  # a companion seat's wheelchair space

    @property
    def accessible_space(self) -> bool:
        """A wheelchair space or a companion seat: held back for accessible bookings."""
        return self.seat_type in ACCESSIBLE_SPACES


@dataclass
class HallPlan:
    """A hall's seats as rows, and where best available aims. Built once per layout
    (`hall_plan_build`) and shared: nothing here changes after it is built, except the cache of
    ranked blocks, which only ever gains entries."""

    rows: tuple[tuple[PlanSeat, ...], ...]
    seats: dict[int, PlanSeat]
    ideal_x: float
    ideal_y: float
    # size -> (blocks, their seat ids). A plan is shared by the threads of a process: both lists
    # are published by one assignment, so no thread sees one without the other.
    _blocks: dict[int, tuple[list[tuple[tuple, int, int]], list[frozenset[int]]]] = field(
        default_factory=dict, repr=False
    )

    @property
    def capacity(self) -> int:
        return len(self.seats)

    def left(self, seat: PlanSeat) -> PlanSeat | None:
        """The seat beside this one on the left, or None at an aisle or the row's end."""
        if seat.index == 0:
            return None
        other = self.rows[seat.row][seat.index - 1]
        return other if seat.x - other.x == 1 else None

    def right(self, seat: PlanSeat) -> PlanSeat | None:
        row = self.rows[seat.row]
        if seat.index + 1 == len(row):
            return None
        other = row[seat.index + 1]
        return other if other.x - seat.x == 1 else None

    def distance(self, seats: Iterable[PlanSeat]) -> float:
        """How far the centre of `seats` is from the ideal spot."""
        seats = list(seats)
        x = sum(seat.x for seat in seats) / len(seats)
        y = sum(seat.y for seat in seats) / len(seats)
        return hypot(x - self.ideal_x, ROW_WEIGHT * (y - self.ideal_y))

    def blocks(self, size: int) -> list[tuple[tuple, int, int]]:
        """Every run of `size` seats with consecutive numbers in a row, best first:
        `(rank, row, start index)`. Runs within a segment come before runs across an aisle;
        then the nearer the ideal spot, the better."""
        return self._ranked(size)[0]

    def block_ids(self, size: int) -> list[frozenset[int]]:
        """The seat ids of each of `blocks(size)`, in the same order: a taken seat rules a block
        out with one set operation."""
        return self._ranked(size)[1]

    def _ranked(self, size: int) -> tuple[list[tuple[tuple, int, int]], list[frozenset[int]]]:
        ranked = self._blocks.get(size)
        if ranked is None:
            blocks = []
            for r, row in enumerate(self.rows):
                for start in range(len(row) - size + 1):
                    run = row[start : start + size]
                    aisles = sum(1 for a, b in pairwise(run) if b.x - a.x > 1)
                    blocks.append(((aisles, self.distance(run), r, start), r, start))
            blocks.sort()
            ids = [
                frozenset(seat.id for seat in self.rows[r][start : start + size])
                for _rank, r, start in blocks
            ]
            ranked = self._blocks[size] = (blocks, ids)
        return ranked


def hall_plan_build(
    seats: Iterable[tuple[int, str, int, str, int, int, int | None]],
    *,
    ideal_across: int = 50,
    ideal_back: int = 67,
) -> HallPlan:
    """The plan of a hall from its seats `(id, row label, number, type, x, y, pair id)` and its
    ideal spot (percent of the width from the left and of the depth from the screen)."""
    by_row: dict[int, list] = {}
    labels: dict[int, str] = {}
    for seat_id, label, number, seat_type, x, y, pair in seats:
        by_row.setdefault(y, []).append((x, number, seat_id, seat_type, pair))
        labels[y] = label
    rows, index = [], {}
    for r, y in enumerate(sorted(by_row)):
        row = tuple(
            PlanSeat(seat_id, r, i, f"{labels[y]}{number}", x, y, seat_type, pair)
            for i, (x, number, seat_id, seat_type, pair) in enumerate(sorted(by_row[y]))
        )
        rows.append(row)
        index.update((seat.id, seat) for seat in row)
    width = max((seat.x for seat in index.values()), default=0)
    depth = max((seat.y for seat in index.values()), default=0)
    return HallPlan(tuple(rows), index, width * ideal_across / 100, depth * ideal_back / 100)


# Single-seat gaps


def is_gap(
    plan: HallPlan, seat: PlanSeat, taken: Collection[int], also: Collection[int] = ()
) -> bool:
    """Whether a seat is a single-seat gap when `taken` (and `also`) are taken (see the module's
    docstring)."""
    if seat.id in taken or seat.id in also or seat.accessible_space:
        return False
    left, right = plan.left(seat), plan.right(seat)
    left_taken = left is not None and (left.id in taken or left.id in also)
    right_taken = right is not None and (right.id in taken or right.id in also)
    return (
        (left is None or left_taken)
        and (right is None or right_taken)
        and (left_taken or right_taken)
    )


def gaps_made(plan: HallPlan, taken: Collection[int], chosen: Collection[int]) -> list[PlanSeat]:
    """The gaps that taking `chosen` (free seats) would make, by seat: only a chosen seat's
    neighbours can become one."""
    found = []
    for seat_id in chosen:
        seat = plan.seats[seat_id]
        for other in (plan.left(seat), plan.right(seat)):
            if (
                other is not None
                and other.id not in chosen
                and other not in found
                and is_gap(plan, other, taken, chosen)
                and not is_gap(plan, other, taken)
            ):
                found.append(other)
    return sorted(found, key=lambda s: (s.row, s.index))


def _segment_blocks(plan: HallPlan, row: int, size: int) -> Iterable[tuple[PlanSeat, ...]]:
    """Every run of `size` seats side by side (no aisle) in a row."""
    seats = plan.rows[row]
    for start in range(len(seats) - size + 1):
        run = seats[start : start + size]
        if run[-1].x - run[0].x == size - 1:
            yield run


def _centre_x(seats: Iterable[PlanSeat]) -> float:
    seats = list(seats)
    return sum(seat.x for seat in seats) / len(seats)


def gap_free_block(
    plan: HallPlan,
    taken: Collection[int],
    row: int,
    size: int,
    *,
    is_open: Callable[[PlanSeat], bool],
    fixed: Collection[int] = (),
    near: float | None = None,
) -> tuple[PlanSeat, ...] | None:
    """The block of `size` seats side by side in `row` that makes no gap, contains every seat of
    `fixed` and otherwise only free seats that are `is_open`, nearest `near` (an x); None if
    there is none."""
    best, best_key = None, None
    for run in _segment_blocks(plan, row, size):
        ids = {seat.id for seat in run}
        if not ids >= set(fixed):
            continue
        if any(s.id not in fixed and (s.id in taken or not is_open(s)) for s in run):
            continue
        if gaps_made(plan, taken, ids):
            continue
        key = (abs(_centre_x(run) - near) if near is not None else 0, run[0].index)
        if best_key is None or key < best_key:
            best, best_key = run, key
    return best


@dataclass(frozen=True)
class GapRefusal:
    seat: PlanSeat  # a seat the hold would leave alone
    suggestion: tuple[int, ...]  # the hold's seats with that row's part moved so as to leave none


def gap_refusal(
    plan: HallPlan,
    taken: Collection[int],
    chosen: Collection[int],
    *,
    is_open: Callable[[PlanSeat], bool],
    fixed: Collection[int] = (),
) -> GapRefusal | None:
    """Whether the rule refuses holding `chosen` (free seats of the plan) when `taken` are taken:
    it does when, in some row, the hold makes a gap although a block of as many seats in that row
    would make none (`gap_free_block`: free seats that are `is_open`, containing the hold's
    `fixed` seats of that row - a wheelchair space does not move). The refusal names the first
    such gap and suggests the hold with each such row's part moved. None: the hold is fine."""
    chosen = set(chosen)
    by_row: dict[int, set[int]] = {}
    for seat_id in chosen:
        by_row.setdefault(plan.seats[seat_id].row, set()).add(seat_id)
    first, suggestion = None, set(chosen)
    for row in sorted(by_row):
        ids = by_row[row]
        made = gaps_made(plan, taken, ids)
        if not made:
            continue
        alternative = gap_free_block(
            plan,
            taken,
            row,
            len(ids),
            is_open=is_open,
            fixed=ids & set(fixed),
            near=_centre_x(plan.seats[i] for i in ids),
        )
        if alternative is None:
            continue  # no choice of that size in that row avoids it
        first = first or made[0]
        suggestion = (suggestion - ids) | {seat.id for seat in alternative}
    return GapRefusal(first, tuple(sorted(suggestion))) if first else None


# Wheelchair spaces and companions


def accessibility_refused(plan: HallPlan, chosen: Collection[int]) -> list[PlanSeat]:
    """While wheelchair spaces and companion seats are held back: the seats of `chosen` that may
    not be sold with it. A wheelchair space makes a booking accessible; a companion seat needs its
    own wheelchair space in the same booking."""
    chosen = set(chosen)
    return [
        plan.seats[seat_id]
        for seat_id in sorted(chosen)
        if plan.seats[seat_id].seat_type == SeatType.COMPANION
        and plan.seats[seat_id].pair not in chosen
    ]


# Best available


@dataclass(frozen=True)
class Pick:
    """What best available is asked for."""

    quantity: int
    seat_type: str | None = None  # only seats of this type
    accessible: bool = False  # a wheelchair space with its companion seat(s)


@dataclass(frozen=True)
class Choice:
    seat_ids: tuple[int, ...]
    together: bool  # side by side in one row
    gap_free: bool
    rows: frozenset[int]
    rank: tuple  # lower is better

    @property
    def grade(self) -> tuple[bool, bool]:
        """What matters most, in order: no gap, then together. Comparable: lower is better."""
        return (not self.gap_free, not self.together)


def _choice(
    plan: HallPlan, taken: Collection[int], seats: list[PlanSeat], *, together: bool
) -> Choice:
    ids = {seat.id for seat in seats}
    gap_free = not gaps_made(plan, taken, ids)
    rows = frozenset(seat.row for seat in seats)
    xs, ys = [seat.x for seat in seats], [seat.y for seat in seats]
    spread = (max(xs) - min(xs)) + ROW_WEIGHT * (max(ys) - min(ys))
    rank = (not gap_free, not together, len(rows), spread, plan.distance(seats), min(ids))
    return Choice(tuple(sorted(ids)), together, gap_free, rows, rank)


def best_choice(
    plan: HallPlan,
    taken: Collection[int],
    pick: Pick,
    *,
    held_back: bool,
    rows: Collection[int] | None = None,
) -> Choice | None:
    """The best seats for `pick` when `taken` are taken, within `rows` (row indexes; all when
    None); None when fewer seats are open than asked for (or, with `accessible`, no wheelchair
    space is free).

    In order: a block side by side that makes no gap (within a segment before across an aisle,
    nearest the ideal spot first); a split that makes none (fewest rows, nearest together); a
    block that makes one; a split that does. A gap is made only when no choice of that size in
    that row avoids it, so the choice always passes `gap_refusal`. While `held_back`, wheelchair
    spaces and companion seats are offered only to `accessible` picks.
    """
    taken = taken if isinstance(taken, set | frozenset) else set(taken)
    if pick.accessible:
        return _accessible_choice(plan, taken, pick, rows)

    def is_open(seat: PlanSeat) -> bool:
        if seat.id in taken or (rows is not None and seat.row not in rows):
            return False
        if pick.seat_type is not None:
            return seat.seat_type == pick.seat_type
        return not (held_back and seat.accessible_space)

    n = pick.quantity
    first_any = None
    for (_rank, row, start), ids in zip(plan.blocks(n), plan.block_ids(n), strict=True):
        if (rows is not None and row not in rows) or not taken.isdisjoint(ids):
            continue
        run = plan.rows[row][start : start + n]
        if not all(is_open(seat) for seat in run):
            continue
        if not gaps_made(plan, taken, [seat.id for seat in run]):
            return _choice(plan, taken, list(run), together=True)
        if first_any is None:
            first_any = run
    split = _split(plan, taken, n, is_open, gap_free=True)
    if split is not None:
        return split
    # No choice avoids a gap: the rule allows one wherever none of that size in the row avoids it.
    if first_any is not None:
        return _choice(plan, taken, list(first_any), together=True)
    return _split(plan, taken, n, is_open, gap_free=False)


def _row_part(
    plan: HallPlan,
    taken: Collection[int],
    row: int,
    k: int,
    anchor: float,
    is_open: Callable[[PlanSeat], bool],
    *,
    gap_free: bool,
) -> list[PlanSeat] | None:
    """`k` open seats of one row for a split, as close together and to `anchor` as may be:
    a block side by side, else `k` open seats in a row of the open ones. With `gap_free`, only
    seats that make no gap; without, a gap-free choice still comes first, and one that makes a
    gap is taken only when no block of `k` side by side in the row avoids it."""
    block = gap_free_block(plan, taken, row, k, is_open=is_open, near=anchor)
    if block is not None:
        return list(block)
    open_seats = [seat for seat in plan.rows[row] if is_open(seat)]
    # Wheelchair spaces and companion seats are never gaps: a part may also pass them by.
    ordinary = [seat for seat in open_seats if not seat.accessible_space]
    candidates = []
    for kind, seats in enumerate(
        [open_seats, ordinary] if len(ordinary) < len(open_seats) else [open_seats]
    ):
        for start in range(len(seats) - k + 1):
            run = seats[start : start + k]
            makes_gap = bool(gaps_made(plan, taken, [seat.id for seat in run]))
            if gap_free and makes_gap:
                continue
            spread = run[-1].x - run[0].x
            candidates.append((makes_gap, spread, abs(_centre_x(run) - anchor), kind, start, run))
    if not candidates:
        return None
    return list(min(candidates, key=lambda c: c[:5])[5])


def _split(
    plan: HallPlan,
    taken: Collection[int],
    n: int,
    is_open: Callable[[PlanSeat], bool],
    *,
    gap_free: bool,
) -> Choice | None:
    """The best `n` open seats that are not side by side: the fewest rows next to each other,
    then the nearest together, then the nearest the ideal spot."""
    open_count = {r: count for r, row in enumerate(plan.rows) if (count := sum(map(is_open, row)))}
    order = sorted(open_count, key=lambda r: plan.rows[r][0].y)
    if sum(open_count.values()) < n:
        return None
    sizes: dict[int, list[int]] = {}  # shared by the windows: what each row can give
    for size in range(1, len(order) + 1):
        best = None
        for start in range(len(order) - size + 1):
            window = order[start : start + size]
            if sum(open_count[r] for r in window) < n:
                continue
            nearest_first = sorted(window, key=lambda r: (abs(plan.rows[r][0].y - plan.ideal_y), r))
            seats = _fill(plan, taken, nearest_first, n, is_open, gap_free=gap_free, sizes=sizes)
            if seats is None:
                continue
            choice = _choice(plan, taken, seats, together=False)
            if best is None or choice.rank < best.rank:
                best = choice
        if best is not None:
            return best
    return None


def _fill(
    plan: HallPlan,
    taken: Collection[int],
    rows: list[int],
    n: int,
    is_open: Callable[[PlanSeat], bool],
    *,
    gap_free: bool,
    seats: list[PlanSeat] | None = None,
    sizes: dict[int, list[int]] | None = None,
) -> list[PlanSeat] | None:
    """`n` seats (`seats`, if given, come first and count) with at most one part from each of
    `rows`: the part sizes add up - each row gives only a size it has a part of (`_row_part`) -
    and the rows first in `rows` give as many as they can. Each part is lined up with the seats
    chosen before it. None when no such parts add up."""
    seats = list(seats or [])
    need = n - len(seats)
    sizes = {} if sizes is None else sizes
    for row in rows:
        if row not in sizes:
            count = sum(map(is_open, plan.rows[row]))
            sizes[row] = [
                k
                for k in range(min(n, count), 0, -1)
                if _row_part(plan, taken, row, k, 0.0, is_open, gap_free=gap_free) is not None
            ]
    # reachable[i]: the totals rows[i:] can give.
    reachable = [{0} for _ in range(len(rows) + 1)]
    for i in range(len(rows) - 1, -1, -1):
        reachable[i] = reachable[i + 1] | {
            k + total for k in sizes[rows[i]] for total in reachable[i + 1] if k + total <= need
        }
    if need not in reachable[0]:
        return None
    anchor = _centre_x(seats) if seats else plan.ideal_x
    for i, row in enumerate(rows):
        if need == 0:
            break
        k = next((k for k in sizes[row] if k <= need and need - k in reachable[i + 1]), 0)
        if k:
            seats.extend(_row_part(plan, taken, row, k, anchor, is_open, gap_free=gap_free))
            anchor = _centre_x(seats)
            need -= k
    return seats


def _accessible_choice(
    plan: HallPlan, taken: set[int], pick: Pick, rows: Collection[int] | None
) -> Choice | None:
    """A free wheelchair space with its free companion seats, and as many seats beside them as
    the quantity asks: the best such choice over every free space."""
    n = pick.quantity

    def in_rows(seat: PlanSeat) -> bool:
        return seat.id not in taken and (rows is None or seat.row in rows)

    companions: dict[int, list[PlanSeat]] = {}
    for seat in plan.seats.values():
        if seat.seat_type == SeatType.COMPANION and seat.pair is not None and in_rows(seat):
            companions.setdefault(seat.pair, []).append(seat)
    best = None
    for space in plan.seats.values():
        if space.seat_type != SeatType.WHEELCHAIR or not in_rows(space):
            continue
        group = [space, *sorted(companions.get(space.id, []), key=lambda c: abs(c.x - space.x))]
        group = group[:n]
        fixed = {seat.id for seat in group}

        def is_open(seat: PlanSeat, fixed=fixed) -> bool:
            return in_rows(seat) and seat.id not in fixed and not seat.accessible_space

        seats = group
        if len(group) < n:
            # The space's own row first, then the rows nearest it.
            near = sorted(range(len(plan.rows)), key=lambda r: (abs(r - space.row), r))
            with_group = taken | fixed
            seats = _fill(plan, with_group, near, n, is_open, gap_free=True, seats=group)
            if seats is None:
                seats = _fill(plan, with_group, near, n, is_open, gap_free=False, seats=group)
            if seats is None:
                continue
        ordered = sorted(seats, key=lambda s: (s.row, s.index))
        together = len({s.row for s in ordered}) == 1 and all(
            plan.right(a) is b for a, b in pairwise(ordered)
        )
        choice = _choice(plan, taken, ordered, together=together)
        if best is None or choice.rank < best.rank:
            best = choice
    return best


def open_count(plan: HallPlan, taken: Collection[int], pick: Pick, *, held_back: bool) -> int:
    """How many seats are free for `pick`: what a refusal says is left."""
    if pick.accessible:
        return sum(
            1
            for seat in plan.seats.values()
            if seat.id not in taken and seat.seat_type == SeatType.WHEELCHAIR
        )
    return sum(
        1
        for seat in plan.seats.values()
        if seat.id not in taken
        and (pick.seat_type is None or seat.seat_type == pick.seat_type)
        and not (pick.seat_type is None and held_back and seat.accessible_space)
    )
