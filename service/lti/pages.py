"""The pages an LTI launch shows inside the LMS: the learner's path, a deep-linked unit, the
deep-linking picker and its answer to the platform, and every refusal. Pure rendering: the router
hands in what to show.

Jinja2 with autoescaping, as the dashboard (catalog titles and why-texts come from customers' files);
links only when http(s) (the dashboard's `safe_url`). Dutch or English by the launch's locale: the
few words of the pages are in TEXT below, the path's own texts are already in the learner's language.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from service.lti import adapter
from service.lti.launch import LearnerPath, UnitView
from service.reports.dashboard.pages import STYLESHEET_URL, html_environment, render_gap_report
from service.reports.schemas import GapReport

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "path_title": "Your learning path",
        "path_intro": "What to learn next towards {role}, week by week.",
        "gaps": "Your gaps",
        "gap": "gap",
        "no_gaps": "No gaps to close for this role: well done.",
        "steps": "Steps",
        "week": "Week",
        "minutes": "min",
        "why": "Why",
        "open": "Open",
        "no_link": "no web link",
        "progress": "Progress",
        "progress_text": "You finished {units} units of {items} courses so far. This path takes {total} of the {budget} minutes you planned.",
        "uncovered": "Not in this path",
        "no_steps": "Nothing to learn right now for your open gaps.",
        "unit_title": "Learning activity",
        "unit_gone": "This activity is no longer in the catalog.",
        "language": "Language",
        "on_path": "This activity is on your path.",
        "refused_title": "This launch was refused",
        "how_to_fix": "What to do",
        "unmapped_title": "Your account is not linked to Leerpad yet",
        "unmapped": "Leerpad does not know which employee you are. Your LMS account {who} is not mapped to an employee of this company.",
        "unmapped_fix": "Ask your L&D administrator to map this LMS account (the agent below: issuer and user id) to your employee id in Leerpad, with `leerpad identities import` or PUT /v1/identities; then open this activity again.",
        "no_access_title": "Nothing to show for your role",
        "no_access": "Leerpad shows learners their path and course staff the team gap report; your roles in this course are neither.",
        "cannot_plan_title": "No path yet",
        "picker_title": "Add Leerpad to the course",
        "picker_intro": "Place the learner's own learning path, or a single learning activity, in this course.",
        "add_path": "Add “My learning path”",
        "search": "Search activities by title",
        "search_button": "Search",
        "add": "Add",
        "no_results": "No activity has these words in its title.",
        "sending": "Sending your choice back to the course…",
        "send": "Continue",
        "path_link_title": "My learning path",
    },
    "nl": {
        "path_title": "Jouw leerpad",
        "path_intro": "Wat je hierna leert richting {role}, week voor week.",
        "gaps": "Jouw gaten",
        "gap": "gat",
        "no_gaps": "Geen gaten te dichten voor deze rol: goed bezig.",
        "steps": "Stappen",
        "week": "Week",
        "minutes": "min",
        "why": "Waarom",
        "open": "Openen",
        "no_link": "geen weblink",
        "progress": "Voortgang",
        "progress_text": "Je rondde tot nu toe {units} onderdelen van {items} cursussen af. Dit pad duurt {total} van de {budget} minuten die je plande.",
        "uncovered": "Niet in dit pad",
        "no_steps": "Voor je open gaten is er nu niets te leren.",
        "unit_title": "Leeractiviteit",
        "unit_gone": "Deze activiteit staat niet meer in de catalogus.",
        "language": "Taal",
        "on_path": "Deze activiteit staat in jouw leerpad.",
        "refused_title": "Deze start is geweigerd",
        "how_to_fix": "Wat nu",
        "unmapped_title": "Je account is nog niet aan Leerpad gekoppeld",
        "unmapped": "Leerpad weet niet welke medewerker je bent. Je LMS-account {who} is niet gekoppeld aan een medewerker van dit bedrijf.",
        "unmapped_fix": "Vraag je L&D-beheerder dit LMS-account (de agent hieronder: issuer en gebruikers-id) aan je medewerker-id in Leerpad te koppelen, met `leerpad identities import` of PUT /v1/identities; open deze activiteit daarna opnieuw.",
        "no_access_title": "Niets te tonen voor jouw rol",
        "no_access": "Leerpad toont cursisten hun leerpad en docenten het teamrapport met gaten; jouw rollen in deze cursus zijn geen van beide.",
        "cannot_plan_title": "Nog geen leerpad",
        "picker_title": "Leerpad aan de cursus toevoegen",
        "picker_intro": "Plaats het eigen leerpad van de cursist, of één leeractiviteit, in deze cursus.",
        "add_path": "„Mijn leerpad” toevoegen",
        "search": "Activiteiten zoeken op titel",
        "search_button": "Zoeken",
        "add": "Toevoegen",
        "no_results": "Geen activiteit heeft deze woorden in de titel.",
        "sending": "Je keuze gaat terug naar de cursus…",
        "send": "Verder",
        "path_link_title": "Mijn leerpad",
    },
}

# What each refusal means, and what the user (or their admin) can do about it.
REFUSALS: dict[str, tuple[int, str, str]] = {
    adapter.MALFORMED: (
        400,
        "The LMS sent a login or launch Leerpad cannot read.",
        "Check the tool's settings in the LMS against the README's LTI 1.3 section.",
    ),
    adapter.STATE: (
        400,
        "This launch does not belong to a login started in this browser (its state is missing or "
        "different), or the page has expired.",
        "Open the activity again from the course. If it keeps happening, the browser may block "
        "cookies in embedded pages: open the activity in a new window.",
    ),
    adapter.UNKNOWN_ISSUER: (
        403,
        "This LMS is not registered with Leerpad.",
        "An admin registers it with `leerpad lti register --issuer ...` or POST /v1/lti/platforms.",
    ),
    adapter.WRONG_AUDIENCE: (
        403,
        "The launch is meant for a client id that is not registered for this LMS.",
        "Check that the client id registered in Leerpad is the one the LMS shows for this tool.",
    ),
    adapter.UNKNOWN_DEPLOYMENT: (
        403,
        "The launch comes from a deployment of the tool that is not registered.",
        "An admin adds the deployment id with `leerpad lti register ... --deployment-id ID`.",
    ),
    adapter.BAD_SIGNATURE: (
        401,
        "The launch's token is not signed by a key of the registered LMS.",
        "Check the keyset URL registered in Leerpad; if it is right, this launch was not made by your LMS.",
    ),
    adapter.EXPIRED: (
        401,
        "The launch's token has expired.",
        "Open the activity again from the course (and check the clocks of the LMS and Leerpad).",
    ),
    adapter.REPLAYED: (
        401,
        "This launch was already used, or its login is too old.",
        "Open the activity again from the course: every launch can be used once.",
    ),
    adapter.KEYSET_UNREACHABLE: (
        502,
        "Leerpad could not fetch the LMS's public keys to check the launch.",
        "Check the keyset URL registered in Leerpad and that Leerpad can reach it.",
    ),
}


@cache
def environment() -> Environment:
    """Built on first use, not at import; the dashboard's rules for hostile text."""
    return html_environment(TEMPLATES_DIR)


def _render(template: str, language: str, **context: Any) -> str:
    text = TEXT.get(language, TEXT["en"])
    return (
        environment()
        .get_template(template)
        .render(stylesheet=STYLESHEET_URL, language=language, t=text, **context)
    )


def refusal_status(reason: str) -> int:
    return REFUSALS.get(reason, REFUSALS[adapter.MALFORMED])[0]


def render_refusal(reason: str, detail: str, language: str = "en") -> str:
    """Why a launch was refused, what the library found, and what to do about it."""
    _, meaning, fix = REFUSALS.get(reason, REFUSALS[adapter.MALFORMED])
    return _render(
        "lti_message.html",
        language,
        title=TEXT[language]["refused_title"],
        message=meaning,
        detail=detail,
        reason=reason,
        fix=fix,
    )


def render_message(
    title: str, message: str, fix: str, language: str, detail: str = "", reason: str = ""
) -> str:
    return _render(
        "lti_message.html", language, title=title, message=message, detail=detail, reason=reason, fix=fix
    )


def render_unmapped(agents: list[dict[str, Any]], language: str) -> str:
    """The page of a learner whose LMS account maps to no employee: which account (as the xAPI agent
    an admin maps), and who can map it."""
    text = TEXT[language]
    names = [str(agent["account"]["name"]) for agent in agents]
    issuer = str(agents[0]["account"]["homePage"]) if agents else ""
    who = " / ".join(repr(name) for name in names) + f" @ {issuer}"
    return render_message(
        text["unmapped_title"],
        text["unmapped"].format(who=who),
        text["unmapped_fix"],
        language,
        detail="\n".join(json.dumps(agent) for agent in agents),
        reason="unmapped_user",
    )


def render_path(path: LearnerPath, language: str, highlight: UnitView | None = None) -> str:
    text = TEXT[language]
    progress = text["progress_text"].format(
        units=path.finished_units,
        items=path.finished_items,
        total=path.total_minutes,
        budget=path.budget_minutes,
    )
    return _render(
        "lti_path.html",
        language,
        path=path,
        intro=text["path_intro"].format(role=path.role_name),
        progress=progress,
        highlight=highlight,
    )


def render_unit(unit: UnitView | None, on_path: bool, language: str) -> str:
    return _render("lti_unit.html", language, unit=unit, on_path=on_path)


def render_picker(launch_id: str, query: str, results: list[UnitView] | None, language: str) -> str:
    """The deep-linking picker: add the path, or search a unit by title and add it."""
    return _render("lti_picker.html", language, launch_id=launch_id, query=query, results=results)


def render_deep_link_return(return_url: str, token: str, script_nonce: str, language: str) -> str:
    """The form that posts the signed LtiDeepLinkingResponse back to the platform: sent by a small
    script (allowed by its nonce), or by the button when scripts are off."""
    return _render("lti_return.html", language, return_url=return_url, token=token, script_nonce=script_nonce)


def render_staff_report(report: GapReport) -> str:
    """The team gap report for course staff: the dashboard's own page, with its stylesheet linked."""
    return render_gap_report(report, linked_stylesheet=True)
