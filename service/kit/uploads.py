"""Streaming multipart uploads: parts go straight to temp files while hashed; limits apply as bytes arrive."""

from __future__ import annotations

import re
import sys
import unicodedata
import warnings
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, unquote_to_bytes

from PIL import Image
from python_multipart.multipart import MultipartParser, parse_options_header

from service.kit.errors import InvalidFile, InvalidInput, TooLarge, disk_full
from service.kit.fields import InputError, check_text
from service.pdf.reading import InvalidPdf, PasswordProtectedPdf, active_content, pdf_page_count
from storage import MediaInfo, SizeLimitExceeded, StagedFile, Staging, sniff

MAX_FIELD_BYTES = 256 * 1024
MAX_FIELDS = 200
"""Form fields (parts without a file) per request: a letter's form has about twenty."""
MAX_FORM_BYTES = 1024 * 1024
"""All form fields together; counted as the bytes arrive, chunked or not."""
MAX_PART_HEADER_BYTES = 16 * 1024
"""The headers of one part."""
FORM_LIMITS = {"max_fields": MAX_FIELDS, "max_files": 0, "max_part_size": MAX_FIELD_BYTES}
"""``request.form(**FORM_LIMITS)`` where a page reads its form itself (one file: ``max_files=1``)."""


class Body(Protocol):
    """What the parser needs of a request (Starlette's ``Request`` is one): its headers and its byte stream."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    def stream(self) -> AsyncIterator[bytes]: ...


@dataclass
class IncomingFile:
    filename: str
    staged: StagedFile
    original: str = ""
    """The name as sent, when it had to be cleaned for display (kept for the audit trail)."""


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[IncomingFile] = field(default_factory=list)

    def discard(self) -> None:
        for f in self.files:
            f.staged.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    staged: StagedFile
    media: MediaInfo
    pages: int | None
    original: str = ""
    active_content: tuple[str, ...] = ()
    """What a PDF would do on its own when opened (JavaScript, Launch, embedded files): flagged, not refused."""
    too_complex: bool = False
    """An image with more pixels than the budget allows to decode."""


_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control characters (C0, DEL, C1), format characters (the bidi overrides and isolates such as U+202E, zero-width
characters, the soft hyphen), surrogates, private-use and unassigned code points, line and paragraph separators."""


def safe_filename(raw: str) -> str:
    """A file name fit to show and to offer for download: the last path segment only (either slash), without
    control, bidi and other invisible characters, without characters Windows refuses, without leading or trailing
    dots and spaces (so never ``..``), at most 200 characters. ``invoice\u202efdp.exe`` becomes
    ``invoicefdp.exe``: what is shown is what the name ends with."""
    text = unicodedata.normalize("NFC", raw).replace("\\", "/")
    name = text.rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in _UNSAFE_CATEGORIES and c not in '<>:"|?*')
    name = name.strip(" .")
    return name[:200].strip(" .") or "file"


_FILENAME_STAR = re.compile(rb"""(?:^|;)\s*filename\*\s*=\s*([^;]*)""", re.IGNORECASE)


def _filename_star(header: bytes) -> str | None:
    """The RFC 5987 / RFC 6266 ``filename*=charset'lang'percent-encoded`` of a Content-Disposition header."""
    m = _FILENAME_STAR.search(header)
    if m is None:
        return None
    value = m.group(1).strip().strip(b'"')
    charset, _, rest = value.partition(b"'")
    _lang, _, encoded = rest.partition(b"'")
    if not encoded and not rest:
        encoded, charset = value, b"utf-8"
    try:
        return unquote_to_bytes(encoded).decode(charset.decode("ascii", "replace") or "utf-8", "replace")
    except LookupError:
        return unquote_to_bytes(encoded).decode("utf-8", "replace")


def _too_many(max_files: int) -> TooLarge:
    return TooLarge(f"at most {max_files} files per letter", thai=f"แนบไฟล์ได้ไม่เกิน {max_files} ไฟล์")


def _too_big(limit: int) -> TooLarge:
    mb = limit // (1024 * 1024)
    return TooLarge(f"a file is larger than {mb} MB", thai=f"ไฟล์มีขนาดเกิน {mb} เมกะไบต์")


def field_text(name: str, raw: bytes) -> str:
    """A form field's value (or, with ``name`` empty, a part's name) as text: UTF-8 without NUL or another control
    character (tab and line breaks allowed; a single-line field's type refuses those too). ``InvalidInput`` (422,
    Thai, naming the field) otherwise."""
    what, what_th = (f"field {name!r}", f"ช่อง {name}") if name else ("a field's name", "ชื่อช่องข้อมูล")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{what} is not valid UTF-8", thai=f"{what_th}: ข้อความไม่ใช่ UTF-8 (อักษรไทยเสีย) กรุณาตรวจสอบการเข้ารหัส"
        ) from exc
    try:
        return check_text(text, multiline=True)
    except InputError as exc:
        raise InvalidInput(f"{what} {exc}", thai=f"{what_th}: {exc.thai}") from exc


class FormScanner:
    """Checks a multipart form's text fields as its bytes arrive, without keeping them: at most ``MAX_FIELDS``
    fields of ``MAX_FIELD_BYTES`` each and ``MAX_FORM_BYTES`` together, part headers within
    ``MAX_PART_HEADER_BYTES``, every name and value UTF-8 without control characters (:func:`field_text`). File
    parts pass unread (the route that takes them bounds them). For the forms of routes that do not stream uploads
    themselves (``service.edge.limits``); ``read_upload`` applies the same limits to the upload routes."""

    def __init__(self, boundary: bytes) -> None:
        self._fields = self._field_bytes = self._header_bytes = 0
        self._header = [b"", b""]
        self._disposition = b""
        self._name = ""
        self._value: bytearray | None = None
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )

    def write(self, chunk: bytes) -> None:
        self._guard(self._parser.write, chunk)

    def finish(self) -> None:
        self._guard(self._parser.finalize)

    @staticmethod
    def _guard(step: Callable[..., object], *args: bytes) -> None:
        try:
            step(*args)
        except (InvalidInput, TooLarge):
            raise
        except Exception as exc:
            raise InvalidInput(f"malformed multipart body: {exc}", thai="ข้อมูลที่ส่งมาไม่สมบูรณ์") from exc

    def _begin(self) -> None:
        self._header_bytes, self._disposition, self._value = 0, b"", None

    def _count_header(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            raise TooLarge("a part's headers are too large", thai="ข้อมูลที่ส่งมามีส่วนหัวยาวเกินไป")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        if self._header[0].lower() == b"content-disposition":
            self._disposition = self._header[1]
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, disp = parse_options_header(self._disposition)
        self._name = field_text("", disp.get(b"name", b""))
        if b"filename" in disp or _filename_star(self._disposition) is not None:
            return  # a file: the route bounds it
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise TooLarge(
                f"more than {MAX_FIELDS} form fields", thai=f"แบบฟอร์มมีช่องข้อมูลมากเกินไป (ไม่เกิน {MAX_FIELDS} ช่อง)"
            )
        self._value = bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._value is None:
            return
        self._value += data[start:end]
        self._field_bytes += end - start
        if len(self._value) > MAX_FIELD_BYTES or self._field_bytes > MAX_FORM_BYTES:
            raise TooLarge(
                f"form field {self._name!r} is too long",
                thai=f"ช่อง {self._name}: ข้อความยาวเกินไป (ไม่เกิน {MAX_FIELD_BYTES // 1024} KiB ต่อช่อง)",
            )

    def _end(self) -> None:
        if self._value is not None:
            field_text(self._name, bytes(self._value))
            self._value = None


async def read_upload(request: Body, *, tmp_dir: Path, max_files: int, max_file_bytes: int) -> Upload:
    """Parse a multipart body chunk by chunk; on any error every temp file is removed."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype == b"application/x-www-form-urlencoded":
        return await _read_urlencoded(request)
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise InvalidInput("expected multipart/form-data", thai="รูปแบบคำขอไม่ถูกต้อง (ต้องเป็น multipart/form-data)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_files * max_file_bytes + 4 * 1024 * 1024:
        raise _too_big(max_file_bytes)
    upload = Upload()
    state: dict[str, object] = {}
    headers: dict[bytes, bytes] = {}
    current_header: list[bytes] = [b"", b""]
    counts = {"fields": 0, "field_bytes": 0, "header_bytes": 0}

    def on_part_begin() -> None:
        headers.clear()
        state.clear()
        counts["header_bytes"] = 0

    def _header_bytes(n: int) -> None:
        counts["header_bytes"] += n
        if counts["header_bytes"] > MAX_PART_HEADER_BYTES:
            raise TooLarge("a part's headers are too large", thai="ข้อมูลที่ส่งมามีส่วนหัวยาวเกินไป")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        _header_bytes(end - start)
        current_header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        _header_bytes(end - start)
        current_header[1] += data[start:end]

    def on_header_end() -> None:
        headers[current_header[0].lower()] = current_header[1]
        current_header[0], current_header[1] = b"", b""

    def on_headers_finished() -> None:
        raw_disposition = headers.get(b"content-disposition", b"")
        _, disp = parse_options_header(raw_disposition)
        name = field_text("", disp.get(b"name", b""))
        state["name"] = name
        star = _filename_star(raw_disposition)
        if b"filename" in disp or star is not None:
            if len(upload.files) >= max_files:
                raise _too_many(max_files)
            sent = star if star is not None else disp[b"filename"].decode("utf-8", "replace")
            state["filename"] = safe_filename(sent)
            state["original"] = sent
            if not upload.files:  # made when a file comes (a letter without files asks nothing of the disk)
                tmp_dir.mkdir(parents=True, exist_ok=True)
            state["staging"] = Staging(tmp_dir, limit=max_file_bytes)
        else:
            counts["fields"] += 1
            if counts["fields"] > MAX_FIELDS:
                raise TooLarge("too many form fields", thai="แบบฟอร์มมีช่องข้อมูลมากเกินไป")
            state["buffer"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        staging = state.get("staging")
        if isinstance(staging, Staging):
            staging.write(data[start:end])
            return
        buffer = state["buffer"]
        assert isinstance(buffer, bytearray)
        buffer += data[start:end]
        counts["field_bytes"] += end - start
        if len(buffer) > MAX_FIELD_BYTES or counts["field_bytes"] > MAX_FORM_BYTES:
            raise TooLarge("a form field is too large", thai="ข้อมูลในแบบฟอร์มยาวเกินไป")

    def on_part_end() -> None:
        staging = state.get("staging")
        if isinstance(staging, Staging):
            staged = staging.finish()
            shown, sent = str(state["filename"]), str(state["original"])
            upload.files.append(IncomingFile(filename=shown, staged=staged, original=sent if sent != shown else ""))
            state.pop("staging")
        elif isinstance(buffer := state.get("buffer"), bytearray):
            name = str(state["name"])
            upload.fields[name] = field_text(name, bytes(buffer))

    parser = MultipartParser(
        params[b"boundary"],
        callbacks={
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except SizeLimitExceeded as exc:
        _discard(upload, state)
        raise _too_big(max_file_bytes) from exc
    except (InvalidInput, TooLarge):
        _discard(upload, state)
        raise
    except Exception as exc:
        _discard(upload, state)
        if (full := disk_full(exc)) is not None:
            raise full from exc
        raise InvalidInput(f"malformed multipart body: {exc}", thai="ข้อมูลที่ส่งมาไม่สมบูรณ์") from exc
    # A browser sends an empty part for an unused file input.
    kept = [f for f in upload.files if f.staged.size > 0 or f.filename != "file"]
    for f in upload.files:
        if f not in kept:
            f.staged.path.unlink(missing_ok=True)
    upload.files = kept
    return upload


async def _read_urlencoded(request: Body) -> Upload:
    """A form without files (metadata only) may come urlencoded."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FIELD_BYTES * 4:
            raise TooLarge("the form is too large", thai="ข้อมูลในแบบฟอร์มยาวเกินไป")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the form is not valid UTF-8", thai="ข้อความไม่ใช่ UTF-8 (อักษรไทยเสีย)") from exc
    return Upload(fields=dict(pairs))


def _discard(upload: Upload, state: dict[str, object]) -> None:
    upload.discard()
    staging = state.get("staging")
    if isinstance(staging, Staging):
        staging.discard()


def check_file(incoming: IncomingFile, *, allowed: frozenset[str], max_pixels: int | None = None) -> CheckedFile:
    """What the bytes are (never trust the name), whether that kind is accepted, and a PDF's page count. An image
    above ``max_pixels`` (read from its header) is accepted and marked ``too_complex``: it is kept, but neither
    stamped nor read for the index."""
    if incoming.staged.size == 0:
        raise InvalidFile(f"{incoming.filename}: the file is empty", thai=f"ไฟล์ {incoming.filename} ว่างเปล่า")
    media = sniff(incoming.staged.path)
    if media.kind not in allowed:
        raise InvalidFile(
            f"{incoming.filename}: this kind of file is not accepted (detected: {media.kind}); "
            f"accepted: {', '.join(sorted(allowed))}",
            thai=f"ไฟล์ {incoming.filename} ไม่ใช่ชนิดที่รับได้ (รับได้: {', '.join(sorted(allowed))})",
        )
    pages = None
    active: tuple[str, ...] = ()
    too_complex = False
    if media.kind in ("jpeg", "png", "gif"):
        width, height = _check_image(incoming)
        too_complex = max_pixels is not None and width * height > max_pixels
    if media.kind == "pdf":
        try:
            pages = pdf_page_count(incoming.staged.path)
        except PasswordProtectedPdf as exc:
            raise InvalidFile(
                f"{incoming.filename}: the PDF is protected with a password; ask the sender for a copy without one",
                thai=f"ไฟล์ PDF {incoming.filename} ตั้งรหัสผ่านไว้ จึงเปิดอ่านไม่ได้ โปรดขอไฟล์ที่ไม่มีรหัสผ่านจากผู้ส่ง",
            ) from exc
        except InvalidPdf as exc:
            raise InvalidFile(
                f"{incoming.filename}: the PDF cannot be read ({exc})",
                thai=f"ไฟล์ PDF {incoming.filename} เสียหายหรือเปิดไม่ได้",
            ) from exc
        active = tuple(active_content(incoming.staged.path))
    return CheckedFile(
        filename=incoming.filename,
        staged=incoming.staged,
        media=media,
        pages=pages,
        original=incoming.original,
        active_content=active,
        too_complex=too_complex,
    )


def _check_image(incoming: IncomingFile) -> tuple[int, int]:
    """An image whose header Pillow cannot read (an 8-byte PNG signature, a truncated header) is refused: it could
    never be shown or stamped. Its pixels are not decoded here (the stamp's pixel budget decides about those)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(incoming.staged.path) as img:
                width, height = img.size
                img.verify()  # the chunks' structure and checksums, without decoding the pixels
    except Image.DecompressionBombError:
        return sys.maxsize, 1  # readable, but far too many pixels: registered, and left unstamped as too complex
    except Exception as exc:
        raise InvalidFile(
            f"{incoming.filename}: the image cannot be read ({exc})",
            thai=f"ไฟล์ภาพ {incoming.filename} เสียหายหรือเปิดไม่ได้",
        ) from exc
    if width <= 0 or height <= 0:
        raise InvalidFile(f"{incoming.filename}: the image is empty", thai=f"ไฟล์ภาพ {incoming.filename} ว่างเปล่า")
    return width, height
