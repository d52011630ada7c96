"""The free-text parser: STAC API basic and advanced syntax, and no failure on any input."""

from __future__ import annotations

import pytest

from stacsift.errors import InvalidParameter
from stacsift.query.freetext import (
    MAX_PHRASE_WORDS,
    MAX_PHRASES,
    MAX_PREFIXES,
    MAX_QUERY_LENGTH,
    And,
    Not,
    Or,
    Phrase,
    Word,
    parse,
)


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ("forest", Word("forest")),
        ("Forest*", Word("Forest", prefix=True)),
        ("forest,water", Or((Word("forest"), Word("water")))),
        ("forest OR water", Or((Word("forest"), Word("water")))),
        ("forest AND water", And((Word("forest"), Word("water")))),
        ("forest water", And((Word("forest"), Word("water")))),
        ('"coniferous forest"', Phrase("coniferous forest")),
        ("+forest -osm", And((Word("forest"), Not(Word("osm"))))),
        (
            "landsat AND (forest OR water)",
            And((Word("landsat"), Or((Word("forest"), Word("water"))))),
        ),
        ("area-1-1", Word("area-1-1")),
    ],
)
def test_syntax(q: str, tree: object) -> None:
    assert parse(q) == tree


@pytest.mark.parametrize("q", ["", "   ", "OR", "AND", ",,,", "- +", "()", '""'])
def test_nothing_to_search_is_none(q: str) -> None:
    assert parse(q) is None


@pytest.mark.parametrize("q", ["((forest", "forest)", '"open phrase', "a AND OR b", "-(", "+"])
def test_broken_syntax_is_repaired_not_fatal(q: str) -> None:
    parse(q)  # must not raise


def test_field_syntax_is_just_a_word() -> None:
    assert parse("id:secret") == Word("id:secret")


def test_lowercase_operators_are_words() -> None:
    assert parse("forest or water") == And((Word("forest"), Word("or"), Word("water")))


def test_oversize_query_names_the_parameter() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse("a" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.parameter == "q"


def test_too_many_prefixes_name_the_parameter() -> None:
    # GIVEN as many prefixes as allowed, and one more (a quoted star is a phrase's)
    allowed = ",".join(f"{letter}*" for letter in "abcd"[:MAX_PREFIXES]) + ',"e*"'
    # WHEN each is parsed
    # THEN the first parses, the second is refused, naming q
    assert isinstance(parse(allowed), Or)
    with pytest.raises(InvalidParameter) as caught:
        parse(allowed + ",f*")
    assert caught.value.parameter == "q"


@pytest.mark.parametrize(
    ("allowed", "refused"),
    [
        # as many phrases as allowed, and one more
        (",".join(['"a b"'] * MAX_PHRASES), ",".join(['"a b"'] * (MAX_PHRASES + 1))),
        # as many words in phrases as allowed, and one more
        ('"' + " ".join("w" * MAX_PHRASE_WORDS) + '"', '"a b" "' + " ".join("w" * 7) + '"'),
    ],
)
def test_too_many_phrases_or_phrase_words_name_the_parameter(allowed: str, refused: str) -> None:
    # GIVEN phrases within the bounds, and beyond them
    # WHEN each is parsed
    # THEN the first parses, the second is refused, naming q
    assert parse(allowed) is not None
    with pytest.raises(InvalidParameter) as caught:
        parse(refused)
    assert caught.value.parameter == "q"
