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

HEADERS = ["Title", "Description", "Category", "Duration", "Language", "Level", "URL", "Skills", "Modules"]

# Title, Description, Category, Duration, Language, Level, slug, Skills, Modules
ROWS = [
    (
        "Negotiation Basics",
        "Negotiating is part of everyday work, from agreeing on a deadline to closing a contract. This course teaches you to prepare your goals and your walk-away point, to ask about interests instead of arguing about positions, and to trade concessions rather than give them away. A short simulation with a supplier lets you try it straight away.",
        "Sales & Service",
        "44 minutes",
        "English",
        "Beginner",
        "negotiation-basics",
        "negotiation",
        "Prepare your goals (8 min) | Interests, not positions (12 min) | Trading concessions (10 min) | Supplier simulation (14 min)",
    ),
    (
        "Presenting Online",
        "Presenting through a webcam is different from presenting in a room. Learn to set up light, sound and camera, to keep attention with a clear structure and short segments, to use polls and questions, and to handle technical hiccups calmly. Includes a checklist for the ten minutes before you go live.",
        "Communication",
        "40 min",
        "English",
        "Intermediate",
        "presenting-online",
        "presenting",
        "Light, sound and camera (10 min); Structure for short attention (8 min); Polls and questions (12 min); When technology fails (10 min)",
    ),
    (
        "Writing for Customer Support",
        "Customers read support messages in a hurry and often when they are annoyed. Learn to write replies that are personal, clear and kind, to keep one message per reply and to keep your tone of voice in difficult conversations.",
        "Sales & Service",
        "43 minutes",
        "English",
        "Beginner",
        "writing-for-customer-support",
        "written customer support;tone of voice",
        "Write as you speak (13 min); One message per reply (12 min); Tone of voice under pressure (10 min); Templates that stay personal (8 min)",
    ),
    (
        "Building Resilience",
        "Setbacks, change and uncertainty are part of working in a fast-growing company. In this course you learn how to recover more quickly from disappointments, how to reframe unhelpful thoughts, and how sleep, movement and social contact protect your energy. You finish with a personal resilience plan.",
        "Well-being",
        "45 min",
        "English",
        "Beginner",
        "building-resilience",
        "stress management;resilience",
        "What resilience is (12 min) | Setbacks and recovery (10 min) | Your support network (14 min) | A personal plan (9 min)",
    ),
    (
        "Business Writing in English",
        "Write e-mails and documents in English that are clear, friendly and to the point. You learn to put the main message first, to use plain words and short sentences, and to avoid mistakes that are common among Dutch speakers, such as false friends and overly direct phrasing. Many before-and-after examples.",
        "Language",
        "40 minutes",
        "English",
        "Intermediate",
        "business-writing-in-english",
        "business writing in English",
        "Subject lines (10 min); Lead with the point (8 min); Plain English (12 min); Editing (10 min)",
    ),
    (
        "Building a High-Performing Team",
        "Great teams are built, not found. Learn the stages teams go through, how roles complement each other, how to agree on ways of working and how to run a team day that changes something.",
        "Leadership",
        "46 min",
        "English",
        "Intermediate",
        "building-a-high-performing-team",
        "team development",
        "Stages of team development (11 min); Team roles (13 min); Ways of working (12 min); Running a team day (10 min)",
    ),
    (
        "Handling Difficult Customers",
        "Angry, demanding or rude customers test anyone's patience. Learn to stay calm, acknowledge emotions without accepting blame for everything, steer the conversation towards a solution, and set a polite boundary when a line is crossed. Realistic role plays on phone and chat help you practise.",
        "Sales & Service",
        "44 minutes",
        "English",
        "Intermediate",
        "handling-difficult-customers",
        "complaint handling;customer service",
        "Why customers get angry (10 min) | De-escalating (14 min) | Setting boundaries (9 min) | Recovering yourself (11 min)",
    ),
    (
        "Storytelling with Data",
        "Numbers persuade when they tell a story. Learn to find the message in your data, choose a chart that makes it obvious and present it in two minutes to people who will decide.",
        "Data",
        "45 min",
        "English",
        "Beginner",
        "storytelling-with-data",
        "storytelling;data visualisation",
        "Find the message (9 min); Choose the chart (11 min); Remove the clutter (13 min); Present in two minutes (12 min)",
    ),
    (
        "Active Listening",
        "Most people listen in order to reply. Practise summarising, asking open questions without steering and letting silence work, in conversations with customers and colleagues.",
        "Communication",
        "44 minutes",
        "English",
        "Beginner",
        "active-listening",
        "active listening",
        "Listening to understand (10 min); Summarising (14 min); Open questions (9 min); Silence (11 min)",
    ),
    (
        "Delegation for Managers",
        "Delegating well frees your time and helps your team grow. This course covers what to delegate and what to keep, how to brief a task with the desired outcome and the limits of someone's authority, and how to follow up without micromanaging. Includes a delegation plan template.",
        "Leadership",
        "33 min",
        "English",
        "Intermediate",
        "delegation-for-managers",
        "delegation",
        "What to delegate (10 min) | Handing over a task (14 min) | Follow-up without micromanaging (9 min)",
    ),
    (
        "Difficult Conversations",
        "Bad news, feedback on behaviour, a request you must refuse: some conversations are easy to postpone. Learn to prepare them, get to the point and handle emotions without losing your message.",
        "Communication",
        "45 minutes",
        "English",
        "Intermediate",
        "difficult-conversations",
        "difficult conversations",
        "Why conversations get hard (9 min); Preparing (11 min); Getting to the point (13 min); Handling emotions (12 min)",
    ),
    (
        "Cold Calling and Prospecting",
        "Finding new customers starts with a list and a phone. Learn to build a prospect list, research a company in five minutes, open a cold call with a reason to listen and book the next meeting.",
        "Sales & Service",
        "42 min",
        "English",
        "Beginner",
        "cold-calling-and-prospecting",
        "cold calling;sales prospecting",
        "Building a prospect list (12 min); Five-minute research (10 min); The opening line (8 min); Booking the meeting (12 min)",
    ),
    (
        "Objection Handling",
        "Objections are questions in disguise. Learn to welcome them, find the real concern behind 'too expensive' or 'not now', and answer in a way that moves the conversation forward.",
        "Sales & Service",
        "42 minutes",
        "English",
        "Advanced",
        "objection-handling",
        "objection handling",
        "Objections as questions (12 min) | Finding the real concern (10 min) | Price objections (8 min) | Moving forward (12 min)",
    ),
    (
        "Welcoming New Colleagues",
        "A warm start makes new colleagues productive sooner and more likely to stay. This course is for buddies, team members and managers. Learn how to prepare the first day, share unwritten rules, plan regular check-ins and make international hires feel at home in a Dutch workplace.",
        "Collaboration",
        "45 min",
        "English",
        "Beginner",
        "welcoming-new-colleagues",
        "employee onboarding",
        "Before day one (12 min); The first week (10 min); Buddies (14 min); The 30-day conversation (9 min)",
    ),
    (
        "Employer Branding Basics",
        "Why would a great engineer choose you? Learn to define your employee value proposition, let employees tell your story and measure what employer branding brings.",
        "HR",
        "42 minutes",
        "English",
        "Beginner",
        "employer-branding-basics",
        "employer branding",
        "Your employee value proposition (12 min); Employees as ambassadors (10 min); Job ads that work (8 min); Measuring results (12 min)",
    ),
]


def build() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Courses"
    ws.append(HEADERS)
    for title, description, category, duration, language, level, slug, skills, modules in ROWS:
        ws.append([title, description, category, duration, language, level, BASE_URL + slug, skills, modules])
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
