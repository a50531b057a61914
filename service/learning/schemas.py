"""Request and response models for Learning Days, progress and team challenges."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from service.core.schemas import IsoDate, Label, Number, Strict, WholeNumber

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class LearningDaySettings(Strict):
    """A company's Learning Days. `calendar`: a rule (the `nth` `weekday` of each month, or that weekday
    every week) with `hours_per_day` on it. `share`: a share of contract hours (`share_percent` of
    `contract_hours_per_week`) turned into one day budget per period, on the day the same rule names."""

    mode: Literal["calendar", "share"] = "calendar"
    frequency: Literal["monthly", "weekly"] = "monthly"
    weekday: Weekday = "friday"
    nth: Literal[1, 2, 3, 4, -1] = Field(
        default=1, description="monthly: the first to fourth such weekday of the month, -1 the last"
    )
    hours_per_day: Number | None = Field(default=None, gt=0, le=12, description="calendar: hours of each day")
    share_percent: Number | None = Field(
        default=None, gt=0, le=50, description="share: e.g. 5 (% of contract hours)"
    )
    contract_hours_per_week: Number | None = Field(default=None, gt=0, le=60, description="share: e.g. 36")

    @model_validator(mode="after")
    def _complete(self) -> LearningDaySettings:
        if self.mode == "calendar" and self.hours_per_day is None:
            raise ValueError("hours_per_day: needed for mode 'calendar'")
        if self.mode == "share" and (self.share_percent is None or self.contract_hours_per_week is None):
            raise ValueError("share_percent and contract_hours_per_week: needed for mode 'share'")
        return self


class LearningDaysPublic(BaseModel):
    enabled: bool
    settings: LearningDaySettings | None
    minutes_per_day: int | None = Field(description="what one Learning Day holds for a path")
    next_days: list[date] = Field(description="the next Learning Days of the company's rule")


class LearningDayPublic(BaseModel):
    date: date
    week: int
    minutes: int = Field(description="the day budget")
    planned_minutes: int = Field(description="minutes of the path's steps on that day")


class ChallengeProgress(BaseModel):
    challenge_id: int
    team: str
    title: str
    goal_minutes: int
    starts_on: date
    ends_on: date
    participants: int
    joined: bool | None = Field(default=None, description="whether the caller's employee joined")
    team_minutes: float | None = Field(
        description="minutes learned by the team's participants together in the period; null while "
        "fewer than 5 joined (one person's minutes are never shown)"
    )
    progress: float | None = Field(description="team_minutes / goal_minutes, at most 1")
    suppressed: bool


class WeekPublic(BaseModel):
    week_start: date
    minutes: int
    goal_met: bool


class MilestonePublic(BaseModel):
    skill_id: int
    skill: str
    required: int
    level: float
    reached_on: date | None = Field(description="the day of the latest evidence of the skill")


class ProgressPublic(BaseModel):
    """The employee's own progress: against their own goal, never against colleagues."""

    employee_id: str
    weekly_goal_minutes: int = Field(description="the employee's minutes per week (60 when they set none)")
    minutes_this_week: int
    goal_met_this_week: bool
    streak_weeks: int = Field(description="weeks in a row with the goal met, up to this week or the last")
    weeks: list[WeekPublic] = Field(description="the last 8 ISO weeks, oldest first")
    milestones: list[MilestonePublic] = Field(description="skills at or above the level the role asks")
    next_learning_day: date | None = Field(
        description="the employee's next Learning Day, if the company has them"
    )
    challenges: list[ChallengeProgress] = Field(description="the team challenges the employee joined")


class ChallengeIn(Strict):
    team: Label
    title: Label
    goal_minutes: WholeNumber = Field(ge=1, le=1_000_000)
    starts_on: IsoDate
    ends_on: IsoDate

    @model_validator(mode="after")
    def _order(self) -> ChallengeIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on: before starts_on")
        if (self.ends_on - self.starts_on).days > 366:
            raise ValueError("ends_on: a challenge lasts at most a year")
        return self


class ChallengesPublic(BaseModel):
    challenges: list[ChallengeProgress]
    min_group_size: int


class LearningDayTeamUse(BaseModel):
    team: str | None
    employees: int = Field(description="employees with Learning Day time planned in the window")
    planned_minutes: float | None
    used_minutes: float | None
    share: float | None = Field(description="used / planned, at most 1 per employee; null when suppressed")
    suppressed: bool


class LearningDayUse(BaseModel):
    """How much of the Learning Day time paths planned (past days in the window) was used: minutes of
    units finished on those days over minutes planned on them, per team; groups under 5 hidden."""

    overall: LearningDayTeamUse
    teams: list[LearningDayTeamUse]


class SkillProficiency(BaseModel):
    """Median days from a gap opening (first evidence below the role's target, or the first path on
    the skill) to the first evidence at the target, over the employees who reached it in the window."""

    skill_id: int
    skill: str
    employees: int
    median_days: float | None
    suppressed: bool
