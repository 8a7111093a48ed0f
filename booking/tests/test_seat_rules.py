"""The seat rules as pure functions: worked examples, then properties on random rows and aisles
(hypothesis), checked against a brute-force reading of the rule written out here on its own."""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from booking.seat_rules import (
    Pick,
    accessibility_refused,
    best_choice,
    gap_refusal,
    gaps_made,
    hall_plan_build,
)

WHEELCHAIR, COMPANION = "WHEELCHAIR", "COMPANION"


def plan_of(*rows: str, ideal=(50, 67)):
    """A plan from rows drawn as text: a letter per seat, `|` an aisle. `S` a standard seat,
    `W` a wheelchair space, `C` a companion seat (paired with the nearest `W` of its row).
    Seat ids count from 1, row by row; `taken` seats are given apart."""
    seats, seat_id = [], 1
    for y, text in enumerate(rows):
        x, number, row_seats = 0, 1, []
        for char in text:
            if char == "|":
                x += 1
                continue
            kind = {"S": "STANDARD", "W": WHEELCHAIR, "C": COMPANION}[char]
            row_seats.append([seat_id, chr(65 + y), number, kind, x, y, None])
            seat_id, number, x = seat_id + 1, number + 1, x + 1
        spaces = [s for s in row_seats if s[3] == WHEELCHAIR]
        for seat in row_seats:
            if seat[3] == COMPANION:
                seat[6] = min(spaces, key=lambda w, seat=seat: abs(w[4] - seat[4]))[0]
        seats.extend(tuple(seat) for seat in row_seats)
    return hall_plan_build(seats, ideal_across=ideal[0], ideal_back=ideal[1])


def ids(plan, *labels: str) -> set[int]:
    by_label = {seat.label: seat.id for seat in plan.seats.values()}
    return {by_label[label] for label in labels}


def labels(plan, seat_ids) -> list[str]:
    return sorted(plan.seats[pk].label for pk in seat_ids)


def free(taken):
    return lambda seat: seat.id not in taken


# Worked examples


def test_a_hold_leaving_one_seat_alone_is_refused_with_the_nearest_block_that_leaves_none():
    plan = plan_of("SSSSSSSS")
    taken = ids(plan, "A1")
    refusal = gap_refusal(plan, taken, ids(plan, "A3", "A4"), is_open=free(taken))
    assert plan.seats[refusal.seat.id].label == "A2"
    assert labels(plan, refusal.suggestion) == ["A2", "A3"]
    assert gap_refusal(plan, taken, ids(plan, "A2", "A3"), is_open=free(taken)) is None


def test_an_aisle_and_the_row_end_bound_a_gap_as_a_taken_seat_does():
    plan = plan_of("SSS|SSSSS")
    assert [s.label for s in gaps_made(plan, set(), ids(plan, "A2"))] == ["A1", "A3"]
    assert [s.label for s in gaps_made(plan, set(), ids(plan, "A4", "A5"))] == []
    assert [s.label for s in gaps_made(plan, set(), ids(plan, "A5", "A6"))] == ["A4"]
    # One seat between two aisles was alone before anyone came: nobody's doing.
    lone = plan_of("SS|S|SS")
    assert gaps_made(lone, set(), ids(lone, "A1", "A2")) == []


def test_a_gap_is_allowed_when_no_choice_of_that_size_in_the_row_avoids_it():
    plan = plan_of("SSSSS")
    taken = ids(plan, "A1", "A5")  # three free seats: any two of them leave one alone
    assert gap_refusal(plan, taken, ids(plan, "A2", "A3"), is_open=free(taken)) is None
    # With a fourth free seat elsewhere in the row there is a choice, and the rule holds.
    wider = plan_of("SSSSSSS")
    taken = ids(wider, "A1", "A5")
    refusal = gap_refusal(wider, taken, ids(wider, "A2", "A3"), is_open=free(taken))
    assert labels(wider, refusal.suggestion) == ["A6", "A7"]


def test_gaps_that_were_there_before_are_not_the_holds_doing():
    plan = plan_of("SSSSSSSSS")
    taken = ids(plan, "A2")  # A1 is alone already
    assert gap_refusal(plan, taken, ids(plan, "A5", "A6"), is_open=free(taken)) is None


def test_wheelchair_spaces_and_companions_are_never_gaps_and_do_not_move():
    plan = plan_of("WCSSSS")
    taken = set()
    assert gaps_made(plan, taken, ids(plan, "A3")) == []  # C2 beside it is not a gap
    # W1 + C2 leave A3 between C2 and A4? No: A3..A6 are free. Take the space with A3-A4:
    refusal = gap_refusal(
        plan,
        taken,
        ids(plan, "A1", "A2", "A5"),
        is_open=lambda s: s.id not in taken and not s.accessible_space,
        fixed=ids(plan, "A1", "A2"),
    )
    assert labels(plan, refusal.suggestion) == ["A1", "A2", "A3"]


def test_companion_seats_need_their_own_wheelchair_space():
    plan = plan_of("WCSSCW")
    assert accessibility_refused(plan, ids(plan, "A1", "A2")) == []
    assert accessibility_refused(plan, ids(plan, "A1")) == []
    assert [s.label for s in accessibility_refused(plan, ids(plan, "A5", "A1"))] == ["A5"]
    assert [s.label for s in accessibility_refused(plan, ids(plan, "A2", "A3"))] == ["A2"]


def test_best_available_aims_at_the_ideal_spot_and_keeps_groups_together():
    plan = plan_of(*["SSSSSSSSSS"] * 4)
    choice = best_choice(plan, set(), Pick(2), held_back=True)
    assert (labels(plan, choice.seat_ids), choice.together) == (["C5", "C6"], True)
    front = plan_of(*["SSSSSSSSSS"] * 4, ideal=(0, 0))
    assert labels(front, best_choice(front, set(), Pick(3), held_back=True).seat_ids) == [
        "A1",
        "A2",
        "A3",
    ]


def test_best_available_keeps_off_aisles_where_it_can():
    plan = plan_of("SSSS|SSSS", "SSSSSSSSS")
    choice = best_choice(
        plan, ids(plan, "B1", "B2", "B3", "B4", "B5", "B6"), Pick(4), held_back=True
    )
    assert labels(plan, choice.seat_ids) in (["A1", "A2", "A3", "A4"], ["A5", "A6", "A7", "A8"])


def test_best_available_splits_when_no_block_is_left_and_says_so():
    plan = plan_of("SSSSS", "SSSSS")
    taken = ids(plan, "A3", "B3")
    choice = best_choice(plan, taken, Pick(4), held_back=True)
    assert not choice.together
    assert choice.gap_free
    assert len(choice.rows) == 1  # fewest rows: one row's four free seats
    # Three: any three of a row's four leave one alone, and so do one or two of a pair of two:
    # no choice avoids a gap, so one is made - in a single row still.
    three = best_choice(plan, taken, Pick(3), held_back=True)
    assert (len(three.rows), three.gap_free) == (1, False)
    assert best_choice(plan, taken, Pick(9), held_back=True) is None


def test_best_available_holds_wheelchair_spaces_back_unless_asked_for_them():
    plan = plan_of("WCSSSSCW")
    choice = best_choice(plan, set(), Pick(4), held_back=True)
    assert labels(plan, choice.seat_ids) == ["A3", "A4", "A5", "A6"]
    assert best_choice(plan, set(), Pick(5), held_back=True) is None
    assert len(best_choice(plan, set(), Pick(5), held_back=False).seat_ids) == 5
    accessible = best_choice(plan, set(), Pick(2, accessible=True), held_back=True)
    assert labels(plan, accessible.seat_ids) in (["A1", "A2"], ["A7", "A8"])
    assert accessible.together
    wider = best_choice(plan, set(), Pick(3, accessible=True), held_back=True)
    assert labels(plan, wider.seat_ids) in (["A1", "A2", "A3"], ["A6", "A7", "A8"])


def test_best_available_with_a_seat_type():
    plan = plan_of("SSSS", "SSSS")
    vip = {seat.id for seat in plan.rows[0]}
    typed = {pk: ("VIP" if pk in vip else "STANDARD") for pk in plan.seats}
    seats = [
        (s.id, s.label[0], int(s.label[1:]), typed[s.id], s.x, s.y, None)
        for s in plan.seats.values()
    ]
    plan = hall_plan_build(seats)
    assert set(best_choice(plan, set(), Pick(2, seat_type="VIP"), held_back=True).seat_ids) <= vip


# Properties, on random rows and aisles


@st.composite
def halls(draw):
    """1-3 rows of 1-4 segments of 1-6 seats, a few wheelchair spaces; some seats taken."""
    seats, seat_id = [], 1
    for y in range(draw(st.integers(1, 3))):
        x, number = 0, 1
        for length in draw(st.lists(st.integers(1, 6), min_size=1, max_size=4)):
            for _ in range(length):
                seats.append([seat_id, chr(65 + y), number, "STANDARD", x, y, None])
                seat_id, number, x = seat_id + 1, number + 1, x + 1
            x += 1  # an aisle
    all_ids = [seat[0] for seat in seats]
    for seat_id in draw(st.sets(st.sampled_from(all_ids), max_size=2)):
        seats[seat_id - 1][3] = WHEELCHAIR
    plan = hall_plan_build(tuple(seat) for seat in seats)
    taken = draw(st.sets(st.sampled_from(all_ids)))
    return plan, taken


def brute_gaps(plan, taken) -> set[int]:
    """The rule read literally: a free ordinary seat whose neighbours by position are each taken
    or missing (an aisle, the row's end), at least one of them taken."""
    at = {(seat.y, seat.x): seat for seat in plan.seats.values()}
    found = set()
    for seat in plan.seats.values():
        if seat.id in taken or seat.seat_type in (WHEELCHAIR, COMPANION):
            continue
        sides = [at.get((seat.y, seat.x - 1)), at.get((seat.y, seat.x + 1))]
        if all(s is None or s.id in taken for s in sides) and any(
            s is not None and s.id in taken for s in sides
        ):
            found.add(seat.id)
    return found


def brute_made(plan, taken, chosen) -> set[int]:
    return brute_gaps(plan, set(taken) | set(chosen)) - brute_gaps(plan, taken)


def brute_blocks(plan, row, size, taken, is_open=lambda seat: True):
    """Free, open runs of `size` seats side by side (positions touching) in a row."""
    seats = plan.rows[row]
    for start in range(len(seats) - size + 1):
        run = seats[start : start + size]
        if run[-1].x - run[0].x == size - 1 and all(s.id not in taken and is_open(s) for s in run):
            yield {s.id for s in run}


def brute_allowed(plan, taken, chosen, is_open=lambda seat: True) -> bool:
    """The rule: in each row, a hold may make a gap only if no block of as many seats side by
    side in that row would make none."""
    for row in {plan.seats[pk].row for pk in chosen}:
        part = {pk for pk in chosen if plan.seats[pk].row == row}
        if brute_made(plan, taken, part) and any(
            not brute_made(plan, taken, block)
            for block in brute_blocks(plan, row, len(part), taken, is_open)
        ):
            return False
    return True


@given(halls(), st.data())
def test_a_hold_is_refused_exactly_when_it_makes_a_gap_a_choice_in_its_row_avoids(hall, data):
    plan, taken = hall
    free_ids = sorted(set(plan.seats) - taken)
    assume(free_ids)
    chosen = data.draw(st.sets(st.sampled_from(free_ids), min_size=1, max_size=4))
    refusal = gap_refusal(plan, taken, chosen, is_open=free(taken))
    assert (refusal is None) == brute_allowed(plan, taken, chosen)
    if refusal is not None:
        assert refusal.seat.id in brute_made(plan, taken, chosen)
        assert len(refusal.suggestion) == len(chosen)
        assert brute_allowed(plan, taken, refusal.suggestion)
        assert not (set(refusal.suggestion) & taken)


@given(halls(), st.integers(1, 5))
def test_best_available_never_makes_a_gap_the_rule_refuses(hall, quantity):
    plan, taken = hall
    choice = best_choice(plan, taken, Pick(quantity), held_back=False)
    free_ids = set(plan.seats) - taken
    if choice is None:
        assert len(free_ids) < quantity
        return
    chosen = set(choice.seat_ids)
    assert len(chosen) == quantity
    assert chosen <= free_ids
    assert brute_allowed(plan, taken, chosen)
    assert choice.gap_free == (not brute_made(plan, taken, chosen))
    # A block side by side that leaves no gap is always found when there is one.
    side_by_side = [
        block
        for row in range(len(plan.rows))
        for block in brute_blocks(plan, row, quantity, taken)
        if not brute_made(plan, taken, block)
    ]
    if side_by_side:
        assert choice.together
        assert choice.gap_free
    # And when any seats at all would leave no gap, it leaves none.
    if len(free_ids) <= 12 and any(
        not brute_made(plan, taken, subset) for subset in combinations(sorted(free_ids), quantity)
    ):
        assert choice.gap_free


@given(halls(), st.lists(st.integers(1, 4), min_size=1, max_size=30))
def test_a_sell_out_by_best_available_leaves_no_gap_a_choice_would_have_avoided(hall, wishes):
    plan, taken = hall
    taken = set(taken)
    for quantity in wishes:
        choice = best_choice(plan, taken, Pick(quantity), held_back=False)
        if choice is None:
            continue
        assert brute_allowed(plan, taken, choice.seat_ids)
        taken |= set(choice.seat_ids)


@pytest.mark.parametrize("quantity", [1, 2, 3])
def test_the_accessible_pick_always_includes_a_wheelchair_space(quantity):
    plan = plan_of("SSWCSS", "SSSSSS")
    choice = best_choice(plan, set(), Pick(quantity, accessible=True), held_back=True)
    kinds = [plan.seats[pk].seat_type for pk in choice.seat_ids]
    assert WHEELCHAIR in kinds
    if quantity > 1:
        assert COMPANION in kinds
    assert best_choice(plan, ids(plan, "A3"), Pick(1, accessible=True), held_back=True) is None


def test_threads_sharing_a_fresh_plan_all_get_its_blocks():
    """A process keeps one plan per hall for all its threads: the first ones to ask for blocks of
    a size race to rank them, and none may see the blocks without their seat ids."""
    plan = plan_of(*["S" * 10 + "|" + "S" * 20 + "|" + "S" * 10] * 20)
    barrier = threading.Barrier(8)

    def choose(_):
        barrier.wait()
        return [best_choice(plan, set(), Pick(size), held_back=False) for size in range(1, 41)]

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as it can go: threads drift apart
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(choose, range(8)))
    finally:
        sys.setswitchinterval(switch)
    assert all(answer == answers[0] for answer in answers)
