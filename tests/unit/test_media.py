"""sniff() decides a file's kind from real bytes, never from its name; Staging hashes and limits uploads."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter

from storage import (
    MediaInfo,
    SizeLimitExceeded,
    StagedFile,
    Staging,
    StorageError,
    sniff,
    stage_bytes,
    stage_stream,
)

# --- real samples, built here -------------------------------------------------------------------------


def fpdf_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Saraban test letter")
    return bytes(pdf.output())


def pypdf_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_after_preamble() -> bytes:
    # Readers accept a header anywhere in the first 1024 bytes (mail gateways sometimes prepend a line).
    return b"X-Scanned-By: gateway\r\n" * 10 + fpdf_pdf()


def image(fmt: str) -> Callable[[], bytes]:
    def build() -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (16, 12), (200, 30, 30)).save(out, format=fmt)
        return out.getvalue()

    return build


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{ctype}"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{part}"/></Relationships>'
)


def zip_of(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    """A minimal but complete WordprocessingML package."""
    part = "word/document.xml"
    ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    return zip_of(
        {
            "[Content_Types].xml": _CONTENT_TYPES.format(part=part, ctype=ctype),
            "_rels/.rels": _RELS.format(part=part),
            part: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>หนังสือราชการ</w:t></w:r></w:p></w:body></w:document>",
        }
    )


def xlsx() -> bytes:
    """A minimal SpreadsheetML package: a workbook with one sheet."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return zip_of(
        {
            "[Content_Types].xml": _CONTENT_TYPES.format(
                part="xl/workbook.xml",
                ctype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            ),
            "_rels/.rels": _RELS.format(part="xl/workbook.xml"),
            "xl/workbook.xml": f'<workbook xmlns="{ns}" xmlns:r="{rel_ns}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>1</t></is></c></row></sheetData></worksheet>',
        }
    )


def plain_zip() -> bytes:
    return zip_of({"scan-001.txt": "page one", "docs/readme.txt": "hello"})


def empty_zip() -> bytes:
    return zip_of({})


_FREESECT, _ENDOFCHAIN, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (MS-CFB, version 3, 512-byte sectors) holding the given streams.

    olefile can only read, so this writes one: sector 0 is the FAT, sector 1 the directory, the streams
    follow. Each stream is padded to 4096 bytes so it lives in regular sectors and needs no mini stream.
    """
    assert 1 <= len(streams) <= 3  # the root plus three streams fill the one directory sector
    # Siblings form a binary search tree ordered by (name length, upper-cased name); a right-leaning chain
    # is a valid (if unbalanced) one.
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    fat = [_FATSECT, _ENDOFCHAIN]
    starts = []
    for data in datas:
        count = -(-len(data) // 512)
        first = len(fat)
        starts.append(first)
        fat += [*range(first + 1, first + count), _ENDOFCHAIN]
    assert len(fat) <= 128
    fat += [_FREESECT] * (128 - len(fat))

    def entry(name: str, kind: int, *, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sIQQIII",
            encoded,
            len(encoded),
            kind,
            1,
            _NOSTREAM,
            right,
            child,
            b"\0" * 16,
            0,
            0,
            0,
            start,
            size,
            0,
        )

    directory = entry("Root Entry", 5, right=_NOSTREAM, child=1, start=_ENDOFCHAIN, size=0)
    for i, (name, data) in enumerate(zip(names, datas, strict=True)):
        right = i + 2 if i + 1 < len(names) else _NOSTREAM
        directory += entry(name, 2, right=right, child=_NOSTREAM, start=starts[i], size=len(data))
    unused = struct.pack(
        "<64sHBBIII16sIQQIII", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0, 0
    )
    directory += unused * (4 - len(directory) // 128)

    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"", 0, 1, 1, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0
    )
    header += struct.pack("<109I", 0, *([_FREESECT] * 108))
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + directory + b"".join(datas)


def ole_doc() -> bytes:
    return ole_file({"WordDocument": b"\xec\xa5\xc1\x00", "1Table": b"\0" * 8, "\x05SummaryInformation": b""})


def ole_xls() -> bytes:
    return ole_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00", "\x05SummaryInformation": b""})


def ole_xls_biff5() -> bytes:
    return ole_file({"Book": b"\x09\x08\x08\x00\x00\x05\x05\x00"})


def ole_other() -> bytes:
    return ole_file({"PowerPoint Document": b"\0" * 16})


def _rar4_block(kind: int, flags: int, body: bytes) -> bytes:
    rest = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest


def rar4() -> bytes:
    """An empty RAR 1.5–4.x archive: marker, main header, end-of-archive block."""
    return b"Rar!\x1a\x07\x00" + _rar4_block(0x73, 0, b"\0" * 6) + _rar4_block(0x7B, 0x4000, b"")


def _rar5_block(fields: bytes) -> bytes:
    body = bytes([len(fields)]) + fields  # header size as a one-byte vint
    return struct.pack("<I", zlib.crc32(body)) + body


def rar5() -> bytes:
    """An empty RAR 5 archive: signature, main archive header, end-of-archive header."""
    return b"Rar!\x1a\x07\x01\x00" + _rar5_block(b"\x01\x00\x00") + _rar5_block(b"\x05\x00\x00")


def windows_exe() -> bytes:
    dos_header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 44 + b"\x80\0\0\0"
    return dos_header + b"This program cannot be run in DOS mode.\r\r\n$".ljust(64, b"\0") + b"PE\0\0" + b"\0" * 200


def exe_carrying_pdf_header() -> bytes:
    return windows_exe() + b"%PDF-1.7\n"


def truncated_zip() -> bytes:
    return docx()[:200]


SAMPLES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("pdf from fpdf2", fpdf_pdf, "pdf", "application/pdf"),
    ("pdf from pypdf", pypdf_pdf, "pdf", "application/pdf"),
    ("pdf after a preamble", pdf_after_preamble, "pdf", "application/pdf"),
    ("jpeg", image("JPEG"), "jpeg", "image/jpeg"),
    ("png", image("PNG"), "png", "image/png"),
    ("gif", image("GIF"), "gif", "image/gif"),
    ("docx", docx, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("zip", plain_zip, "zip", "application/zip"),
    ("empty zip", empty_zip, "zip", "application/zip"),
    ("doc (OLE2 with WordDocument)", ole_doc, "doc", "application/msword"),
    ("xls (OLE2 with Workbook)", ole_xls, "xls", "application/vnd.ms-excel"),
    ("xls (OLE2 with BIFF5 Book)", ole_xls_biff5, "xls", "application/vnd.ms-excel"),
    ("rar 4", rar4, "rar", "application/vnd.rar"),
    ("rar 5", rar5, "rar", "application/vnd.rar"),
    ("other OLE2 (PowerPoint)", ole_other, "unknown", "application/octet-stream"),
    (
        "OLE2 signature only",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "unknown",
        "application/octet-stream",
    ),
    ("zip signature, truncated", truncated_zip, "unknown", "application/octet-stream"),
    ("windows exe", windows_exe, "unknown", "application/octet-stream"),
    ("exe with a pdf header inside", exe_carrying_pdf_header, "unknown", "application/octet-stream"),
    ("pdf header after 1024 bytes", lambda: b" " * 1024 + fpdf_pdf(), "unknown", "application/octet-stream"),
    ("thai text", lambda: "บันทึกข้อความ เรื่อง ขออนุมัติ\n".encode() * 50, "unknown", "application/octet-stream"),
    ("empty file", lambda: b"", "unknown", "application/octet-stream"),
]


@pytest.mark.parametrize(("build", "kind", "media_type"), [s[1:] for s in SAMPLES], ids=[s[0] for s in SAMPLES])
@pytest.mark.parametrize("filename", ["letter.pdf", "photo.jpg", "noextension"])
def test_sniff_decides_from_the_bytes(
    tmp_path: Path, build: Callable[[], bytes], kind: str, media_type: str, filename: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(build())
    assert sniff(path) == MediaInfo(kind=kind, media_type=media_type)


def test_the_built_ole_files_are_real_compound_files(tmp_path: Path) -> None:
    import olefile

    path = tmp_path / "x.bin"
    path.write_bytes(ole_doc())
    assert olefile.isOleFile(str(path))
    with olefile.OleFileIO(str(path)) as ole:
        assert sorted("/".join(e) for e in ole.listdir()) == sorted(
            ["1Table", "WordDocument", "\x05SummaryInformation"]
        )
        assert ole.openstream("WordDocument").read(4) == b"\xec\xa5\xc1\x00"


def test_sniff_reads_only_the_head_of_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big"
    with path.open("wb") as f:
        f.write(fpdf_pdf())
        f.write(os.urandom(4 << 20))
    assert sniff(path).kind == "pdf"


# --- staging ------------------------------------------------------------------------------------------


def _leftovers(tmp_dir: Path) -> list[Path]:
    return list(tmp_dir.iterdir()) if tmp_dir.exists() else []


def test_staging_hashes_and_measures_across_chunks(tmp_path: Path) -> None:
    data = os.urandom(3 * 8192 + 17)
    staging = Staging(tmp_path / "tmp", limit=len(data))
    for i in range(0, len(data), 1000):
        staging.write(data[i : i + 1000])
    staged = staging.finish()
    assert staged == StagedFile(
        path=staged.path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), head=data[:8192]
    )
    assert staged.path.parent == tmp_path / "tmp"
    assert staged.path.read_bytes() == data


def test_head_of_a_small_file_is_the_whole_file(tmp_path: Path) -> None:
    staged = stage_bytes(b"%PDF-1.4 tiny", tmp_path)
    assert staged.head == b"%PDF-1.4 tiny"
    assert staged.size == 13


def test_an_empty_upload_stages_an_empty_file(tmp_path: Path) -> None:
    staged = stage_stream([], tmp_path, limit=10)
    assert (staged.size, staged.head, staged.sha256) == (0, b"", hashlib.sha256(b"").hexdigest())
    assert staged.path.read_bytes() == b""


def test_a_file_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    staged = stage_stream([b"a" * 60, b"b" * 40], tmp_path, limit=100)
    assert staged.size == 100


def test_the_limit_stops_the_upload_and_removes_the_temp_file(tmp_path: Path) -> None:
    staging = Staging(tmp_path, limit=100)
    staging.write(b"x" * 60)
    assert staging.path.exists()
    with pytest.raises(SizeLimitExceeded) as info:
        staging.write(b"x" * 41)
    assert info.value.limit == 100
    assert isinstance(info.value, StorageError)
    assert _leftovers(tmp_path) == []
    with pytest.raises(StorageError):
        staging.write(b"more")
    staging.discard()  # still harmless


def test_stage_stream_stops_reading_at_the_limit(tmp_path: Path) -> None:
    pulled = 0

    def endless() -> object:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"z" * 1024

    with pytest.raises(SizeLimitExceeded):
        stage_stream(endless(), tmp_path, limit=10 * 1024)  # type: ignore[arg-type]
    assert pulled == 11
    assert _leftovers(tmp_path) == []


def test_an_error_from_the_source_leaves_no_temp_file(tmp_path: Path) -> None:
    def broken() -> object:
        yield b"part"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        stage_stream(broken(), tmp_path, limit=1000)  # type: ignore[arg-type]
    assert _leftovers(tmp_path) == []


def test_discard_is_idempotent_and_ends_the_staging(tmp_path: Path) -> None:
    staging = Staging(tmp_path, limit=100)
    staging.write(b"abc")
    staging.discard()
    staging.discard()
    assert _leftovers(tmp_path) == []
    with pytest.raises(StorageError):
        staging.finish()


def test_discard_after_finish_removes_the_staged_file(tmp_path: Path) -> None:
    staging = Staging(tmp_path, limit=100)
    staging.write(b"abc")
    staged = staging.finish()
    with pytest.raises(StorageError):
        staging.write(b"late")
    assert staged.path.exists()
    staging.discard()
    assert not staged.path.exists()


def test_staging_creates_its_directory(tmp_path: Path) -> None:
    staged = stage_bytes(b"x", tmp_path / "a" / "b")
    assert staged.path.parent == tmp_path / "a" / "b"
