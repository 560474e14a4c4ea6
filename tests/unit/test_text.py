"""The one rule for text inputs: no control characters but tab, line feed and carriage return."""

from __future__ import annotations

import pytest

from flint_core.kernel.text import control_character_at, has_control_character


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f", "\x80", "\x9f"])
def test_c0_c1_and_del_are_control_characters(char: str) -> None:
    assert has_control_character(f"a{char}b")


@pytest.mark.parametrize("text", ["", "plain", "tab\there", "two\nlines", "windows\r\nlines", "café ß ſ 😀", "\xa0"])
def test_tab_newlines_and_all_printable_unicode_are_text(text: str) -> None:
    assert not has_control_character(text)


def test_the_first_offending_string_is_found_at_any_depth_keys_included() -> None:
    assert control_character_at({"a": "ok", "b": [{"c": "ok"}, {"d": "x\x00"}]}) == ("b", 1, "d")
    assert control_character_at({"meta": {"k\x07": "v"}}) == ("meta", "k\x07")
    assert control_character_at({"a": 1, "b": None, "c": ["fine", 2.5]}) is None
    assert control_character_at("\x00") == ()
