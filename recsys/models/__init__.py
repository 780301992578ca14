"""Recommender models sharing one contract (see :mod:`recsys.models.base`)."""

from recsys.models.base import (
    Recommendation,
    Recommender,
    TrainingData,
    UserHistory,
    merge_interactions,
)
from recsys.models.blend import CollaborativeBlend
from recsys.models.bridge import ContentBridge
from recsys.models.coldstart import ColdStart
from recsys.models.collaborative import SVDRecommender
from recsys.models.content import ContentRecommender
from recsys.models.ease import EASERecommender
from recsys.models.hybrid import HybridRecommender
from recsys.models.popularity import PopularityRecommender
from recsys.models.prior import GenrePrior
from recsys.models.sections import SectionRouter
from recsys.models.sequential import SequentialRecommender
from recsys.models.tv import TVRecommender

__all__ = [
    "ColdStart",
    "CollaborativeBlend",
    "ContentBridge",
    "ContentRecommender",
    "EASERecommender",
    "GenrePrior",
    "HybridRecommender",
    "PopularityRecommender",
    "Recommendation",
    "Recommender",
    "SVDRecommender",
    "SectionRouter",
    "SequentialRecommender",
    "TVRecommender",
    "TrainingData",
    "UserHistory",
    "merge_interactions",
]
