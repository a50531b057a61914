"""Every table is classified: it holds employee data (and is registered with export and erase
handlers) or it does not (and says why). A new table fails here until someone decides which."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from models.personal_data import (
    ERASURES,
    NO_PERSONAL_DATA,
    PERSONAL_DATA,
    PersonalDataTable,
    employee_columns,
    registry_problems,
    replace_exact,
)
from models.tables import Base


def test_every_table_is_classified_and_every_employee_reference_registered() -> None:
    assert registry_problems() == []
    assert set(PERSONAL_DATA) | set(NO_PERSONAL_DATA) == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        if employee_columns(table):
            assert name in PERSONAL_DATA, f"{name} refers to employees but is not registered"


def test_registered_tables_say_how_they_are_found_exported_and_erased() -> None:
    for name, entry in PERSONAL_DATA.items():
        assert entry.table == name and entry.columns and entry.why.strip()
        assert entry.erasure in ERASURES and callable(entry.export) and callable(entry.erase)
    for name, reason in NO_PERSONAL_DATA.items():
        assert reason.strip(), f"{name} needs a reason"
    # What the brief names as employee data is registered.
    assert {"employees", "assessments", "learning_events", "learning_paths", "api_keys"} <= set(PERSONAL_DATA)
    assert list(PERSONAL_DATA)[-1] == "employees"


def _metadata_with(*extra: Table) -> MetaData:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    for table in extra:
        table.to_metadata(metadata)
    return metadata


def test_a_new_table_fails_until_it_is_classified() -> None:
    metadata = _metadata_with(Table("trophies", MetaData(), Column("id", Integer, primary_key=True)))
    problems = registry_problems(metadata)
    assert len(problems) == 1 and problems[0].startswith("trophies is a new table")
    assert registry_problems(metadata, none={**NO_PERSONAL_DATA, "trophies": "catalog trophies"}) == []


def test_a_table_naming_an_employee_must_be_registered() -> None:
    for column in (
        Column("employee_key", String(200)),
        Column("owner", Integer, ForeignKey("employees.id")),
        Column("subject", String(64)),
    ):
        scratch = MetaData()
        table = Table("notes", scratch, Column("id", Integer, primary_key=True), column)
        metadata = _metadata_with(table)
        assert column.name in employee_columns(metadata.tables["notes"])
        problems = registry_problems(metadata, none={**NO_PERSONAL_DATA, "notes": "just notes"})
        assert problems == [
            f"notes has employee columns {[column.name]} but is in NO_PERSONAL_DATA: register it"
        ]


def test_a_registered_table_with_a_new_employee_column_needs_its_entry_updated() -> None:
    scratch = MetaData()
    table = Table(
        "notes",
        scratch,
        Column("id", Integer, primary_key=True),
        Column("employee_id", Integer, ForeignKey("employees.id")),
        Column("manager_employee_id", Integer, ForeignKey("employees.id")),
    )
    entry = PersonalDataTable(
        "notes", ("employee_id",), "delete", "deleted", lambda s, e: [], PERSONAL_DATA["employees"].erase
    )
    personal = {"notes": entry, **PERSONAL_DATA}
    problems = registry_problems(_metadata_with(table), personal=personal)
    assert problems == ["notes: employee columns ['manager_employee_id'] are not named by its registry entry"]


def test_replace_exact_replaces_whole_strings_only() -> None:
    statement = {
        "actor": {"account": {"name": "e-12"}},
        "context": {"instructor": {"account": {"name": "e-1"}}, "team": [{"name": "e-1"}, "e-1x"]},
    }
    replaced, count = replace_exact(statement, "e-1", "erased:abc")
    assert count == 2
    assert replaced["actor"]["account"]["name"] == "e-12"
    assert replaced["context"]["instructor"]["account"]["name"] == "erased:abc"
    assert replaced["context"]["team"] == [{"name": "erased:abc"}, "e-1x"]
    assert statement["context"]["instructor"]["account"]["name"] == "e-1"  # the input is not changed
