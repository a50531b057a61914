"""What a nudge says, in the employee's language (nl or en): their next step (title, minutes, why,
link) and three buttons, as Slack Block Kit blocks and as a Microsoft Teams Adaptive Card.

Every text from outside (catalog titles, the why that names skills) is hostile. In Slack it goes only
into `plain_text` objects, which Slack shows as written (no mentions such as `<!channel>`, no
`*bold*`), and the notification fallback `text` is sent with mrkdwn off and &, < and > escaped as
Slack asks. In Teams it goes only into RichTextBlock TextRuns, which Adaptive Cards never read as
Markdown (a TextBlock would), and no card text is HTML.

Cards are plain dicts checked against the Adaptive Card schema's required fields (`check_card`)
rather than built with a wrapper library: the JSON Teams receives stays visible and exact in the
tests, and the wrappers on PyPI (adaptive-cards-py 0.4) are pre-1.0 and would still need the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recommender.errors import LeerpadError

ANSWERS = ("completed", "postponed", "dismissed")
PULSE_SCORES = tuple(range(11))
SLACK_HEADER_MAX = 150  # Slack's limit for a header's plain_text
SLACK_TEXT_MAX = 3000
CARD_VERSION = "1.4"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "intro": "Your next learning step",
        "minutes": "{minutes} minutes",
        "open": "Open",
        "completed": "Done",
        "postponed": "Later",
        "dismissed": "Not relevant",
        "pulse": "How likely are you to recommend learning here to a colleague? (0-10)",
        "thanks_completed": "Well done! Marked as done: {title}",
        "thanks_postponed": "Fine, later then: {title}",
        "thanks_dismissed": "Understood, it leaves your path: {title}",
        "thanks_pulse": "Thank you for your answer.",
        "search_intro": "Three short answers to: {query}",
        "search_none": "Nothing in the catalog answers: {query}",
        "unknown_user": "Leerpad does not know your Slack account yet: opt in to nudges first.",
    },
    "nl": {
        "intro": "Je volgende leerstap",
        "minutes": "{minutes} minuten",
        "open": "Openen",
        "completed": "Gedaan",
        "postponed": "Later",
        "dismissed": "Niet relevant",
        "pulse": "Hoe waarschijnlijk is het dat je leren hier aanbeveelt aan een collega? (0-10)",
        "thanks_completed": "Goed gedaan! Gemarkeerd als gedaan: {title}",
        "thanks_postponed": "Prima, dan later: {title}",
        "thanks_dismissed": "Begrepen, dit verdwijnt uit je leerpad: {title}",
        "thanks_pulse": "Dank je voor je antwoord.",
        "search_intro": "Drie korte antwoorden op: {query}",
        "search_none": "Niets in de catalogus beantwoordt: {query}",
        "unknown_user": "Leerpad kent je Slack-account nog niet: meld je eerst aan voor nudges.",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS["nl" if language == "nl" else "en"]


@dataclass(frozen=True)
class Step:
    """The next step of the employee's path, as a nudge shows it."""

    title: str
    minutes: int
    why: str
    url: str
    activity_id: str
    item_id: int | None = None
    unit_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def slack_escape(text: str) -> str:
    """Slack's three control characters, escaped as Slack asks (no `<!channel>`, no links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = SLACK_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": False}


def _button(nudge_id: int, answer: str, label: str) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": f"leerpad_{answer}",
        "text": _plain(label, 75),
        "value": f"{nudge_id}:{answer}",
    }
    if answer == "completed":
        button["style"] = "primary"
    return button


def _open_button(url: str, label: str) -> list[dict[str, Any]]:
    """The link to the unit, when it has one (http(s): the catalog keeps no other kind)."""
    if not url.startswith(("https://", "http://")):
        return []
    return [{"type": "button", "action_id": "leerpad_open", "text": _plain(label, 75), "url": url}]


def slack_fallback(step: Step, language: str) -> str:
    t = texts(language)
    return slack_escape(f"{t['intro']}: {step.title} ({t['minutes'].format(minutes=step.minutes)})")


def slack_blocks(nudge_id: int, step: Step, language: str, pulse: bool = False) -> list[dict[str, Any]]:
    t = texts(language)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(step.title, SLACK_HEADER_MAX)},
        {
            "type": "context",
            "elements": [_plain(f"{t['intro']} · {t['minutes'].format(minutes=step.minutes)}")],
        },
        {"type": "section", "text": _plain(step.why)},
        {
            "type": "actions",
            "block_id": f"leerpad_nudge_{nudge_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": "leerpad_open",
                    "text": _plain(t["open"], 75),
                    "url": step.url,
                },
                *(_button(nudge_id, answer, t[answer]) for answer in ANSWERS),
            ],
        },
    ]
    if pulse:
        blocks += [
            {"type": "section", "text": _plain(t["pulse"])},
            {
                "type": "actions",
                "block_id": f"leerpad_pulse_{nudge_id}",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "leerpad_pulse",
                        "placeholder": _plain("0-10", 75),
                        "options": [
                            {"text": _plain(str(score), 75), "value": f"{nudge_id}:{score}"}
                            for score in PULSE_SCORES
                        ],
                    }
                ],
            },
        ]
    return blocks


def slack_answered(step_title: str, answer: str, language: str) -> list[dict[str, Any]]:
    """What replaces the nudge once a button is clicked."""
    return [{"type": "section", "text": _plain(texts(language)[f"thanks_{answer}"].format(title=step_title))}]


def slack_search_answer(query: str, hits: list[Step], language: str) -> dict[str, Any]:
    """The ephemeral answer to `/leerpad <question>`: three micro-units."""
    t = texts(language)
    if not hits:
        return {"response_type": "ephemeral", "text": slack_escape(t["search_none"].format(query=query))}
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": _plain(t["search_intro"].format(query=query))}
    ]
    for hit in hits:
        section: dict[str, Any] = {
            "type": "section",
            "text": _plain(f"{hit.title} ({t['minutes'].format(minutes=hit.minutes)})"),
        }
        for button in _open_button(hit.url, t["open"]):
            section["accessory"] = button
        blocks.append(section)
    return {
        "response_type": "ephemeral",
        "text": slack_escape(t["search_intro"].format(query=query)),
        "blocks": blocks,
    }


# --- Microsoft Teams --------------------------------------------------------------------------------


def _runs(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def teams_card(nudge_id: int, step: Step, language: str, pulse: bool = False) -> dict[str, Any]:
    t = texts(language)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": t["intro"], "weight": "Bolder", "size": "Medium", "wrap": True},
        _runs(step.title, weight="Bolder"),
        _runs(t["minutes"].format(minutes=step.minutes), isSubtle=True),
        _runs(step.why),
    ]
    if pulse:
        body += [
            _runs(t["pulse"]),
            {
                "type": "Input.ChoiceSet",
                "id": "pulse",
                "style": "compact",
                "choices": [{"title": str(s), "value": str(s)} for s in PULSE_SCORES],
            },
        ]
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "actions": [
            *(
                [{"type": "Action.OpenUrl", "title": t["open"], "url": step.url}]
                if step.url.startswith(("https://", "http://"))
                else []
            ),
            *(
                {
                    "type": "Action.Submit",
                    "title": t[answer],
                    "data": {"leerpad_nudge": nudge_id, "answer": answer},
                }
                for answer in ANSWERS
            ),
        ],
    }
    check_card(card)
    return card


def teams_message(card: dict[str, Any], recipient: str) -> dict[str, Any]:
    """The body a Teams Workflows webhook ("When a Teams webhook request is received") takes: one
    Adaptive Card attachment; `recipient` is what the workflow's "Post card in a chat" step reads."""
    return {
        "type": "message",
        "recipient": recipient,
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class CardError(LeerpadError):
    """A card that misses a field the Adaptive Card schema requires (a fault of ours, not input)."""


_REQUIRED: dict[str, tuple[str, ...]] = {
    "TextBlock": ("text",),
    "RichTextBlock": ("inlines",),
    "TextRun": ("text",),
    "Input.ChoiceSet": ("id", "choices"),
    "Action.OpenUrl": ("url",),
    "Action.Submit": (),
}


def check_card(card: dict[str, Any]) -> None:
    """The fields the Adaptive Card 1.4 schema requires: type and version of the card, `type` of
    every element and action, and each type's own required fields; URLs http(s) only."""
    if card.get("type") != "AdaptiveCard" or not isinstance(card.get("version"), str):
        raise CardError("card: type AdaptiveCard and a version are required")
    elements = list(card.get("body", [])) + list(card.get("actions", []))
    while elements:
        element = elements.pop()
        kind = element.get("type")
        if kind not in _REQUIRED:
            raise CardError(f"card: unknown element type {kind!r}")
        missing = [name for name in _REQUIRED[kind] if element.get(name) in (None, "", [])]
        if missing:
            raise CardError(f"card: {kind} needs {', '.join(missing)}")
        if kind == "Action.OpenUrl" and not str(element["url"]).startswith(("https://", "http://")):
            raise CardError("card: Action.OpenUrl takes http(s) URLs only")
        elements.extend(element.get("inlines", []))
