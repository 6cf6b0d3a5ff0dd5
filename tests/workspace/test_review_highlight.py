"""The Review page's highlighting shows the data's text exactly (only styled), never as HTML."""

from __future__ import annotations

import re

import pytest

from analysis.workspace.review import NBSP, highlighted, plain_text, shared_words

TEXTS = [
    'alert("x") and <b>bold?</b> end.',
    "Hello, world! (see: [link](http://x)) -- 3.5% of **all** :red[x] `code`",
    "  two  spaces,\ttab\nnew line\r\n\nblank line before; trailing  ",
    "    indented like code\n# not a heading\n- not a list\n1. not a list",
    "back\\slash at end\\\nnext_line_with_underscores",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_original_text_comes_back_exactly(text):
    words = shared_words(text, text)
    markdown = highlighted(text, words)
    expected = text.replace("\r\n", "\n").replace("\t", "    ")
    assert plain_text(markdown) == expected
    assert "<" not in markdown.replace("\\<", "")         # every < escaped: never HTML
    assert "-background[" not in markdown                 # no padded background spans


def test_punctuation_stays_next_to_a_highlighted_word():
    markdown = highlighted('alert("x")</script>', {"alert", "script"})
    assert markdown == ':orange[**alert**]\\(\\"x\\"\\)\\<\\/:orange[**script**]\\>'


def test_whitespace_is_kept_not_collapsed():
    markdown = highlighted("a  b\n  c", set())
    assert markdown == f"a {NBSP}b\\\n{NBSP}{NBSP}c"
    assert not re.search(r"(^|\n) ", markdown)             # no line starts with a plain space
