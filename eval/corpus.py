"""Deterministic synthetic letters in the style of an ESA office's AMSS++ inbox (see /work/shared/seeds/004).

Every letter carries its own facts (topic, sender code, number, date, the words put in its attachment) so the
relevance judgements in :mod:`eval.queries` follow from the facts, never from the search engine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from search import IndexDoc

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"


def thai_digits(s: str) -> str:
    return "".join(THAI_DIGITS[int(c)] if c.isdigit() else c for c in s)


@dataclass(frozen=True)
class Topic:
    key: str
    words: tuple[str, ...]  # query words that every letter of the topic contains (in subject or summary)
    subjects: tuple[str, ...]
    summaries: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "scholarship",
        ("ทุนการศึกษา", "ทุน"),
        (
            "ขอเชิญส่งนักเรียนเข้ารับการคัดเลือกเพื่อรับทุนการศึกษา ประจำปีการศึกษา {y}",
            "ประกาศผลการคัดเลือกนักเรียนรับทุนการศึกษาพระราชทาน ปีการศึกษา {y}",
            "แจ้งจัดสรรทุนการศึกษามูลนิธิ{f} ประจำปี {y}",
        ),
        ("ให้โรงเรียนพิจารณาคัดเลือกนักเรียนที่มีผลการเรียนดีแต่ขาดแคลนทุนทรัพย์ ส่งเอกสารภายในกำหนด",),
    ),
    Topic(
        "loan",
        ("กยศ.", "กองทุนเงินให้กู้ยืมเพื่อการศึกษา"),
        (
            "การดำเนินงานกองทุนเงินให้กู้ยืมเพื่อการศึกษา (กยศ.) ปีการศึกษา {y}",
            "แจ้งกำหนดการยื่นกู้ยืมเงิน กยศ. สำหรับนักเรียนชั้นมัธยมศึกษาตอนปลาย ปีการศึกษา {y}",
        ),
        ("สถานศึกษาตรวจสอบเอกสารผู้กู้ยืมเงินกองทุนเงินให้กู้ยืมเพื่อการศึกษาและรายงานผล",),
    ),
    Topic(
        "welfare",
        ("สวัสดิการ", "สงเคราะห์"),
        (
            "การสำรวจข้อมูลนักเรียนยากจนเพื่อรับเงินสงเคราะห์ ภาคเรียนที่ {t}/{y}",
            "งานสวัสดิการและสงเคราะห์นักเรียน ขอความร่วมมือรายงานข้อมูล ปีการศึกษา {y}",
        ),
        ("เพื่อให้นักเรียนได้รับสวัสดิการจากภาครัฐและเอกชนอย่างทั่วถึง",),
    ),
    Topic(
        "protection",
        ("คุ้มครอง", "ช่วยเหลือนักเรียน"),
        (
            "รายงานการดำเนินงานศูนย์เฉพาะกิจคุ้มครองและช่วยเหลือนักเรียน (ฉก.ชน.) ประจำเดือน{m}",
            "ขอความร่วมมือเฝ้าระวังและคุ้มครองนักเรียนจากการถูกล่วงละเมิด",
        ),
        ("รับเรื่องร้องเรียนกรณีเด็กนักเรียนถูกกระทำความรุนแรง และประสานหน่วยงานที่เกี่ยวข้อง",),
    ),
    Topic(
        "drowning",
        ("จมน้ำ", "การป้องกันการจมน้ำ"),
        (
            "ขอความร่วมมือดำเนินการตามมาตรการการป้องกันการจมน้ำในเด็กนักเรียน ช่วงปิดภาคเรียน",
            "รายงานนักเรียนประสบเหตุจมน้ำเสียชีวิต {s}",
            "โครงการว่ายน้ำเพื่อชีวิต ป้องกันการจมน้ำ ปีงบประมาณ {y}",
        ),
        ("กำชับสถานศึกษาสร้างความตระหนักแก่ผู้ปกครองเรื่องแหล่งน้ำเสี่ยงใกล้ชุมชน",),
    ),
    Topic(
        "board",
        ("คณะกรรมการสถานศึกษาขั้นพื้นฐาน", "คณะกรรมการ"),
        (
            "การสรรหาคณะกรรมการสถานศึกษาขั้นพื้นฐาน {s}",
            "แต่งตั้งคณะกรรมการสถานศึกษาขั้นพื้นฐาน ที่ครบวาระ ปี {y}",
        ),
        ("ให้ดำเนินการสรรหาและเลือกกรรมการตามระเบียบกระทรวงศึกษาธิการ",),
    ),
    Topic(
        "budget",
        ("งบประมาณ", "จัดสรร"),
        (
            "แจ้งโอนเงินงบประมาณรายจ่ายประจำปีงบประมาณ พ.ศ. {y} งบดำเนินงาน",
            "การจัดสรรงบประมาณค่าใช้จ่ายในการจัดการศึกษาตั้งแต่ระดับอนุบาลจนจบการศึกษาขั้นพื้นฐาน ปี {y}",
        ),
        ("ขอให้เบิกจ่ายเงินให้เป็นไปตามระเบียบกระทรวงการคลัง",),
    ),
    Topic(
        "training",
        ("อบรม", "พัฒนาครู"),
        (
            "ขอเชิญเข้ารับการอบรมเชิงปฏิบัติการพัฒนาครูด้าน{f} รุ่นที่ {t}",
            "โครงการอบรมพัฒนาครูและบุคลากรทางการศึกษา ประจำปีงบประมาณ {y}",
        ),
        ("ขอให้ผู้เข้ารับการอบรมลงทะเบียนล่วงหน้าผ่านระบบออนไลน์",),
    ),
    Topic(
        "evaluation",
        ("ประเมิน", "การประเมินผล"),
        (
            "การดำเนินงานประเมินผลการบริหารจัดการศึกษาสำนักงานเขตพื้นที่การศึกษา ประจำปีงบประมาณ {y}",
            "แจ้งปฏิทินการประเมินคุณภาพภายนอก ปีการศึกษา {y}",
            "รายงานการประเมินผลการปฏิบัติงานของข้าราชการครู รอบที่ {t}",
        ),
        ("ให้สถานศึกษาจัดเตรียมเอกสารหลักฐานเพื่อรับการประเมิน",),
    ),
    Topic(
        "drugs",
        ("ยาเสพติด",),
        (
            "รายงานการยกระดับประชาสัมพันธ์เรื่องในวันต่อต้านยาเสพติดโลก (๒๖ มิถุนายน) ประจำปี {y}",
            "ส่งแนวทางการดำเนินงานป้องกันและแก้ไขปัญหายาเสพติดในสถานศึกษา ปีการศึกษา {y}",
        ),
        ("ให้โรงเรียนจัดกิจกรรมรณรงค์และรายงานผลผ่านระบบ",),
    ),
    Topic(
        "dropout",
        ("พาน้องกลับมาเรียน",),
        ('ประชาสัมพันธ์โครงการ "พาน้องกลับมาเรียน" สำนักงานเขตพื้นที่การศึกษาประถมศึกษา{p} เขต {t}',),
        ("ติดตามเด็กตกหล่นและออกกลางคันให้กลับเข้าสู่ระบบการศึกษา",),
    ),
    Topic(
        "meeting",
        ("ประชุม",),
        (
            "ขอเชิญประชุมผู้บริหารสถานศึกษา ครั้งที่ {t}/{y}",
            "รายงานการประชุมคณะทำงานขับเคลื่อนนโยบาย ครั้งที่ {t}/{y}",
        ),
        ("ขอเชิญผู้อำนวยการโรงเรียนหรือผู้แทนเข้าร่วมประชุมตามวันเวลาที่กำหนด",),
    ),
)

PROVINCES = ("ขอนแก่น", "สงขลา", "เลย", "พะเยา", "แพร่", "นครราชสีมา", "ลำปาง", "อุดรธานี")
SCHOOL_NAMES = (
    "บ้านเขาบ่อ",
    "บ้านหนองแดง",
    "บ้านท่าช้าง",
    "ภูพานศึกษา",
    "บ้านหนองขาม",
    "บ้านทุ่งหมอนอก",
    "บ้านหัวหมอก",
    "บ้านโนนโพธิ์",
    "หนองกระแตวิทยา",
    "บ้านโคกสูงวิทยา",
    "บ้านนาคำ",
    "บ้านดอนแดง",
    "อนุบาลเมือง",
    "บ้านห้วยทราย",
)
FOUNDATIONS = ("ไทยรัฐ", "รากแก้ว", "ส่งเสริมการศึกษา", "เพื่อนักเรียนชนบท")
FIELDS_OF_TRAINING = ("คณิตศาสตร์", "วิทยาศาสตร์", "ภาษาอังกฤษ", "วิทยาการคำนวณ", "การอ่านการเขียน")
MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม")
# (display code, canonical code) — canonical = code with spaces removed, as the rule for letter-number queries
SENDER_CODES: tuple[tuple[str, str], ...] = (
    ("ศธ 04029", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต 5"),
    ("ศธ 04045", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาสงขลา เขต 1"),
    ("ศธ 04002", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน (สพฐ.)"),
    ("ศธ 04134", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาลำปาง เขต 1"),
    ("ศธ 04095", "สำนักงานศึกษาธิการจังหวัดสงขลา (กศจ.)"),
    ("ศธ 04078", "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาสงขลา สตูล (สพม.)"),
    ("ศธ 0206", "สำนักงานปลัดกระทรวงศึกษาธิการ"),
)
STUDENT_NAMES = (
    "เด็กชายสมชาย",
    "เด็กหญิงมณีรัตน์",
    "นายกิตติพงษ์",
    "นางสาวพรทิพย์",
    "เด็กชายอนุชา",
    "เด็กหญิงสุดารัตน์",
    "นายธนากร",
    "นางสาวกัญญาณัฐ",
)
SURNAMES = ("ใจดี", "ศรีสุข", "บุญมา", "คำฟู", "ทองดี", "แก้วมณี", "สายสุวรรณ", "พรหมมา")
# Words that appear ONLY in attachment text (never in subject/summary) — for attachment-only queries.
ATTACHMENT_ONLY = ("ใบสำคัญรับเงิน", "แบบคำร้องขอรับทุน", "สำเนาทะเบียนบ้าน", "บัญชีรายชื่อผู้ประสบภัย", "ภาพถ่ายกิจกรรม")


@dataclass(frozen=True)
class Letter:
    doc_id: int
    topic: str
    code: str  # canonical sender code without spaces, e.g. ศธ04029
    number: int
    letter_no: str  # as printed (Thai or Arabic digits, various spacings)
    letter_date: date
    registered_at: datetime
    sender: str
    recipient: str
    subject: str
    summary: str
    instructions: str
    attachment_text: str
    school: str
    urgency: int
    secrecy: int
    letter_type: str
    channel: str
    registry_id: int
    unit_id: int
    registrations: tuple[tuple[str, int, int], ...] = field(default=())


def _printed_number(rng: random.Random, code: str, number: int, year_be: int) -> str:
    style = rng.randrange(6)
    prefix, digits = code.split(" ")
    n = str(number)
    if style == 0:
        return f"{prefix} {digits}/{n}"
    if style == 1:
        return thai_digits(f"{prefix} {digits}/{n}")
    if style == 2:
        return f"{prefix}{digits}/{n}"
    if style == 3:
        return f"ที่ {prefix} {digits}/ว{n}" if rng.random() < 0.3 else f"ที่ {prefix} {digits}/{n}"
    if style == 4:
        return thai_digits(f"{prefix}{digits}/{n}")
    return f"{prefix} {thai_digits(digits)}/{n}"


def generate(n: int = 480, seed: int = 2565) -> Iterator[Letter]:
    rng = random.Random(seed)
    start = date(2021, 10, 1)
    for i in range(1, n + 1):
        topic = TOPICS[rng.randrange(len(TOPICS))]
        code, sender = SENDER_CODES[rng.randrange(len(SENDER_CODES))]
        school = SCHOOL_NAMES[rng.randrange(len(SCHOOL_NAMES))]
        d = start + timedelta(days=rng.randrange(730))
        year_be = d.year + 543
        use_thai = rng.random() < 0.5
        fill = {
            "y": str(year_be),
            "t": str(rng.randrange(1, 5)),
            "m": MONTHS[rng.randrange(len(MONTHS))],
            "f": rng.choice(FOUNDATIONS + FIELDS_OF_TRAINING),
            "s": f"โรงเรียน{school}",
            "p": rng.choice(PROVINCES),
        }
        subj = rng.choice(topic.subjects).format(**fill)
        if use_thai:
            subj = thai_digits(subj)
        summary = rng.choice(topic.summaries)
        if rng.random() < 0.5:
            summary = f"โรงเรียน{school} " + summary
        number = rng.randrange(1, 4000)
        letter_no = _printed_number(rng, code, number, year_be)
        if rng.random() < 0.35 and sender.startswith("สำนักงานเขต"):
            sender_txt = sender
        elif rng.random() < 0.5:
            sender_txt = f"โรงเรียน{school}"
        else:
            sender_txt = sender
        attach = ""
        if rng.random() < 0.45:
            student = f"{rng.choice(STUDENT_NAMES)} {rng.choice(SURNAMES)}"
            only = rng.choice(ATTACHMENT_ONLY)
            attach = (
                f"สิ่งที่ส่งมาด้วย {only} จำนวน {thai_digits(str(rng.randrange(1, 9)))} ฉบับ\n"
                f"ตามที่ {sender} ได้แจ้งเรื่อง {subj} นั้น โรงเรียน{school} ขอรายงานว่า {student} "
                f"นักเรียนชั้นประถมศึกษาปีที่ {rng.randrange(1, 7)} ได้ดำเนินการเรียบร้อยแล้ว "
                f"จึงเรียนมาเพื่อโปรดทราบและพิจารณา"
            )
        instructions = rng.choice(
            ("", "เรียน ผอ.กลุ่มส่งเสริมการจัดการศึกษา เพื่อโปรดพิจารณา", "มอบกลุ่มนโยบายและแผน ดำเนินการ", "ทราบ แจ้งโรงเรียนในสังกัด")
        )
        reg_no = i
        yield Letter(
            doc_id=i,
            topic=topic.key,
            code=code.replace(" ", ""),
            number=number,
            letter_no=letter_no,
            letter_date=d,
            registered_at=datetime(d.year, d.month, d.day, 3, 0, tzinfo=timezone.utc)  # noqa: UP017
            + timedelta(minutes=rng.randrange(600)),
            sender=sender_txt,
            recipient="ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาสงขลา เขต 1",
            subject=subj,
            summary=summary,
            instructions=instructions,
            attachment_text=attach,
            school=school,
            urgency=rng.choice((0, 0, 0, 1, 2, 3)),
            secrecy=0,
            letter_type=rng.choice(("external", "external", "internal", "order", "announcement")),
            channel=rng.choice(("e-office", "paper", "email")),
            registry_id=rng.choice((1, 2, 3)),
            unit_id=rng.choice((10, 11, 12)),
            registrations=(("รับ", year_be, reg_no),),
        )


def to_index_doc(letter: Letter, principals: tuple[str, ...] = ("unit:1",)) -> IndexDoc:
    """The plain values the service would hand to the index for this letter."""
    return IndexDoc(
        doc_id=letter.doc_id,
        registrations=letter.registrations,
        registry_ids=(letter.registry_id,),
        unit_ids=(letter.unit_id,),
        letter_no=letter.letter_no,
        letter_date=letter.letter_date,
        registered_at=letter.registered_at,
        sender=letter.sender,
        recipient=letter.recipient,
        subject=letter.subject,
        summary=letter.summary,
        letter_type=letter.letter_type,
        urgency=letter.urgency,
        secrecy=letter.secrecy,
        channel=letter.channel,
        instructions=letter.instructions,
        attachment_text=letter.attachment_text,
        has_attachment=bool(letter.attachment_text),
        principals=principals,
    )
