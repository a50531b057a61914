"""Write goodhabitz_export_en.xlsx: a GoodHabitz-style export with English headers.

The rows below are invented demo content for the fictional company Fietsjes B.V.
Re-running the script rewrites the file byte for byte identically: the workbook's
timestamps and the zip entries' dates are fixed.

    python demo/catalog/goodhabitz/make_xlsx.py
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
OUT = HERE / "goodhabitz_export_en.xlsx"
BASE_URL = "https://my.goodhabitz.com/en-gb/courses/"
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_ISO = "2024-01-01T00:00:00Z"

HEADERS = ["Title", "Description", "Category", "Duration", "Language", "Level", "URL"]

# Title, Description, Category, Duration, Language, Level, slug
ROWS = [
    (
        "Negotiation Basics",
        "Negotiating is part of everyday work, from agreeing on a deadline to closing a contract. This course "
        "teaches you to prepare your goals and your walk-away point, to ask about interests instead of arguing "
        "about positions, and to trade concessions rather than give them away. A short simulation with a "
        "supplier lets you try it straight away.",
        "Sales & Service",
        "45 min",
        "English",
        "Beginner",
        "negotiation-basics",
    ),
    (
        "Presenting Online",
        "Presenting through a webcam is different from presenting in a room. Learn to set up light, sound and "
        "camera, to keep attention with a clear structure and short segments, to use polls and questions, and "
        "to handle technical hiccups calmly. Includes a checklist for the ten minutes before you go live.",
        "Communication",
        "30 min",
        "English",
        "Intermediate",
        "presenting-online",
    ),
    (
        "Mindfulness at Work",
        "Short moments of attention can make a busy day calmer. This course introduces simple mindfulness "
        "exercises that fit between meetings, explains what research says about their effect on stress and "
        "focus, and helps you build a small daily habit. No experience with meditation is needed.",
        "Well-being",
        "30 min",
        "English",
        "Beginner",
        "mindfulness-at-work",
    ),
    (
        "Building Resilience",
        "Setbacks, change and uncertainty are part of working in a fast-growing company. In this course you "
        "learn how to recover more quickly from disappointments, how to reframe unhelpful thoughts, and how "
        "sleep, movement and social contact protect your energy. You finish with a personal resilience plan.",
        "Well-being",
        "45 min",
        "English",
        "Intermediate",
        "building-resilience",
    ),
    (
        "Business Writing in English",
        "Write e-mails and documents in English that are clear, friendly and to the point. You learn to put "
        "the main message first, to use plain words and short sentences, and to avoid mistakes that are common "
        "among Dutch speakers, such as false friends and overly direct phrasing. Many before-and-after examples.",
        "Language",
        "60-75 minutes",
        "English",
        "Intermediate",
        "business-writing-in-english",
    ),
    (
        "Effective Meetings",
        "Too many meetings end without a decision. This course shows how to decide whether a meeting is needed "
        "at all, how to prepare a short agenda with a clear goal, how to chair a discussion so that quiet "
        "people also contribute, and how to close with owners and deadlines. Includes tips for hybrid meetings.",
        "Collaboration",
        "45 min",
        "English",
        "Beginner",
        "effective-meetings",
    ),
    (
        "Handling Difficult Customers",
        "Angry, demanding or rude customers test anyone's patience. Learn to stay calm, acknowledge emotions "
        "without accepting blame for everything, steer the conversation towards a solution, and set a polite "
        "boundary when a line is crossed. Realistic role plays on phone and chat help you practise.",
        "Sales & Service",
        "1 hour",
        "English",
        "Advanced",
        "handling-difficult-customers",
    ),
    (
        "Data Literacy for Everyone",
        "You do not need to be an analyst to work with data. This course teaches you to read charts critically, "
        "understand averages, percentages and trends, spot misleading graphs, and ask good questions about where "
        "numbers come from. Examples come from dashboards used by sales, support and operations teams.",
        "Digital Skills",
        "45 min",
        "English",
        "Beginner",
        "data-literacy-for-everyone",
    ),
    (
        "Critical Thinking",
        "Make better decisions by questioning assumptions. You learn to separate facts from opinions, recognise "
        "common thinking errors such as confirmation bias, weigh evidence and structure a problem before "
        "jumping to solutions. Exercises use everyday business dilemmas, such as choosing between two "
        "suppliers or judging whether a sudden drop in a metric is real.",
        "Personal Effectiveness",
        "45 min",
        "English",
        "Intermediate",
        "critical-thinking",
    ),
    (
        "Delegation for Managers",
        "Delegating well frees your time and helps your team grow. This course covers what to delegate and what "
        "to keep, how to brief a task with the desired outcome and the limits of someone's authority, and how "
        "to follow up without micromanaging. Includes a delegation plan template.",
        "Leadership",
        "30 min",
        "English",
        "Intermediate",
        "delegation-for-managers",
    ),
    (
        "Emotional Intelligence",
        "Emotional intelligence is the ability to recognise and manage your own emotions and respond well to "
        "those of others. Learn the building blocks of self-awareness, self-regulation, empathy and social "
        "skills, and practise them in situations such as receiving criticism or supporting a stressed colleague.",
        "Personal Effectiveness",
        "60-75 minutes",
        "English",
        "Intermediate",
        "emotional-intelligence",
    ),
    (
        "Strategic Leadership",
        "For experienced managers who want to translate company strategy into team priorities. You learn to "
        "explain strategy in plain language, set team goals and OKRs that connect to it, make trade-offs "
        "explicit, and review progress without drowning in reporting. Case studies come from scale-ups.",
        "Leadership",
        "1 hour",
        "English",
        "Advanced",
        "strategic-leadership",
    ),
    (
        "Working Securely from Home",
        "Home working brings new security risks: shared devices, home routers and video calls in public places. "
        "This course explains how to secure your home network, lock your laptop, keep work and private data "
        "apart, and report lost devices quickly. A short quiz checks what you remember.",
        "Compliance",
        "30 min",
        "English",
        "Beginner",
        "working-securely-from-home",
    ),
    (
        "Welcoming New Colleagues",
        "A warm start makes new colleagues productive sooner and more likely to stay. This course is for buddies, "
        "team members and managers. Learn how to prepare the first day, share unwritten rules, plan regular "
        "check-ins and make international hires feel at home in a Dutch workplace.",
        "Collaboration",
        "30 min",
        "English",
        "Beginner",
        "welcoming-new-colleagues",
    ),
    (
        "Working Across Cultures",
        "International teams bring different habits around directness, hierarchy and time. This course helps "
        "you recognise these differences, avoid misunderstandings in meetings and e-mail, and agree on team "
        "norms that work for everyone. Includes a section on Dutch directness seen through the eyes of others.",
        "Collaboration",
        "45 min",
        "English",
        "Intermediate",
        "working-across-cultures",
    ),
]


def build() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Courses"
    ws.append(HEADERS)
    for title, description, category, duration, language, level, slug in ROWS:
        ws.append([title, description, category, duration, language, level, BASE_URL + slug])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["G"].width = 60
    wb.properties.creator = "Fietsjes L&D (demo)"
    raw = io.BytesIO()
    wb.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Fix the timestamps that openpyxl and zipfile put in the file, so that output is deterministic."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + FIXED_ISO.encode() + m.group(2),
                    content,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def main() -> None:
    OUT.write_bytes(build())
    print(f"wrote {OUT} ({len(ROWS)} courses)")


if __name__ == "__main__":
    main()
