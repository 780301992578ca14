"""Placeholder posters: always valid XML, 2:3, colour by genre, title escaped and wrapped."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.tmdb.placeholder import (
    GENRE_PALETTE,
    HEIGHT,
    WIDTH,
    display_width,
    genre_colours,
    placeholder_data_uri,
    placeholder_svg,
    poster_src,
    svg_data_uri,
    wrap_title,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def shown_title(root: ET.Element) -> str:
    return " ".join(t.text or "" for t in root.iter(f"{SVG}tspan"))


HOSTILE = [
    '<script>alert("x")</script>',
    'Tom & Jerry\'s "Big" <Day> ]]> <![CDATA[ x ]]>',
    "&amp; &#0; &lt; &#x1F600;",
    "Control\x00chars\x07 and \x1b[31m escapes\x0b\x0c",
    "Surrogate \ud800 half \udfff",
    "Non-chars \ufffe\uffff",
    "Emoji 🎬🍿👩‍👩‍👧 and flags 🇫🇷",
    "A" * 500,
    "Supercalifragilisticexpialidocious Antidisestablishmentarianism",
    "مرحبا بالعالم עברית 日本語のタイトル",
    "",
    "   \n\t  ",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_make_valid_svg(title: str) -> None:
    svg = placeholder_svg(title, 1999, "Horror,Thriller")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg
    assert root.find(f"{SVG}script") is None
    assert shown_title(root)  # something readable, even for an empty title


def test_title_text_survives_escaping() -> None:
    root = parse(placeholder_svg('Tom & Jerry <"Live">', 2001, "Comedy"))
    assert shown_title(root) == 'Tom & Jerry <"Live">'
    assert root.find(f"{SVG}title").text == 'Tom & Jerry <"Live"> (2001)'


def test_two_by_three_box() -> None:
    root = parse(placeholder_svg("Heat", 1995, "Action,Crime,Drama"))
    assert (int(root.get("width")), int(root.get("height"))) == (WIDTH, HEIGHT)
    assert WIDTH * 3 == HEIGHT * 2


def test_year_and_genres_in_subtitle() -> None:
    root = parse(placeholder_svg("Heat", 1995, "Action,Crime,Drama"))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "1995 · Action, Crime, Drama" in texts


@pytest.mark.parametrize("year", [None, float("nan"), "abc", "\\N", True, 12, object()])
def test_missing_or_odd_year_is_left_out(year: object) -> None:
    root = parse(placeholder_svg("Heat", year, None))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert texts[-1] == ""


def test_pandas_na_values_are_tolerated() -> None:
    pd = pytest.importorskip("pandas")
    parse(placeholder_svg(pd.NA, pd.NA, pd.NA))


def test_colour_follows_first_genre() -> None:
    assert genre_colours("Horror,Comedy") == GENRE_PALETTE["Horror"]
    assert genre_colours(["Comedy", "Horror"]) == GENRE_PALETTE["Comedy"]
    assert GENRE_PALETTE["Horror"][0] in placeholder_svg("It", 2017, "Horror,Drama")
    assert len(set(GENRE_PALETTE.values())) == len(GENRE_PALETTE)  # every genre its own look


def test_fallback_colour_is_deterministic() -> None:
    first = genre_colours("Made-Up-Genre")
    assert first == genre_colours("Made-Up-Genre")
    assert first in GENRE_PALETTE.values()
    assert genre_colours(None, "Some title") == genre_colours("", "Some title")
    assert placeholder_svg("X", 2000, None) == placeholder_svg("X", 2000, None)


def test_wrap_title() -> None:
    assert wrap_title("The Good, the Bad and the Ugly") == ["The Good, the", "Bad and the Ugly"]
    assert all(len(line) <= 16 for line in wrap_title("x" * 40 + " tail"))
    assert "".join(wrap_title("x" * 40)) == "x" * 40
    long = wrap_title("word " * 100)
    assert len(long) == 6 and long[-1].endswith("…")


def test_wide_characters_wrap_by_display_width() -> None:
    lines = wrap_title("日本語のとても長いタイトルです")
    assert all(display_width(line) <= 16 for line in lines)
    assert "".join(lines) == "日本語のとても長いタイトルです"
    assert display_width("ab日🎬") == 6


def test_font_shrinks_for_wide_lines() -> None:
    def font(title: str) -> int:
        text = parse(placeholder_svg(title)).findall(f"{SVG}text")[0]
        return int(text.get("font-size"))

    assert font("Heat") == 34
    assert font("W" * 16) < 34


def test_long_genre_lists_are_shortened() -> None:
    root = parse(placeholder_svg("X", 2000, "Documentary,Biography,History"))
    assert "".join(root.findall(f"{SVG}text")[-1].itertext()) == "2000 · Documentary, Biography"


def test_data_uri_round_trips() -> None:
    uri = placeholder_data_uri("Amélie 🎬", 2001, "Comedy,Romance")
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    assert shown_title(parse(svg)) == "Amélie 🎬"
    assert svg_data_uri("<svg/>") == "data:image/svg+xml;base64,PHN2Zy8+"


def test_poster_src_prefers_the_real_poster() -> None:
    assert poster_src("https://img/w342/a.jpg", "A") == "https://img/w342/a.jpg"
    assert poster_src(None, "A", 2000, "Drama").startswith("data:image/svg+xml;base64,")


NASTY = ["\ud800", "\udfff", "\ufffe", "\x00", "\x1b", "&", "<", "]]>", "&#0;", "\u200d", "\u202e"]
TITLES = st.lists(st.one_of(st.characters(), st.sampled_from(NASTY)), max_size=200).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    title=TITLES,
    year=st.one_of(st.none(), st.integers(-(10**6), 10**6)),
    genres=st.one_of(st.none(), st.lists(st.text(max_size=20), max_size=4)),
)
def test_any_unicode_title_gives_valid_xml(
    title: str, year: int | None, genres: list[str] | None
) -> None:
    root = parse(placeholder_svg(title, year, genres))
    assert root.tag == f"{SVG}svg"
    assert all(display_width(line) <= 16 for line in wrap_title(title))


@settings(max_examples=50, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), min_size=1))
def test_plain_titles_are_shown_in_full_when_short(word: str) -> None:
    while display_width(word) > 16:
        word = word[:-1]
    if len(word.split()) != 1 or word != word.strip():
        return
    assert shown_title(parse(placeholder_svg(word))) == word
