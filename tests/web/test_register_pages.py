"""The register page at scale (issue 14, acceptance 1, through the test client): filters, paging bounds, the exports of
the filtered view with the web session (PDF, CSV, XLSX), audited; refusals in Thai; and the .xlsx writer itself."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
import zipfile
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, Registry
from service.registers.xlsx import _column, write_xlsx
from tests.conftest import MakeSaraban, login
from tests.samples import thai_letter_pdf

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _cells(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        ElementTree.fromstring(z.read("xl/workbook.xml"))  # well-formed
        ElementTree.fromstring(z.read("[Content_Types].xml"))
    return [
        ["".join(t.text or "" for t in c.iter(f"{NS}t")) or (c.findtext(f"{NS}v") or "") for c in row]
        for row in sheet.iter(f"{NS}row")
    ]


@pytest.mark.parametrize(
    ("index", "name"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_names(index: int, name: str) -> None:
    assert _column(index) == name


def test_xlsx_writer_escapes_and_streams() -> None:
    out = io.BytesIO()
    rows = [[1, 'เรื่อง <ทดสอบ> & "อ้าง"', "ควบคุม\x01อักษร"], [2, "  เว้นวรรค  ", ""]]
    assert write_xlsx(out, sheet="ทะเบียน [2569]", headings=["เลข", "เรื่อง", "หมายเหตุ"], rows=iter(rows)) == 2
    cells = _cells(out.getvalue())
    assert cells[0] == ["เลข", "เรื่อง", "หมายเหตุ"]
    assert cells[1] == ["1", 'เรื่อง <ทดสอบ> & "อ้าง"', "ควบคุมอักษร"]
    assert cells[2][1] == "  เว้นวรรค  "


def test_xlsx_rows_are_streamed() -> None:
    """The rows are streamed into the zip member: 20,000 rows do not sit in memory (the README has 100,000)."""
    row = [1, "ศธ 04006/ว 1234", "1 ม.ค. 2569", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน", "ผู้อำนวยการ", "เรื่อง " * 20]
    out = io.BytesIO()
    tracemalloc.start()
    try:
        count = write_xlsx(out, sheet="x", headings=["ก"] * 6, rows=(row for _ in range(20_000)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    # the compressed output itself is in this BytesIO; the rest must be small
    assert peak - len(out.getvalue()) < 4 * 1024 * 1024, peak


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303


def _world(app: Saraban, client: TestClient) -> int:
    h = login(client, "central")
    with app.tx() as uow:
        reg = uow.session.exec(select(Registry).where(Registry.code == "central")).one().id
    assert reg is not None
    for i in range(1, 13):
        meta = {
            "sender": "สพฐ." if i % 3 else "ศธจ.ขอนแก่น",
            "subject": f"เรื่องทดสอบลำดับ {i}" + (" งบประมาณ" if i % 4 == 0 else ""),
            "letter_no": f"ศธ 04006/{i:03d}",
            "urgency": "ด่วนที่สุด" if i % 5 == 0 else "ปกติ",
        }
        files = [("files", ("a.pdf", thai_letter_pdf(subject=f"ฉบับ {i}"), "application/pdf"))] if i % 2 else None
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            data={"meta": json.dumps(meta, ensure_ascii=False)},
            files=files,
        )
        assert r.status_code == 201, r.text
    return reg


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-number="(\d+)"', html)]


def test_filters_paging_and_exports_with_the_session(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as client:
        reg = _world(app, client)
        _sign_in(client, "central")
        page = client.get(f"/registers/{reg}").text
        assert _numbers(page) == list(range(12, 0, -1)) and "12 รายการ" in page
        # attachments counted
        row = page[page.index('data-number="1"') :].split("</tr>")[0]
        assert 'data-label="ไฟล์แนบ">1<' in row
        assert _numbers(client.get(f"/registers/{reg}", params={"per": "10", "page": "2"}).text) == [2, 1]
        assert _numbers(client.get(f"/registers/{reg}", params={"urgency": "4"}).text) == [10, 5]
        assert _numbers(client.get(f"/registers/{reg}", params={"sender": "ศธจ."}).text) == [12, 9, 6, 3]
        assert _numbers(client.get(f"/registers/{reg}", params={"q": "งบประมาณ"}).text) == [12, 8, 4]
        assert _numbers(client.get(f"/registers/{reg}", params={"q": "04006/007"}).text) == [7]
        assert _numbers(client.get(f"/registers/{reg}", params={"files": "no"}).text) == [12, 10, 8, 6, 4, 2]
        assert _numbers(client.get(f"/registers/{reg}", params={"routed": "yes"}).text) == []
        assert len(_numbers(client.get(f"/registers/{reg}", params={"since": "1 ม.ค. 2500"}).text)) == 12
        assert _numbers(client.get(f"/registers/{reg}", params={"until": "1 ม.ค. 2500"}).text) == []
        # bounds and bad values: Thai refusals, never a 500
        for params in ({"per": "100000"}, {"per": "0"}, {"urgency": "เร็วมาก"}, {"status": "x"}, {"page": "-1"}):
            r = client.get(f"/registers/{reg}", params=params)
            assert r.status_code == 422, (params, r.status_code)
            assert 'class="error"' in r.text
        # exports of the filtered view
        q = {"urgency": "4", "year": ""}
        r = client.get(f"/registers/{reg}/export", params={**q, "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][0] == "เลขทะเบียนรับ" and [int(x[0]) for x in rows[1:]] == [5, 10]
        r = client.get(f"/registers/{reg}/export", params={**q, "format": "xlsx"})
        assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
        cells = _cells(r.content)
        assert [int(x[0]) for x in cells[1:]] == [5, 10] and cells[1][cells[0].index("ชั้นความเร็ว")] == "ด่วนที่สุด"
        r = client.get(f"/registers/{reg}/export", params={**q, "format": "pdf"})
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        r = client.get(f"/registers/{reg}/export", params={"format": "docx"})
        assert r.status_code == 422 and "PDF" in r.text
        with app.tx() as uow:
            exports = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
        details = [json.loads(e.detail) for e in exports]
        assert {d["format"] for d in details} == {"csv", "xlsx", "pdf"}
        assert all(d["filters"] == {"urgency": "4"} and d["rows"] == 2 for d in details)
        # no session: the sign-in page, not JSON; an officer may not open the central register
        client.cookies.clear()
        r = client.get(f"/registers/{reg}/export", params={"format": "csv"}, follow_redirects=False)
        assert r.status_code == 303 and "/login" in r.headers["location"]
        _sign_in(client, "officer")
        assert client.get(f"/registers/{reg}/export", params={"format": "csv"}).status_code == 403


def test_the_api_filters_pages_and_exports_the_same(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        reg = _world(app, client)
        h = login(client, "central")
        url = f"/api/v1/registries/{reg}/entries"
        body = client.get(url, headers=h).json()
        assert body["total"] == 12 and len(body["entries"]) == 12 and "page" not in body
        body = client.get(url, headers=h, params={"urgency": "ด่วนที่สุด"}).json()
        assert body["total"] == 2 and [e["number"] for e in body["entries"]] == [5, 10]
        body = client.get(url, headers=h, params={"per": "10", "page": "2"}).json()
        assert body["total"] == 12 and [e["number"] for e in body["entries"]] == [11, 12] and body["page"] == 2
        assert all("attachments" in e and "corrected" in e and "status" in e for e in body["entries"])
        r = client.get(url, headers=h, params={"format": "xlsx", "sender": "ศธจ."})
        assert r.status_code == 200
        assert [int(row[0]) for row in _cells(r.content)[1:]] == [3, 6, 9, 12]
        r = client.get(url, headers=h, params={"per": "5000"})
        assert r.status_code == 422 and r.json()["detail_th"]
