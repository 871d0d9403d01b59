"""The message catalog: every entry reads in both languages with the same placeholders."""

from __future__ import annotations

import string

import pytest

from campaign import texts


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(texts.TEXTS))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    vi, en = texts.TEXTS[key]
    assert vi.strip() and en.strip()
    assert _fields(vi) == _fields(en), f"{key}: {_fields(vi)} vs {_fields(en)}"


def test_a_reader_gets_their_language_and_broadcasts_get_both() -> None:
    assert texts.t("digest.none", "en") == "No posts today."
    assert texts.t("digest.none", "vi") == "Không có bài nào hôm nay."
    assert texts.both("digest.none") == "Không có bài nào hôm nay.\nNo posts today."
