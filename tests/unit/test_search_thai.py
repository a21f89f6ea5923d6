"""Table tests for the Thai analysis (search/thai.py)."""

from __future__ import annotations

import pytest

from search.thai import (
    ThaiTokenizer,
    find_letter_numbers,
    letter_no_keys,
    letter_no_query_key,
    normalize,
    normalize_with_map,
    query_tokens,
    segment,
    tokens_for_index,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ศธ ๐๔๐๔๕/๑๒๓", "ศธ 04045/123"),  # Thai digits → Arabic
        ("ทุน\u200bการ\u200cศึกษา\u200d\u2060\ufeff", "ทุนการศึกษา"),  # zero-width removed
        ("เเจ้ง", "แจ้ง"),  # เเ typed as two sara e
        ("ทํางาน", "ทำงาน"),  # nikhahit + sara aa → sara am
        ("PDF Scan", "pdf scan"),  # Latin lower-cased
        ("\u0e01\u0e48\u0e33", "\u0e01\u0e48\u0e33"),  # already NFC Thai stays
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    norm, offs = normalize_with_map(raw)
    assert norm == expected
    assert len(offs) == len(norm) + 1


@pytest.mark.parametrize("abbr", ["สพป.", "สพม.", "สพฐ.", "กยศ.", "ศธ.", "กศจ.", "ผอ.", "รร.", "ฯลฯ"])
def test_office_abbreviations_stay_whole(abbr: str) -> None:
    assert abbr in segment(f"แจ้ง{abbr}ทราบ")


def test_abbreviation_before_name() -> None:
    assert segment("สพป.ขอนแก่น เขต ๕")[:2] == ["สพป.", "ขอนแก่น"]


@pytest.mark.parametrize(
    ("word", "compound"),
    [
        ("ทุน", "ทุนการศึกษา"),
        ("ประเมิน", "การประเมินผล"),
        ("ศึกษา", "การศึกษา"),
        ("จมน้ำ", "การป้องกันการจมน้ำ"),
        ("งบประมาณ", "ประจำปีงบประมาณ"),
        ("ประจำปี", "ประจำปีงบประมาณ"),  # crosses the words newmm chose (ประจำ|ปีงบประมาณ)
        ("กรรมการ", "คณะกรรมการสถานศึกษา"),
    ],
)
def test_index_side_finds_words_inside_compounds(word: str, compound: str) -> None:
    assert word in tokens_for_index(f"เรื่อง {compound} โรงเรียน")
    assert query_tokens(word) == [word]


@pytest.mark.parametrize("compound", ["ทุนการศึกษา", "การประเมินผล", "การป้องกันการจมน้ำ"])
def test_query_side_does_not_expand(compound: str) -> None:
    toks = query_tokens(compound)
    assert "".join(toks) == compound
    assert len(toks) <= 3
    qs = [t.text for t in ThaiTokenizer()(compound, mode="query")]
    assert qs == toks


def test_tokenizer_offsets_point_into_original_text() -> None:
    text = "เเจ้ง ทุนการศึกษา ๒๕๖๕"
    toks = [(t.text, t.startchar, t.endchar) for t in ThaiTokenizer()(text, chars=True, positions=True)]
    for word, s, e in toks:
        assert normalize(text[s:e]) == word
    assert ("ทุน", 6, 9) in toks


@pytest.mark.parametrize(
    ("printed", "full", "prefix"),
    [
        ("ศธ ๐๔๐๔๕/๑๒๓", "ศธ04045/123", "ศธ04045"),
        ("ศธ04045/123", "ศธ04045/123", "ศธ04045"),
        ("ศธ 04045/123", "ศธ04045/123", "ศธ04045"),
        ("ที่ ศธ 0404.5/123", "ศธ04045/123", "ศธ04045"),
        ("ศบ 04029 311/05", "ศบ04029311/05", "ศบ04029"),
        ("ศธ ๐๔๑๓๔/ว๒๐๘๘", "ศธ04134/ว2088", "ศธ04134"),
    ],
)
def test_letter_number_keys(printed: str, full: str, prefix: str) -> None:
    keys = letter_no_keys(printed)
    assert keys[0] == full
    assert prefix in keys


@pytest.mark.parametrize("typed", ["ศธ ๐๔๐๔๕/๑๒๓", "ศธ04045/123", "ศธ 04045/123", "ที่ ศธ ๐๔๐๔๕/๑๒๓"])
def test_typed_letter_number_matches_key(typed: str) -> None:
    assert letter_no_query_key(typed) == "ศธ04045/123"
    assert letter_no_query_key(typed) in letter_no_keys("ศธ ๐๔๐๔๕/๑๒๓")
    assert find_letter_numbers(normalize(typed))


def test_circular_number_also_without_wor() -> None:
    assert "ศธ04134/2088" in letter_no_keys("ศธ 04134/ว2088")


def test_plain_words_are_not_letter_numbers() -> None:
    assert find_letter_numbers("ทุนการศึกษา ประจำปี") == []
