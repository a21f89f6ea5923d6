"""Relevance judgements for the eval corpus, derived from each letter's own facts — never from the engine.

Rules (T(x) = x with Thai digits → Arabic, zero-width removed, whitespace removed):
* word / topic word / school name / attachment-only word: relevant = letters whose text (subject, number,
  sender, recipient, summary, instructions, attachment text) contains T(word) as a substring — "find any letter
  that contains this word", the product's promise (compounds included: ทุน ⊂ ทุนการศึกษา);
* "quoted phrase": the same substring rule on T(phrase);
* a letter number in any printed form: relevant = the letter(s) with that (canonical code, number);
* a sender code ("ศธ 04029", Thai or Arabic digits): relevant = letters whose canonical code is that code;
* topic word + B.E. date range: substring rule AND letter_date within the range.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from eval.corpus import ATTACHMENT_ONLY, SCHOOL_NAMES, SENDER_CODES, TOPICS, Letter, thai_digits


@dataclass(frozen=True)
class EvalQuery:
    kind: str
    text: str
    relevant: frozenset[int]
    date_from: date | None = None
    date_to: date | None = None


def _t(s: str) -> str:
    s = unicodedata.normalize("NFC", s)
    s = "".join(str("๐๑๒๓๔๕๖๗๘๙".index(c)) if c in "๐๑๒๓๔๕๖๗๘๙" else c for c in s)
    s = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return re.sub(r"\s+", "", s).lower()


def _text(letter: Letter) -> str:
    return _t(
        " ".join(
            (
                letter.subject,
                letter.letter_no,
                letter.sender,
                letter.recipient,
                letter.summary,
                letter.instructions,
                letter.attachment_text,
            )
        )
    )


def build_queries(letters: Sequence[Letter], seed: int = 11) -> list[EvalQuery]:
    rng = random.Random(seed)
    texts = {x.doc_id: _text(x) for x in letters}
    qs: list[EvalQuery] = []

    def substring(kind: str, q: str, shown: str | None = None) -> None:
        needle = _t(q)
        rel = frozenset(i for i, t in texts.items() if needle in t)
        if rel:
            qs.append(EvalQuery(kind, shown or q, rel))

    # topic words, incl. sub-words of compounds (ทุน, ประเมิน, ศึกษา …)
    words = sorted(
        {w for t in TOPICS for w in t.words}
        | {"ทุน", "ประเมิน", "ศึกษา", "น้ำ", "นักเรียน", "โครงการ", "ประจำปี", "กองทุน", "ยากจน", "ว่ายน้ำ", "ครู"}
    )
    for w in words:
        substring("word", w)
    for s in SCHOOL_NAMES:
        substring("school", s)
    for w in ATTACHMENT_ONLY:
        substring("attachment", w)
    # phrases
    for p in (
        "ทุนการศึกษา ประจำปี",
        "การป้องกันการจมน้ำ",
        "ต่อต้านยาเสพติดโลก",
        "พาน้องกลับมาเรียน",
        "คณะกรรมการสถานศึกษาขั้นพื้นฐาน",
        "ประเมินผลการบริหาร",
        "เงินให้กู้ยืมเพื่อการศึกษา",
        "ศูนย์เฉพาะกิจคุ้มครอง",
        "เด็กนักเรียน ช่วงปิดภาคเรียน",
        "แหล่งน้ำเสี่ยง",
    ):
        substring("phrase", p, shown=f'"{p}"')
    # letter numbers: 60 letters, typed in a random form
    for x in rng.sample(list(letters), 60):
        prefix, digits = x.code[:2], x.code[2:]
        form = rng.randrange(4)
        typed = [
            f"{prefix} {digits}/{x.number}",
            thai_digits(f"{prefix} {digits}/{x.number}"),
            f"{prefix}{digits}/{x.number}",
            thai_digits(f"{prefix}{digits}/{x.number}"),
        ][form]
        rel = frozenset(y.doc_id for y in letters if y.code == x.code and y.number == x.number)
        qs.append(EvalQuery("number", typed, rel))
    # sender codes
    for code, _ in SENDER_CODES:
        for typed in (code, thai_digits(code)):
            rel = frozenset(y.doc_id for y in letters if y.code == code.replace(" ", ""))
            if rel:
                qs.append(EvalQuery("code", typed, rel))
    # topic word + date range (B.E. quarter)
    for _ in range(30):
        t = rng.choice(TOPICS)
        w = t.words[0]
        y = rng.choice((2022, 2023))
        qm = rng.choice((1, 4, 7, 10))
        lo = date(y, qm, 1)
        hi = date(y + (qm == 10), (qm + 2) % 12 + 1, 1)
        hi = date.fromordinal(hi.toordinal() - 1)
        rel = frozenset(x.doc_id for x in letters if _t(w) in texts[x.doc_id] and lo <= x.letter_date <= hi)
        if rel:
            qs.append(EvalQuery("date", w, rel, lo, hi))
    # the subject of a letter, typed without quotes (several words AND-ed)
    for x in rng.sample(list(letters), 40):
        words = x.subject.split()[:2]
        needle_words = [_t(w) for w in words]
        rel = frozenset(i for i, t in texts.items() if all(n in t for n in needle_words))
        qs.append(EvalQuery("subject", " ".join(words), rel))
    return qs
