"""`make run` on a home made with another encoder (the default was all-MiniLM-L6-v2 until
2026-12-04): `leerpad demo` re-embeds the vectors of the old model before it imports anything,
instead of failing to publish an index that would mix two models."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from models import repositories as repo
from models.db import transaction
from models.tables import MicroUnit, Skill
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from service.demo.loader import load_demo
from tests.support.settings import make_settings

OLD_MODEL = "an-older-model"


def test_leerpad_demo_reembeds_the_vectors_of_another_model(demo_home: Path, encoder: Encoder) -> None:
    runtime = Runtime(make_settings(demo_home), encoder=encoder)
    try:
        with transaction(runtime.sessions) as session:
            tenant = repo.get_tenant(session, "demo")
            assert tenant is not None
            units = session.scalars(
                select(MicroUnit.id)
                .where(MicroUnit.tenant_id == tenant.id, MicroUnit.active.is_(True))
                .limit(5)
            ).all()
            skills = session.scalars(select(Skill.id).where(Skill.tenant_id == tenant.id).limit(3)).all()
            session.execute(
                update(MicroUnit).where(MicroUnit.id.in_(units)).values(embedding_model=OLD_MODEL)
            )
            session.execute(update(Skill).where(Skill.id.in_(skills)).values(embedding_model=OLD_MODEL))
            tenant_id = tenant.id
        lines = list(load_demo(runtime, "demo"))
        assert f"5 units and 3 skills re-embedded with {encoder.name} (were {OLD_MODEL})" in lines[0], lines
        with transaction(runtime.sessions) as session:
            assert repo.embedding_models_in_use(session, tenant_id) == {encoder.name}
        assert runtime.check_index("demo", repair=False) is None
        # and a second load has nothing left to do
        assert list(load_demo(runtime, "demo"))[0].endswith(f"all made with {encoder.name}")
    finally:
        runtime.close()
