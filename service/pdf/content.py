"""What is on page 1: its content read once, by a small tokenizer and a graphics/text state machine, into boxes of
text, images and drawings."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pypdf.errors import LimitReachedError
from pypdf.generic import DictionaryObject, StreamObject

from service.pdf.budget import Meter, TooComplex, current
from service.pdf.geometry import _IDENTITY, Matrix, Rect, _apply, _bbox, _mul, _transform_rect

log = logging.getLogger(__name__)


_NUMBER = rb"[+-]?(?:\d+\.?\d*|\.\d+)"
_DELIMITED = rb"[^\s\x00/\[\]()<>{}%]"
_TOKEN = re.compile(
    # 1, 2: an operator with the numbers before it, in one match: most operations are just that
    rb"((?:" + _NUMBER + rb"[\s\x00]+)*)([A-Za-z'\"]" + _DELIMITED + rb"*)"
    rb"|(" + _NUMBER + rb")"  # 3 number
    rb"|(/" + _DELIMITED + rb"*)"  # 4 name
    rb"|(\((?:[^()\\]|\\.)*\))"  # 5 literal string (without nested parentheses)
    rb"|(<[0-9A-Fa-f\s\x00]*>)"  # 6 hex string
    rb"|(\[|\]|<<|>>)"  # 7 array and dictionary delimiters
    rb"|(\()"  # 8 literal string with nested parentheses: read by _literal_string
    rb"|(%[^\r\n]*)"  # 9 comment
    rb"|(" + _DELIMITED + rb"+)",  # 10 anything else: an odd operator
    re.DOTALL,
)
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n|\r|\n)|(.))", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_END_OF_INLINE_IMAGE = re.compile(rb"[\s\x00]EI(?=[\s\x00]|$)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _unescape(raw: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        if m.group(1):
            return bytes([int(m.group(1), 8) & 0xFF])
        if m.group(2):
            return b""  # a backslash at the end of a line continues the string
        char = m.group(3)
        return _ESCAPES.get(char, char)

    return _ESCAPE.sub(one, raw) if b"\\" in raw else raw


def _literal_string(data: bytes, start: int) -> tuple[bytes, int]:
    """The string opening at ``data[start]`` (balanced parentheses) and the position after it."""
    depth = 0
    i = start
    n = len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return _unescape(data[start + 1 : i]), i + 1
        i += 1
    return _unescape(data[start + 1 :]), n


def _operations(data: bytes) -> Iterator[tuple[list[Any], bytes]]:
    """(operands, operator) of a content stream. Numbers are floats, names ``/str``, strings bytes, arrays
    lists; an inline image is one ``INLINE IMAGE`` operation."""
    operands: list[Any] = []
    nested: list[list[Any]] = []
    pos = 0
    n = len(data)
    while pos < n:
        resume = n
        for m in _TOKEN.finditer(data, pos):
            kind = m.lastindex
            value: Any
            if kind == 2 or kind == 10:  # an operator (the common case first)
                numbers = m.group(1)
                op = m.group(kind)
                if nested:  # true / false / null inside an array or dictionary
                    if numbers:
                        nested[-1].extend(map(float, numbers.split()))
                    nested[-1].append(None)
                    continue
                if numbers:
                    operands.extend(map(float, numbers.split()))
                if op == b"ID":  # inline image data runs to EI
                    end = _END_OF_INLINE_IMAGE.search(data, m.end() + 1)
                    resume = end.end() if end else n
                    operands = []
                    yield [], b"INLINE IMAGE"
                    break
                yield operands, op
                operands = []
                continue
            if kind == 3:
                value = float(m.group(3))
            elif kind == 4:
                raw = m.group(4)
                if b"#" in raw:
                    raw = _NAME_ESCAPE.sub(lambda e: bytes([int(e.group(1), 16)]), raw)
                value = raw.decode("latin-1")
            elif kind == 5:
                value = _unescape(m.group(5)[1:-1])
            elif kind == 6:
                digits = re.sub(rb"[\s\x00]", b"", m.group(6)[1:-1])
                value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
            elif kind == 7:
                if m.group(7) in (b"[", b"<<"):
                    nested.append([])
                    continue
                if not nested:
                    continue
                value = nested.pop()
            elif kind == 8:
                value, resume = _literal_string(data, m.start())
                (nested[-1] if nested else operands).append(value)
                break
            else:  # comment
                continue
            (nested[-1] if nested else operands).append(value)
        pos = resume


def _resolved(dictionary: Any, key: str, default: Any = None) -> Any:
    """``dictionary[key]``, an indirect reference followed (pypdf's ``get`` returns references as they are)."""
    try:
        return dictionary[key]
    except KeyError:
        return default


class _FontWidths:
    """Glyph advances of a PDF font (in text space units per unit of font size), enough to box its text."""

    def __init__(self, font: Any) -> None:
        self.two_byte = False
        self.widths: dict[int, float] = {}
        self.ranges: list[tuple[int, int, float]] = []
        self.default = 0.6  # an estimate when the font does not say
        try:
            self._read(font.get_object())
        except Exception as exc:  # a damaged font: estimate
            log.info("cannot read the widths of a font on page 1: %s", exc)

    def _read(self, font: Any) -> None:
        subtype = font.get("/Subtype")
        if subtype == "/Type0":
            self.two_byte = True
            descendant = font["/DescendantFonts"].get_object()[0].get_object()
            self.default = float(descendant["/DW"]) / 1000 if "/DW" in descendant else 1.0
            if font.get("/Encoding") not in ("/Identity-H", "/Identity-V"):
                return  # codes are not CIDs: the default width (1 em unless told) is generous
            items = [v.get_object() for v in _resolved(descendant, "/W", [])]
            i = 0
            while i + 1 < len(items):
                first = int(items[i])
                if isinstance(items[i + 1], list):
                    for k, w in enumerate(items[i + 1]):
                        self.widths[first + k] = float(w.get_object()) / 1000
                    i += 2
                elif i + 2 < len(items):
                    self.ranges.append((first, int(items[i + 1]), float(items[i + 2]) / 1000))
                    i += 3
                else:
                    break
            return
        scale = 0.001
        if subtype == "/Type3" and "/FontMatrix" in font:
            scale = abs(float(font["/FontMatrix"][0]))
        if "/Widths" not in font:  # a standard 14 font: estimate
            self.widths[32] = 0.3
            return
        first = int(font["/FirstChar"]) if "/FirstChar" in font else 0
        for k, w in enumerate(font["/Widths"]):
            self.widths[first + k] = float(w.get_object()) * scale

    def advance(self, string: bytes, size: float, char_spacing: float, word_spacing: float) -> float:
        """The advance of ``string`` in unscaled text space (before horizontal scaling)."""
        widths, default = self.widths, self.default
        total = 0.0
        if self.two_byte:
            count = len(string) // 2
            for i in range(0, 2 * count, 2):
                code = string[i] << 8 | string[i + 1]
                w = widths.get(code)
                total += w if w is not None else self._range_width(code)
            return total * size + count * char_spacing
        for code in string:
            w = widths.get(code)
            total += w if w is not None else default
        return total * size + len(string) * char_spacing + string.count(32) * word_spacing

    def _range_width(self, code: int) -> float:
        for first, last, w in self.ranges:
            if first <= code <= last:
                return w
        return self.default

    def blank(self, string: bytes) -> bool:
        return not string if self.two_byte else not string.strip(b" \x00")


_NO_FONT = _FontWidths(DictionaryObject())


@dataclass(frozen=True)
class _PlacedImage:
    rect: Rect  # user space
    ctm: Matrix  # maps the unit square onto the page
    name: str | None  # resource name when directly on the page (for pixel access)


@dataclass
class _PageContent:
    text: list[Rect] = field(default_factory=list)  # user space boxes of shown text
    images: list[_PlacedImage] = field(default_factory=list)
    paths: list[Rect] = field(default_factory=list)  # boxes of painted paths

    def add_text(self, r: Rect) -> None:
        """Append a text box, merged into the previous one when it continues it on the same line."""
        if self.text:
            last = self.text[-1]
            if (
                abs(r[1] - last[1]) < 0.5
                and abs(r[3] - last[3]) < 0.5
                and r[0] <= last[2] + 1.0
                and r[2] >= last[0] - 1.0
            ):
                self.text[-1] = (min(r[0], last[0]), min(r[1], last[1]), max(r[2], last[2]), max(r[3], last[3]))
                return
        self.text.append(r)


def _decoded(stream: Any, meter: Meter) -> bytes:
    """A stream's decoded data, counted against the decompression budget (pypdf's own limit, lowered to the
    budget by ``metered``, stops a single bomb while it is being inflated)."""
    meter.check_time()
    try:
        data = bytes(stream.get_object().get_data())
    except LimitReachedError as exc:
        raise TooComplex(f"a content stream decodes to more than allowed: {exc}") from exc
    meter.add_content(len(data))
    return data


def _stream_data(contents: Any, meter: Meter | None = None) -> bytes:
    """The decoded data of a /Contents entry (one stream or an array of them)."""
    meter = meter or current()
    obj = contents.get_object()
    if isinstance(obj, list):
        return b"\n".join(_decoded(part, meter) for part in obj)
    return _decoded(obj, meter)


def _read_page(page: Any) -> _PageContent:
    """Text boxes, placed images and painted paths of ``page`` (and of its forms, 2 levels deep).

    Within the budget of the work under way (``service.pdf.budget``): over it, :class:`TooComplex` is raised;
    any other trouble reading the page leaves what was found so far (the stamp goes to its usual corner).
    """
    found = _PageContent()
    meter = current()
    try:
        contents = page.get("/Contents")
        if contents is not None:
            resources = page.get("/Resources")
            _walk(
                _stream_data(contents, meter),
                resources.get_object() if resources is not None else None,
                _IDENTITY,
                0,
                found,
                meter,
            )
    except TooComplex:
        raise
    except LimitReachedError as exc:
        raise TooComplex(f"page 1 is over pypdf's limits: {exc}") from exc
    except Exception as exc:  # reading the page must never stop the stamp
        log.warning("cannot read the content of page 1: %s", exc)
    return found


def _walk(data: bytes, resources: Any, base: Matrix, depth: int, found: _PageContent, meter: Meter) -> None:
    xobjects: Any = {}
    font_resources: Any = {}
    with contextlib.suppress(Exception):
        if resources is not None and "/XObject" in resources:
            xobjects = resources["/XObject"].get_object()
    with contextlib.suppress(Exception):
        if resources is not None and "/Font" in resources:
            font_resources = resources["/Font"].get_object()
    fonts: dict[str, _FontWidths] = {}

    ctm = base
    stack: list[tuple[Any, ...]] = []
    path: list[tuple[float, float]] = []
    # text state (part of the graphics state: saved by q, restored by Q)
    font = _NO_FONT
    size = 0.0
    char_spacing = word_spacing = leading = rise = 0.0
    scaling = 1.0
    tm = tlm = _IDENTITY

    def show(string: bytes) -> None:
        nonlocal tm
        advance = font.advance(string, size, char_spacing, word_spacing) * scaling
        if advance and not font.blank(string):
            x0, x1 = (0.0, advance) if advance > 0 else (advance, 0.0)
            found.add_text(_transform_rect(_mul(tm, ctm), (x0, rise - 0.3 * size, x1, rise + 1.05 * size)))
        a, b, c, d, e, f = tm
        tm = (a, b, c, d, e + advance * a, f + advance * b)

    counted = 0
    for operands, op in _operations(data):
        counted += 1
        if counted == 1000:
            meter.add_operators(counted)
            counted = 0
        try:
            if op in (b"Tj", b"'", b'"'):
                if op != b"Tj":
                    if op == b'"' and len(operands) >= 3:
                        word_spacing, char_spacing = float(operands[0]), float(operands[1])
                    a, b, c, d, e, f = tlm
                    tm = tlm = (a, b, c, d, e - leading * c, f - leading * d)
                if operands and isinstance(operands[-1], bytes):
                    show(operands[-1])
            elif op == b"TJ":
                if operands and isinstance(operands[0], list):
                    for item in operands[0]:
                        if isinstance(item, bytes):
                            show(item)
                        elif isinstance(item, float):
                            shift = -item / 1000 * size * scaling
                            a, b, c, d, e, f = tm
                            tm = (a, b, c, d, e + shift * a, f + shift * b)
            elif op == b"Tm" and len(operands) == 6:
                tm = tlm = tuple(map(float, operands))  # type: ignore[assignment]
            elif op in (b"Td", b"TD") and len(operands) == 2:
                tx, ty = float(operands[0]), float(operands[1])
                if op == b"TD":
                    leading = -ty
                a, b, c, d, e, f = tlm
                tm = tlm = (a, b, c, d, e + tx * a + ty * c, f + tx * b + ty * d)
            elif op == b"T*":
                a, b, c, d, e, f = tlm
                tm = tlm = (a, b, c, d, e - leading * c, f - leading * d)
            elif op == b"BT":
                tm = tlm = _IDENTITY
            elif op == b"Tf" and len(operands) == 2:
                name = str(operands[0])
                size = float(operands[1])
                found_font = fonts.get(name)
                if found_font is None:
                    found_font = fonts[name] = _FontWidths(font_resources[name]) if name in font_resources else _NO_FONT
                font = found_font
            elif op == b"Tc" and operands:
                char_spacing = float(operands[0])
            elif op == b"Tw" and operands:
                word_spacing = float(operands[0])
            elif op == b"Tz" and operands:
                scaling = float(operands[0]) / 100
            elif op == b"TL" and operands:
                leading = float(operands[0])
            elif op == b"Ts" and operands:
                rise = float(operands[0])
            elif op == b"q":
                stack.append((ctm, font, size, char_spacing, word_spacing, leading, rise, scaling))
            elif op == b"Q":
                if stack:
                    ctm, font, size, char_spacing, word_spacing, leading, rise, scaling = stack.pop()
                else:
                    ctm = base
            elif op == b"cm" and len(operands) == 6:
                ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
            elif op in (b"m", b"l") and len(operands) >= 2:
                path.append(_apply(ctm, float(operands[0]), float(operands[1])))
            elif op in (b"c", b"v", b"y") and len(operands) >= 4:
                for i in range(0, len(operands) - 1, 2):
                    path.append(_apply(ctm, float(operands[i]), float(operands[i + 1])))
            elif op == b"re" and len(operands) == 4:
                x, y, w, h = (float(v) for v in operands)
                r = _transform_rect(ctm, (min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h)))
                path.extend([(r[0], r[1]), (r[2], r[3])])
            elif op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
                if path:
                    found.paths.append(_bbox(path))
                path = []
            elif op == b"n":
                path = []
            elif op == b"INLINE IMAGE":
                found.images.append(_PlacedImage(_transform_rect(ctm, (0, 0, 1, 1)), ctm, None))
            elif op == b"Do" and operands:
                name = str(operands[0])
                try:
                    xobj = xobjects[name].get_object()
                except Exception:
                    continue
                subtype = xobj.get("/Subtype")
                if subtype == "/Image":
                    rect = _transform_rect(ctm, (0, 0, 1, 1))
                    found.images.append(_PlacedImage(rect, ctm, name if depth == 0 else None))
                elif subtype == "/Form" and depth < 2 and isinstance(xobj, StreamObject):
                    matrix = _resolved(xobj, "/Matrix")
                    form_m: Matrix = _IDENTITY
                    if matrix is not None and len(matrix) == 6:
                        form_m = tuple(float(v) for v in matrix)  # type: ignore[assignment]
                    form_resources = xobj.get("/Resources")
                    form_resources = form_resources.get_object() if form_resources is not None else resources
                    _walk(_decoded(xobj, meter), form_resources, _mul(form_m, ctm), depth + 1, found, meter)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            continue  # a malformed operation: skip it
    meter.add_operators(counted)
