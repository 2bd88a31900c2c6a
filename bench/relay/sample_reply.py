"""Generate German Outlook-style replies with a long quoted thread, as raw MIME bytes.

Each reply is multipart/alternative with a text/plain and a text/html part, both UTF-8
and quoted-printable, with CRLF line endings. The HTML imitates what Outlook for
Windows writes: a Word-generated `<head>` with styles and `MsoNormal` paragraphs, and
each quoted message below a `Von:/Gesendet:/An:/Betreff:` block.
"""

from __future__ import annotations

import datetime as dt
import html
import random
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

SENDER = "anna.schmidt@beispiel.de"
RECIPIENT = "max.mustermann@kunde-a.de"

PEOPLE = (
    ("Anna Schmidt", SENDER),
    ("Max Mustermann", RECIPIENT),
    ("Jürgen Köhler", "juergen.koehler@kunde-a.de"),
    ("Sabine Weiß", "sabine.weiss@beispiel.de"),
)
SENTENCES = (
    "vielen Dank für Ihre schnelle Rückmeldung zum Angebot.",
    "Wie besprochen senden wir Ihnen die überarbeitete Kalkulation für das zweite Quartal.",
    "Die Lieferung der Ersatzteile verzögert sich leider um etwa zwei Wochen.",
    "Könnten Sie uns bitte bis Freitag mitteilen, ob die Änderungen an Position 3 passen?",
    "Unser Techniker ist am Dienstag ab 9:00 Uhr vor Ort in der Halle in Düsseldorf.",
    "Für Rückfragen zur Rechnung wenden Sie sich gern direkt an unsere Buchhaltung.",
    "Die Preise verstehen sich zzgl. der gesetzlichen Mehrwertsteuer von 19 %.",
    "Anbei finden Sie außerdem das Protokoll der Abstimmung vom Montag.",
    "Wir würden uns freuen, die Zusammenarbeit im nächsten Jahr fortzusetzen.",
    "Bitte beachten Sie, dass sich die Öffnungszeiten über die Feiertage ändern.",
    "Die Größe der Schaltschränke haben wir gemäß Ihrer Zeichnung angepasst.",
    "Laut Vertrag gilt für Wartungsarbeiten eine Reaktionszeit von vier Stunden.",
)
SUBJECTS = (
    "Angebot Wartungsvertrag 2025 – Rückfragen zu Position 3",
    "Lieferverzögerung Ersatzteile für Anlage Süd",
    "Termin Vor-Ort-Einsatz in Düsseldorf",
)
OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" \
xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" \
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" \
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
\t{font-family:"Cambria Math";
\tpanose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
\t{font-family:Calibri;
\tpanose-1:2 15 5 2 2 2 4 3 2 4;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{margin:0cm;
\tfont-size:11.0pt;
\tfont-family:"Calibri",sans-serif;
\tmso-fareast-language:EN-US;}
a:link, span.MsoHyperlink
\t{mso-style-priority:99;
\tcolor:#0563C1;
\ttext-decoration:underline;}
span.E-MailFormatvorlage18
\t{mso-style-type:personal-reply;
\tfont-family:"Calibri",sans-serif;
\tcolor:windowtext;}
.MsoChpDefault
\t{mso-style-type:export-only;
\tfont-size:10.0pt;}
@page WordSection1
\t{size:612.0pt 792.0pt;
\tmargin:70.85pt 70.85pt 2.0cm 70.85pt;}
div.WordSection1
\t{page:WordSection1;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]-->
</head>
<body lang="DE" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
"""
QUOTE_DIVIDER = (
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
)


@dataclass(frozen=True)
class ThreadEntry:
    """One earlier message of the thread, quoted below the reply."""

    author: tuple[str, str]
    addressee: tuple[str, str]
    sent: dt.datetime
    paragraphs: tuple[str, ...]


def build_reply(number: int, size: int) -> bytes:
    """Build reply `number` (which seeds the text) of at least `size` bytes."""
    rng = random.Random(number)
    subject = rng.choice(SUBJECTS)
    sent = dt.datetime(2025, 3, 3, 9, 14, tzinfo=dt.UTC) + dt.timedelta(minutes=number)
    reply = ThreadEntry(PEOPLE[0], PEOPLE[1], sent, paragraphs(rng))
    thread: list[ThreadEntry] = []
    while True:
        message = assemble(number, subject, reply, thread)
        if len(message) >= size:
            return message
        sent -= dt.timedelta(hours=rng.randint(2, 30))
        author, addressee = rng.sample(PEOPLE, 2)
        thread.append(ThreadEntry(author, addressee, sent, paragraphs(rng)))


def paragraphs(rng: random.Random) -> tuple[str, ...]:
    return tuple(" ".join(rng.sample(SENTENCES, rng.randint(2, 4))) for _ in range(3))


def assemble(number: int, subject: str, reply: ThreadEntry, thread: list[ThreadEntry]) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"{reply.author[0]} <{reply.author[1]}>"
    message["To"] = f"{reply.addressee[0]} <{reply.addressee[1]}>"
    message["Subject"] = f"AW: {subject}"
    message["Thread-Topic"] = subject
    message["Date"] = format_datetime(reply.sent)
    message["Message-ID"] = make_msgid(f"bench{number}", domain="EXCHANGE01.beispiel.local")
    message["Accept-Language"] = "de-DE, en-US"
    message["X-MS-Has-Attach"] = ""
    message.set_content(plain_text(reply, thread), charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        html_text(reply, thread, subject), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    message.set_boundary(f"_000_bench{number:06d}EXCHANGE01beispiell_")
    message["Content-Language"] = "de-DE"  # after set_content, which drops Content-* fields
    return message.as_bytes()


def plain_text(reply: ThreadEntry, thread: list[ThreadEntry]) -> str:
    lines = ["Hallo Herr Mustermann,", "", *reply.paragraphs, "", "Viele Grüße", "Anna Schmidt"]
    for entry in thread:
        lines += [
            "",
            f"Von: {entry.author[0]} <{entry.author[1]}>",
            f"Gesendet: {entry.sent:%d.%m.%Y %H:%M}",
            f"An: {entry.addressee[0]} <{entry.addressee[1]}>",
            "",
            f"Hallo {entry.addressee[0].split()[0]},",
            "",
            *entry.paragraphs,
            "",
            "Beste Grüße",
            entry.author[0],
        ]
    return "\n".join(lines) + "\n"


def html_text(reply: ThreadEntry, thread: list[ThreadEntry], subject: str) -> str:
    parts = [OUTLOOK_HEAD, msonormal("Hallo Herr Mustermann,"), msonormal("")]
    parts += [msonormal(paragraph) for paragraph in reply.paragraphs]
    parts += [msonormal("Viele Grüße"), msonormal("Anna Schmidt"), msonormal("")]
    for entry in thread:
        parts.append(QUOTE_DIVIDER)
        parts.append(
            f'<p class="MsoNormal"><b><span lang="DE">Von:</span></b><span lang="DE"> '
            f"{html.escape(entry.author[0])} &lt;{entry.author[1]}&gt; <br>"
            f"<b>Gesendet:</b> {entry.sent:%d.%m.%Y %H:%M}<br>"
            f"<b>An:</b> {html.escape(entry.addressee[0])} &lt;{entry.addressee[1]}&gt;<br>"
            f"<b>Betreff:</b> {html.escape(subject)}<o:p></o:p></span></p>\n</div>\n"
        )
        parts.append(msonormal(f"Hallo {entry.addressee[0].split()[0]},"))
        parts += [msonormal(paragraph) for paragraph in entry.paragraphs]
        parts += [msonormal("Beste Grüße"), msonormal(entry.author[0]), msonormal("")]
    parts.append("</div>\n</body>\n</html>\n")
    return "".join(parts)


def msonormal(text: str) -> str:
    content = html.escape(text) if text else "&nbsp;"
    return f'<p class="MsoNormal"><span lang="DE">{content}<o:p></o:p></span></p>\n'
