"""Normalisation shared by every source, one module per concern.

Sources hand over whatever their catalog holds ("60-75 minuten", "Beginner Level", "nl-NL") and get back
the few normalised values the recommender ranks and schedules on. Everything here is deterministic and
offline: no model, no download, so the same file always gives the same items and the same content hash.

    language.py  language detection and language tags
    minutes.py   durations to minutes, reading time
    levels.py    level texts to LEVELS, the level a description states
    formats.py   format texts to FORMATS
    units.py     sections and micro-units of long text
    modules.py   course structure: modules and lessons into micro-units
    ids.py       stable ids from text and urls
    urls.py      which urls clients may render
    values.py    ratings, timestamps, lists, text without control characters
"""
