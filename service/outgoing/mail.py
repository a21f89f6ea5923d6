"""E-mail to outside parties through SMTP (``SARABAN_SMTP_*``), after the commit: the letter's subject, a short
covering text and its files; the server's message-id is what is recorded."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from service.config import Settings
from service.outgoing.delivery import MailJob
from storage import ObjectStore

MAX_ATTACHED_BYTES = 20 * 1024 * 1024  # beyond this the files are named in the text instead of attached


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def build_message(settings: Settings, store: ObjectStore, job: MailJob) -> EmailMessage:
    msg = EmailMessage()
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["From"] = settings.smtp_from
    msg["To"] = formataddr((job.to_name, job.to_email))
    msg["Subject"] = job.subject
    total = sum(store.size(sha) or 0 for _, sha, _ in job.files)
    body = job.body
    if total > MAX_ATTACHED_BYTES:
        body += "\n\nไฟล์แนบมีขนาดใหญ่เกินส่งทางอีเมล: " + ", ".join(name for name, _, _ in job.files)
    msg.set_content(body)
    if total <= MAX_ATTACHED_BYTES:
        for name, sha, media_type in job.files:
            maintype, _, subtype = media_type.partition("/")
            with store.open(sha) as fh:
                msg.add_attachment(
                    fh.read(), maintype=maintype or "application", subtype=subtype or "octet-stream", filename=name
                )
    return msg


def send_mail(settings: Settings, store: ObjectStore, job: MailJob) -> str:
    """Send one e-mail; the Message-ID it carries (raises on any SMTP failure)."""
    msg = build_message(settings, store, job)
    cls = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
    with cls(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
    return str(msg["Message-ID"])
