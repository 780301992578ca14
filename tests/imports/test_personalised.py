"""After importing five or more likes a new user is no longer cold: Home's lists come from the
personal path, not the cold-start one (``ColdStart`` decides by the number of likes)."""

from __future__ import annotations

from recsys.lifecycle.reuse import stale_reason
from recsys.lifecycle.training import load_or_train_engine
from recsys.services import Marquee
from recsys.store.models import Title
from tests.imports.files import imdb_file, imdb_row

PASSWORD = "Str0ng#Passw0rd"


def test_an_import_of_five_likes_ends_the_cold_start(service: Marquee) -> None:
    engine = load_or_train_engine(service.settings, service.db).engine
    served = Marquee(service.settings, service.db, engine, clock=service.clock)
    uid = served.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    served.onboarding.set_favorite_genres(uid, served.onboarding.available_genres()[:5])
    cold = served.picks.home_sections(uid, k=5)
    assert all(c.model_part == "cold_start" for cards in cold.values() for c in cards)
    assert engine.params.served.min_likes == 5

    with served.db.session() as session:
        movies = (
            session.query(Title.tconst)
            .filter(Title.title_type == "movie")
            .order_by(Title.num_votes.desc())
            .limit(5)
            .all()
        )
    rows = [imdb_row(t, 9, f"2024-03-{i + 1:02d}") for i, (t,) in enumerate(movies)]
    rows.append(imdb_row(movies[0][0], 5))  # a middle rating adds nothing
    result = served.imports.apply(uid, served.imports.preview(uid, "ratings.csv", imdb_file(rows)))
    assert result.added == 5 and result.likes == 5

    warm = served.picks.home_sections(uid, k=5)
    cards = [c for section in warm.values() for c in section]
    assert cards and all(c.model_part != "cold_start" for c in cards)
    assert not {t for (t,) in movies} & {c.tconst for c in cards}  # imported likes not re-served


def test_an_import_of_old_ratings_makes_the_model_due_for_retraining(service: Marquee) -> None:
    """Imported rows carry their rating dates (before the model was trained), yet count."""
    engine = load_or_train_engine(service.settings, service.db).engine
    assert stale_reason(engine.manifest(), service.settings, service.db) is None
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    with service.db.session() as session:
        titles = [t for (t,) in session.query(Title.tconst).order_by(Title.tconst).limit(60)]
    data = imdb_file([imdb_row(t, 8 if i % 2 else 2, "2019-06-01") for i, t in enumerate(titles)])
    result = service.imports.apply(uid, service.imports.preview(uid, "ratings.csv", data))
    assert result.stored == 60 >= service.settings.retrain_after_interactions
    reason = stale_reason(engine.manifest(), service.settings, service.db)
    assert reason is not None and "60 new" in reason
