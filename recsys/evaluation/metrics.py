"""Top-k ranking metrics with binary relevance, one function per metric.

Each takes the ranked list of item ids (best first) and the set of relevant ids; the averages
over users are taken by the caller. Definitions follow the usual IR conventions:
NDCG uses gain 1 and discount ``1/log2(rank+1)``, normalised by the ideal list of
``min(|relevant|, k)`` hits; average precision at k is normalised by ``min(|relevant|, k)``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from itertools import combinations


def precision_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    return sum(1 for i in ranked[:k] if i in relevant) / k


def recall_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    if not relevant:
        return 0.0
    return sum(1 for i in ranked[:k] if i in relevant) / len(relevant)


def hit_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    return 1.0 if any(i in relevant for i in ranked[:k]) else 0.0


def ndcg_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    dcg = sum(1.0 / math.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def average_precision_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    hits, total = 0, 0.0
    for r, i in enumerate(ranked[:k]):
        if i in relevant:
            hits += 1
            total += hits / (r + 1)
    denom = min(len(relevant), k)
    return total / denom if denom else 0.0


def novelty(ranked: Sequence, user_share: Mapping, k: int) -> float:
    """Mean ``-log2`` of each recommended item's share of users (unknown items: skipped)."""
    vals = [-math.log2(user_share[i]) for i in ranked[:k] if user_share.get(i, 0) > 0]
    return sum(vals) / len(vals) if vals else 0.0


def intra_list_diversity(ranked: Sequence, genres: Mapping, k: int) -> float:
    """Mean pairwise ``1 - Jaccard(genres)`` within the list (0 for lists shorter than 2)."""
    pairs = list(combinations(ranked[:k], 2))
    if not pairs:
        return 0.0
    total = 0.0
    for a, b in pairs:
        ga, gb = genres.get(a, frozenset()), genres.get(b, frozenset())
        union = ga | gb
        total += 1.0 - (len(ga & gb) / len(union) if union else 1.0)
    return total / len(pairs)


def coverage(lists: Sequence[Sequence], n_items: int, k: int) -> float:
    """Share of the catalog that appears in at least one top-k list."""
    seen = {i for ranked in lists for i in ranked[:k]}
    return len(seen) / n_items if n_items else 0.0
