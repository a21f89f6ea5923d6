"""Repairing the text layer of Thai PDFs before it is indexed or shown.

PDFs made by word processors with Thai fonts often carry a text layer that a reader does not see but search does:

- a space or a line break after ``ำ`` (its two glyphs ``ํ`` + ``า`` are placed as separate runs): ``ดำ เนินงาน``,
  ``ผู้อำ นวยการสำ นักงาน``;
- ``ำ`` itself split into ``ํ`` and ``า``, sometimes with a space between;
- a space or line break before a combining mark (an upper or lower vowel, a tone mark): ``ก ่``;
- the private-use glyph codes (U+F700–U+F71A) of old Thai fonts, which shift tone marks and vowels left or down
  and cut the tails of ญ and ฐ; they are the same letters to a reader.

Each repair joins what a reader sees as one word; none removes a space between two words that both stand whole.
"""

from __future__ import annotations

import re

__all__ = ["PUA_THAI", "repair_text_layer"]

# The glyph variants of Thai fonts in the Private Use Area (shift down, shift left, shift down-left, no descender),
# as fonts for Windows define them; each is the plain letter to a reader.
PUA_THAI = {
    0xF700: "ฐ", 0xF70F: "ญ",
    0xF701: "ิ", 0xF702: "ี", 0xF703: "ึ", 0xF704: "ื",
    0xF705: "่", 0xF706: "้", 0xF707: "๊", 0xF708: "๋", 0xF709: "์",
    0xF70A: "่", 0xF70B: "้", 0xF70C: "๊", 0xF70D: "๋", 0xF70E: "์",
    0xF710: "ั", 0xF711: "ํ", 0xF712: "็",
    0xF713: "่", 0xF714: "้", 0xF715: "๊", 0xF716: "๋", 0xF717: "์",
    0xF718: "ุ", 0xF719: "ู", 0xF71A: "ฺ",
}  # fmt: skip

_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # above/below vowels, tone marks, thanthakhat, nikhahit, yamakkan
_THAI_LETTER = "\u0e01-\u0e2e\u0e30\u0e32\u0e33\u0e40-\u0e46"  # consonants, vowels that stand on the line
# ํ (nikhahit) + spaces + า → ำ (the split sara am)
_SPLIT_AM = re.compile("\u0e4d[ \t]*\u0e32")
# a Thai letter, spaces or one line break, then a combining mark: the mark belongs to the letter
_SPACE_BEFORE_MARK = re.compile(f"(?<=[{_THAI_LETTER}{_MARKS}])[ \t]*\\r?\\n?[ \t]*(?=[{_MARKS}])")
# ำ, one space or one line break, then a Thai letter: the word goes on (ดำ เนิน, อำ นวย, สำ นัก)
_SPACE_AFTER_AM = re.compile(f"(?<=\u0e33)(?: |\\r?\\n)(?=[{_THAI_LETTER}])")


def repair_text_layer(text: str) -> str:
    """The text a reader sees, from a Thai PDF's text layer (see the module's notes)."""
    if not text:
        return text
    text = text.translate(PUA_THAI)
    text = _SPLIT_AM.sub("\u0e33", text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    return _SPACE_AFTER_AM.sub("", text)
