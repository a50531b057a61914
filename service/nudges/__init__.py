"""Nudges in Slack and Microsoft Teams: integrations, employees' own settings, the nudge job, button clicks, /leerpad."""
