"""What the report routes answer: the gap report and the learning KPIs, as JSON (and, flattened, CSV).

Every figure about people says how many employees it is about (`employees`) and whether it was
suppressed because that number is below the tenant's minimum group size (5): a suppressed figure
has its values set to null, never left out, so a reader sees that something was hidden.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from service.learning.schemas import LearningDayUse, SkillProficiency


class ReportFilters(BaseModel):
    team: str | None = None
    role: str | None = None


class HeatmapCell(BaseModel):
    """One team (row) by one skill (column). `weighted_gap` is the mean over the team's employees
    whose role needs the skill of importance x gap (0 to 5); `with_gap` how many of them lack it."""

    team: str
    skill_id: int
    employees: int
    with_gap: int | None
    mean_gap: float | None
    weighted_gap: float | None
    suppressed: bool


class SkillColumn(BaseModel):
    skill_id: int
    label: str
    has_content: bool


class Heatmap(BaseModel):
    teams: list[str]  # rows, in name order; the last row, ALL_TEAMS, is the whole population
    skills: list[SkillColumn]  # columns, largest total weighted gap first
    cells: list[HeatmapCell]


class GapFigure(BaseModel):
    skill_id: int
    label: str
    employees: int
    with_gap: int | None
    mean_gap: float | None
    weighted_gap: float | None
    suppressed: bool


class GroupTopGaps(BaseModel):
    """The largest gaps of one team or one role."""

    group: str
    employees: int
    suppressed: bool
    gaps: list[GapFigure]


class UncoveredSkill(BaseModel):
    """A skill roles need, with open gaps, that no active catalog item teaches: what to buy or write."""

    skill_id: int
    label: str
    roles: list[str]
    employees: int
    with_gap: int | None
    weighted_gap_total: float | None
    suppressed: bool


class ClosingItem(BaseModel):
    """A catalog item and how much gap it could close across the population: for each employee with an
    open gap in a skill the item teaches, importance x gap x the tag's confidence, summed."""

    item_id: int
    title: str
    url: str | None
    minutes: int
    language: str
    source: str
    external_id: str
    skills: list[str]
    employees: int
    gap_closable: float | None
    suppressed: bool


class GapReport(BaseModel):
    tenant: str
    generated_at: datetime
    filters: ReportFilters
    min_group_size: int
    employees: int
    suppressed: bool  # the whole report: the filters single out fewer than min_group_size people
    heatmap: Heatmap
    top_gaps_by_team: list[GroupTopGaps]
    top_gaps_by_role: list[GroupTopGaps]
    uncovered_skills: list[UncoveredSkill]
    closing_items: list[ClosingItem]


class Figure(BaseModel):
    """One KPI value: what it is about, how many employees it rests on, and whether it was hidden."""

    value: float | None
    employees: int
    suppressed: bool


class KpiPeriod(BaseModel):
    """One period (a calendar month or ISO week) of the trend series."""

    period: str  # "2026-09" or "2026-W37"
    start: date
    participation_rate: Figure  # share of the population with at least one learning event
    completion_rate: Figure  # completed or passed / engaged (employee, item) pairs
    minutes_per_employee: Figure  # learning minutes over the whole population
    active_path_share: Figure  # share with a path whose weeks reach into the period


class KirkpatrickLevels(BaseModel):
    reaction: Figure  # level 1: mean rating, scaled 0..1
    reaction_count: int
    learning: Figure  # level 2: mean test score, scaled 0..1
    learning_pass_rate: Figure
    learning_count: int
    behaviour: Figure  # level 3: mean change of manager/360 assessments after learning
    behaviour_count: int
    results: list[BusinessResult]  # level 4: the figures L&D imports


class BusinessResult(BaseModel):
    """A business figure L&D imported, first and last value in the window and the change."""

    name: str
    unit: str
    team: str | None
    first_period: date
    first_value: float
    last_period: date
    last_value: float
    change: float


class Effectiveness(BaseModel):
    """Assessment change before and after learning, over (employee, skill) pairs with evidence on
    both sides of the first completed unit that teaches the skill."""

    pairs: int
    mean_before: Figure
    mean_after: Figure
    mean_change: Figure


class Roi(BaseModel):
    """Training ROI = (benefit - cost) / cost, from the costs and benefits L&D entered for the window."""

    cost: float
    benefit: float
    roi: float | None
    currency: str


class NudgeKpis(BaseModel):
    """What nudges in Slack and Teams change (service.reports.nudge_kpis): completion of nudged units
    within `effect_days` against the same employees' path units that were not nudged, and the
    learning pulse (eNPS: % 9-10 minus % 0-6), each hidden under five employees."""

    effect_days: int
    nudges_sent: int
    nudged_employees: int
    completion_after_nudge: Figure
    completion_without_nudge: Figure
    pulse_answers: int
    pulse_mean: Figure
    pulse_enps: Figure


class KpiReport(BaseModel):
    tenant: str
    generated_at: datetime
    filters: ReportFilters
    min_group_size: int
    period: str  # month or week
    start: date
    end: date
    employees: int
    suppressed: bool
    participation_rate: Figure
    completion_rate: Figure
    minutes_per_employee: Figure
    active_path_share: Figure
    series: list[KpiPeriod]
    effectiveness: Effectiveness
    kirkpatrick: KirkpatrickLevels
    roi: Roi | None
    learning_days: LearningDayUse | None = Field(
        default=None,
        description="the share of Learning Day time used, per team; null while all is suppressed",
    )
    time_to_proficiency: list[SkillProficiency] = Field(
        default_factory=list, description="median days from a gap opening to its target level, per skill"
    )
    nudges: NudgeKpis | None = None  # None only in reports built before nudges existed


KirkpatrickLevels.model_rebuild()
