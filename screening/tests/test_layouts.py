import pytest
from django.core.exceptions import ValidationError

from screening.layouts import (
    IdealSpot,
    layout_as_json,
    layout_ideal_spot,
    layout_parse,
    layout_seats,
)


def problems(layout) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        layout_parse(layout)
    return caught.value.message_dict["layout"]


def test_seats_are_numbered_per_row_with_gaps_for_aisles():
    rows = layout_parse(
        {
            "rows": [
                {"label": "a", "seats": 5, "aisles_after": [2, 4]},
                {"label": "B", "seats": 2, "type": "VIP"},
            ]
        }
    )
    seats = [(s.row, s.number, s.seat_type, s.x, s.y) for s in layout_seats(rows)]
    assert seats == [
        ("A", 1, "STANDARD", 0, 0),
        ("A", 2, "STANDARD", 1, 0),
        ("A", 3, "STANDARD", 3, 0),
        ("A", 4, "STANDARD", 4, 0),
        ("A", 5, "STANDARD", 6, 0),
        ("B", 1, "VIP", 0, 1),
        ("B", 2, "VIP", 1, 1),
    ]
    assert layout_as_json(rows)["rows"][0] == {
        "label": "A",
        "seats": 5,
        "type": "STANDARD",
        "aisles_after": [2, 4],
    }


def test_wheelchair_spaces_and_their_companions():
    layout = {
        "rows": [
            {
                "label": "H",
                "seats": 6,
                "type": "VIP",
                "aisles_after": [3],
                "wheelchair": [1, 6],
                "companions": [{"seat": 2, "pair": 1}, {"seat": 5, "pair": 6}],
            }
        ],
        "ideal_spot": {"across": 40, "back": 80},
    }
    rows = layout_parse(layout)
    seats = [(s.number, s.seat_type, s.pair) for s in layout_seats(rows)]
    assert seats == [
        (1, "WHEELCHAIR", None),
        (2, "COMPANION", 1),
        (3, "VIP", None),
        (4, "VIP", None),
        (5, "COMPANION", 6),
        (6, "WHEELCHAIR", None),
    ]
    assert layout_ideal_spot(layout) == IdealSpot(across=40, back=80)
    assert layout_as_json(rows, layout_ideal_spot(layout)) == layout
    # Rows without accessible spaces and layouts without an ideal spot stay as they were.
    plain = {"rows": [{"label": "A", "seats": 2, "type": "STANDARD", "aisles_after": []}]}
    assert layout_as_json(layout_parse(plain), layout_ideal_spot(plain)) == plain
    assert layout_ideal_spot(plain) is None


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (None, 'Expected {"rows": [...]}.'),
        ({"rows": "A"}, 'Expected {"rows": [...]}.'),
        ({"rows": []}, "A hall has from 1 to 60 rows; this layout has 0."),
        ({"rows": [{"label": "A", "seats": 1}] * 61}, "A hall has from 1 to 60 rows"),
        (
            {"rows": [{"label": "A", "seats": 0}]},
            "Row A: seats must be a whole number from 1 to 100.",
        ),
        ({"rows": [{"label": "A", "seats": 101}]}, "Row A: seats must be a whole number"),
        ({"rows": [{"label": "A", "seats": True}]}, "Row A: seats must be a whole number"),
        ({"rows": [{"label": "A", "seats": "9"}]}, "Row A: seats must be a whole number"),
        ({"rows": [{"label": "A", "seats": 9, "type": "SOFA"}]}, "Row A: type must be one of"),
        ({"rows": [{"label": "", "seats": 9}]}, "Row 1: label must be 1 to 3 letters or digits."),
        ({"rows": [{"label": "ABCD", "seats": 9}]}, "Row 1: label must be"),
        ({"rows": [{"seats": 9}]}, "Row 1: label must be"),
        ({"rows": ["A"]}, "Row 1: expected an object"),
        (
            {"rows": [{"label": "A", "seats": 9, "aisles_after": [9]}]},
            "aisles_after must name seats from 1 to 8",
        ),
        (
            {"rows": [{"label": "A", "seats": 9, "aisles_after": [0]}]},
            "aisles_after must name seats",
        ),
        (
            {"rows": [{"label": "A", "seats": 9, "aisles_after": [3, 3]}]},
            "aisles_after repeats a seat",
        ),
        (
            {"rows": [{"label": "A", "seats": 9, "aisles_after": "3"}]},
            "aisles_after must be a list",
        ),
        ({"rows": [{"label": "A", "seats": 9, "colour": "red"}]}, "Row 1: unknown field(s) colour"),
        ({"rows": [{"label": "A", "seats": 9}], "screen": 1}, "Unknown field(s) screen."),
        (
            {"rows": [{"label": "A", "seats": 2}, {"label": "a", "seats": 3}]},
            "Row labels must be unique; repeated: A.",
        ),
        (
            {"rows": [{"label": "A", "seats": 9, "type": "WHEELCHAIR"}]},
            "Row A: type must be one of STANDARD, VIP, ACCESSIBLE",
        ),
        ({"rows": [{"label": "A", "seats": 9, "wheelchair": [10]}]}, "wheelchair must name seats"),
        ({"rows": [{"label": "A", "seats": 9, "wheelchair": "1"}]}, "wheelchair must be a list"),
        ({"rows": [{"label": "A", "seats": 9, "wheelchair": [1, 1]}]}, "wheelchair repeats"),
        (
            {"rows": [{"label": "A", "seats": 9, "companions": [{"seat": 2, "pair": 1}]}]},
            "each companion's pair must be one of the row's wheelchair spaces",
        ),
        (
            {"rows": [{"label": "A", "seats": 9, "wheelchair": [1], "companions": [[2, 1]]}]},
            "companions must be a list of",
        ),
        (
            {
                "rows": [
                    {
                        "label": "A",
                        "seats": 9,
                        "wheelchair": [1],
                        "companions": [{"seat": 1, "pair": 1}],
                    }
                ]
            },
            "both a wheelchair space and a companion seat",
        ),
        (
            {
                "rows": [
                    {
                        "label": "A",
                        "seats": 9,
                        "wheelchair": [1],
                        "companions": [{"seat": 12, "pair": 1}],
                    }
                ]
            },
            "companions must name seats from 1 to 9",
        ),
        (
            {"rows": [{"label": "A", "seats": 9}], "ideal_spot": {"across": 101}},
            "ideal_spot must be",
        ),
        (
            {"rows": [{"label": "A", "seats": 9}], "ideal_spot": {"left": 50}},
            "ideal_spot must be",
        ),
    ],
)
def test_bad_layouts_say_what_is_wrong(layout, expected):
    assert any(expected in message for message in problems(layout)), problems(layout)


def test_every_problem_is_reported_at_once():
    found = problems(
        {
            "rows": [
                {"label": "A", "seats": 200},
                {"label": "B", "seats": 5, "type": "SOFA"},
                {"label": "B", "seats": 5},
            ]
        }
    )
    assert len(found) == 3
