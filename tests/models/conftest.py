"""Fixtures for the model tests on the tiny hand-written frames of :mod:`testkit.frames`."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.models.base import TrainingData, merge_interactions
from testkit.frames import make_catalog, make_interactions, make_ratings, make_tags

#: Re-exported for the test modules that import them from here.
__all__ = ["make_catalog", "make_interactions", "make_ratings", "make_tags"]


@pytest.fixture(scope="session")
def catalog() -> pd.DataFrame:
    return make_catalog()


@pytest.fixture(scope="session")
def data() -> TrainingData:
    return TrainingData(
        make_catalog(), merge_interactions(make_ratings(), make_interactions()), make_tags()
    )
