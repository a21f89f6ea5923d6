"""The fast snippet highlighter gives exactly what Whoosh's highlight() gives with the same settings."""

from __future__ import annotations

import pytest
from whoosh.highlight import ContextFragmenter, highlight

from eval.corpus import generate
from search.index import MarkFormatter, fast_highlight, highlight_terms
from search.thai import ThaiTokenizer

QUERIES = [
    "ทุน",
    "ประเมิน",
    "ศึกษา",
    "จมน้ำ",
    "นักเรียน ทุน",
    "กยศ.",
    "ศธ 04029",
    "โรงเรียน ประจำปี",
    "ด่วน",
    "2565",
    "ใบสำคัญรับเงิน",
    "บ้านหนองแดง",
    "การ",
]


def whoosh_highlight(text: str, terms: frozenset[str]) -> str:
    return str(
        highlight(
            text,
            terms,
            ThaiTokenizer(),
            ContextFragmenter(maxchars=220, surround=60),
            MarkFormatter(),
            top=2,
            mode="index",
        )
    )


@pytest.mark.parametrize("query", QUERIES)
def test_same_as_whoosh_on_letters(query: str) -> None:
    terms = highlight_terms(query)
    for letter in generate(60, seed=3):
        for text in (
            letter.subject,
            letter.summary,
            letter.sender,
            letter.attachment_text[:600],
            letter.letter_no,
            'การประเมินผล <ด่วน> & "ทุน" ' * 9,
        ):
            assert fast_highlight(text, terms) == whoosh_highlight(text, terms), (query, text)


def test_unnormalised_text_and_no_match() -> None:
    for text in ("เเจ้งทุน\u200bการศึกษา ๒๕๖๕", "ทํางานประเมินผล", "", "ไม่มีคำค้น"):
        for q in ("ทุน", "ประเมิน", "2565", "แจ้ง"):
            terms = highlight_terms(q)
            assert fast_highlight(text, terms) == whoosh_highlight(text, terms), (q, text)
