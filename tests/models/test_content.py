"""The content model's feature matrix: scikit-learn's TF-IDF must equal our formula exactly.

``reference_matrix`` is the hand-written TF-IDF the model used before ``DictVectorizer`` +
``TfidfTransformer`` replaced it, spelled out densely so any drift in sklearn's defaults (IDF
smoothing, sublinear TF, norm) shows up here and not as a quiet change in the offline figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from recsys.models import ContentRecommender
from recsys.models.base import TrainingData
from recsys.models.content import DEFAULT_FIELD_WEIGHTS, tfidf_matrix, title_tokens
from tests.models.conftest import make_catalog, make_tags


def reference_matrix(
    rows: list[dict[str, float]], min_df: int, weights: Mapping[str, float]
) -> tuple[np.ndarray, list[str]]:
    """(1 + log tf) * (log((1 + n) / (1 + df)) + 1) * field weight, rows L2-normalised."""
    names = list(dict.fromkeys(name for row in rows for name in row))  # first-seen order
    df = {f: sum(f in row for row in rows) for f in names}
    kept = [f for f in names if df[f] >= min_df]
    n = len(rows)
    out = np.zeros((n, len(kept)))
    for i, row in enumerate(rows):
        for j, f in enumerate(kept):
            if f in row:
                idf = math.log((1 + n) / (1 + df[f])) + 1.0
                out[i, j] = (1 + math.log(row[f])) * idf * weights.get(f.split(":")[0], 1.0)
        norm = np.linalg.norm(out[i])
        if norm:
            out[i] /= norm
    return out, kept


def catalog_with_overviews() -> pd.DataFrame:
    catalog = make_catalog()
    words = ["heist heist crew vault", "crew crew crew ocean", "vault ocean heist", None]
    catalog["overview"] = [words[i % 4] for i in range(len(catalog))]
    return catalog


@pytest.mark.parametrize("min_df", [1, 2, 5])
def test_matrix_equals_the_hand_written_tfidf(min_df: int) -> None:
    rows = title_tokens(catalog_with_overviews(), make_tags())
    assert any(count > 1 for row in rows for count in row.values())  # sublinear tf is exercised
    matrix, features = tfidf_matrix(rows, min_df, DEFAULT_FIELD_WEIGHTS)
    expected, names = reference_matrix(rows, min_df, DEFAULT_FIELD_WEIGHTS)
    assert list(features) == names
    assert matrix.dtype == np.float32 and matrix.format == "csr"
    np.testing.assert_allclose(matrix.toarray(), expected, rtol=1e-6, atol=1e-7)


def test_two_titles_by_hand() -> None:
    """df 2 of 2 gives idf 1; df 1 gives 1 + log(3/2); tf 3 gives 1 + log 3."""
    rows = [{"g:Drama": 1.0, "w:heist": 3.0}, {"g:Drama": 1.0, "dir:Ann": 1.0}]
    matrix, features = tfidf_matrix(rows, 1, {"g": 1.0, "w": 1.0, "dir": 2.0})
    assert list(features) == ["g:Drama", "w:heist", "dir:Ann"]
    first = np.array([1.0, (1 + math.log(3)) * (1 + math.log(1.5)), 0.0])
    second = np.array([1.0, 0.0, 2.0 * (1 + math.log(1.5))])
    expected = np.vstack([first / np.linalg.norm(first), second / np.linalg.norm(second)])
    np.testing.assert_allclose(matrix.toarray(), expected, rtol=1e-6)


@pytest.mark.parametrize("rows", [[{"g:Drama": 1.0}, {}], []])
def test_no_feature_left_is_refused_as_before(rows: list[dict[str, float]]) -> None:
    """No title or no feature in ``min_df`` titles: a ValueError, as the hand-written code gave."""
    with pytest.raises(ValueError):
        tfidf_matrix(rows, 5, DEFAULT_FIELD_WEIGHTS)


def test_fitted_model_uses_the_same_matrix(data: TrainingData) -> None:
    model = ContentRecommender(field_weights={"dec": 1.0}).fit(data)
    weights = {**DEFAULT_FIELD_WEIGHTS, "dec": 1.0}
    expected, names = reference_matrix(title_tokens(data.catalog, data.tags), 2, weights)
    assert list(model.features_) == names
    np.testing.assert_allclose(model.matrix_.toarray(), expected, rtol=1e-6, atol=1e-7)
