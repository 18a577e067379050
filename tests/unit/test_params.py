import pytest
from hypothesis import given
from hypothesis import strategies as st

from gcal.errors import InvalidInputError
from gcal.params import choice, parse_emails, split_list, to_bool, to_int, to_str

# --- to_bool --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, "true", "TRUE", " yes ", "1", 1, 1.0, "on", "y"])
def test_to_bool_true(value):
    assert to_bool(value, "flag", False) is True


@pytest.mark.parametrize("value", [False, "false", "No", "0", 0, 0.0, "off", "n"])
def test_to_bool_false(value):
    assert to_bool(value, "flag", True) is False


@pytest.mark.parametrize("value", [None, "", "  "])
def test_to_bool_default(value):
    assert to_bool(value, "flag", default=True) is True
    assert to_bool(value, "flag") is None


@pytest.mark.parametrize("value", ["maybe", 2, -1, [], {}, "truee"])
def test_to_bool_rejects(value):
    with pytest.raises(InvalidInputError, match="`flag`"):
        to_bool(value, "flag", False)


# --- to_int ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (5, 5), (5.0, 5), ("5", 5), (" 42 ", 42), ("10.0", 10), ("-3", -3), ("+7", 7),
])
def test_to_int_accepts(value, expected):
    assert to_int(value, "n", default=1) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_to_int_default(value):
    assert to_int(value, "n", default=25) == 25


@pytest.mark.parametrize("value", [True, False, 2.5, "2.5", "ten", "1e3", "1_000", "nan",
                                   float("inf"), [1], "0x10"])
def test_to_int_rejects(value):
    with pytest.raises(InvalidInputError, match="whole number"):
        to_int(value, "max_results", default=1, minimum=1, maximum=250)


def test_to_int_range():
    assert to_int(250, "max_results", default=1, minimum=1, maximum=250) == 250
    with pytest.raises(InvalidInputError, match="1 to 250") as caught:
        to_int("251", "max_results", default=1, minimum=1, maximum=250)
    assert caught.value.parameter == "max_results"
    with pytest.raises(InvalidInputError, match="minimum 15"):
        to_int(5, "duration_minutes", default=30, minimum=15)
    with pytest.raises(InvalidInputError, match="maximum 3"):
        to_int(5, "n", default=1, maximum=3)


# --- to_str ---------------------------------------------------------------------------


def test_to_str_cleans():
    assert to_str("  Team sync  ", "summary") == "Team sync"
    assert to_str("a\x00b\x1bc\x7f", "summary") == "abc"
    assert to_str("line 1\r\nline 2\tend", "description") == "line 1\nline 2\tend"
    assert to_str(42, "summary") == "42"


@pytest.mark.parametrize("value", [None, "", "   ", "\x00\x01"])
def test_to_str_default(value):
    assert to_str(value, "summary") is None
    assert to_str(value, "summary", default="x") == "x"


def test_to_str_max_length():
    assert to_str("abc", "q", max_length=3) == "abc"
    with pytest.raises(InvalidInputError, match="maximum is 3") as caught:
        to_str("abcd", "q", max_length=3)
    assert caught.value.parameter == "q"


@given(st.text())
def test_to_str_never_returns_controls_except_newline_and_tab(text):
    result = to_str(text, "x")
    if result is not None:
        assert result == result.strip()
        assert all(ch in "\n\t" or (ord(ch) >= 32 and not 127 <= ord(ch) < 160) for ch in result)


# --- split_list -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("a,b, c", ["a", "b", "c"]),
    ("a; b;c", ["a", "b", "c"]),
    ("a b\nc\td", ["a", "b", "c", "d"]),
    ('["a", "b"]', ["a", "b"]),
    ("['a', 'b']", ["a", "b"]),
    ("[a, b]", ["a", "b"]),
    (["a", " b ", None, ""], ["a", "b"]),
    ("a,a,b,a", ["a", "b"]),
    (",,;", []),
    (None, []),
    ("", []),
])
def test_split_list(value, expected):
    assert split_list(value) == expected


def test_split_list_keeps_spaces_when_asked():
    assert split_list("Team Calendar, Family", whitespace=False) == ["Team Calendar", "Family"]
    assert split_list('["Team Calendar", "Family"]') == ["Team Calendar", "Family"]


@given(st.lists(st.text(alphabet="abc@.-", min_size=1, max_size=8), max_size=6))
def test_split_list_round_trips_joined_items(items):
    assert split_list(", ".join(items)) == list(dict.fromkeys(items))


# --- parse_emails ---------------------------------------------------------------------


def test_parse_emails():
    value = (
        "alice@example.com, Bob <bob@example.org>; carol.x+tag@sub.example.co.uk\n"
        "ALICE@example.com"
    )
    assert parse_emails(value, "attendees") == [
        "alice@example.com", "bob@example.org", "carol.x+tag@sub.example.co.uk",
    ]


def test_parse_emails_variants():
    assert parse_emails('["a@x.io", "mailto:b@y.io"]', "attendees") == ["a@x.io", "b@y.io"]
    assert parse_emails("a@x.io b@y.io", "attendees") == ["a@x.io", "b@y.io"]
    assert parse_emails(None, "attendees") == []
    assert parse_emails("", "attendees") == []


def test_parse_emails_names_every_bad_address():
    with pytest.raises(InvalidInputError) as caught:
        parse_emails("ok@example.com, bob, x@, @y.com, a..b@c.com, a@b", "attendees")
    message = caught.value.message
    for bad in ("'bob'", "'x@'", "'@y.com'", "'a..b@c.com'", "'a@b'"):
        assert bad in message
    assert "'ok@example.com'" not in message
    assert caught.value.parameter == "attendees"
    assert "alice@example.com" in message


# --- choice ---------------------------------------------------------------------------

SEND_UPDATES = ["all", "externalOnly", "none"]


@pytest.mark.parametrize(("value", "expected"), [
    ("all", "all"), ("ALL", "all"), ("externalonly", "externalOnly"),
    ("external_only", "externalOnly"), ("external only", "externalOnly"), (" none ", "none"),
])
def test_choice_with_iterable(value, expected):
    assert choice(value, "send_updates", SEND_UPDATES, "all") == expected


def test_choice_with_mapping():
    shows = {"busy": "opaque", "free": "transparent", "opaque": "opaque"}
    assert choice("Free", "show_as", shows, None) == "transparent"
    assert choice("transparent", "show_as", shows, None) == "transparent"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_choice_default(value):
    assert choice(value, "send_updates", SEND_UPDATES, default="none") == "none"


def test_choice_error_lists_options():
    with pytest.raises(InvalidInputError) as caught:
        choice("everyone", "send_updates", SEND_UPDATES, "all")
    assert "all, externalOnly, none" in caught.value.message
    assert "`send_updates`" in caught.value.message
