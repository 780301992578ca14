"""Implicit-feedback ALS item factors, behind one small protocol (the ALS node's engine).

The ALS node (:mod:`recsys.models.als`) serves from item factors alone, so how they are
learnt is interchangeable: on one machine the ``implicit`` package's CPU ALS, on a cluster
Spark MLlib's ALS (``recsys.models.spark_factorise``, imported by the ALS node only when asked
for: the app never needs pyspark to serve). Both minimise the same iALS loss (Hu, Koren &
Volinsky 2008; Rendle et al. 2022): confidence ``alpha`` on a like, 1 on everything else, L2
``regularization``. Both take one :class:`ALSSettings`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
import threadpoolctl


@dataclass(frozen=True)
class ALSSettings:
    """What one ALS fit is asked for, whichever backend runs it (the ALS node's parameters):
    ``factors`` per item, L2 ``regularization``, confidence ``alpha`` on a like, ``iterations``
    (sweeps) and ``random_state``, the seed of the first factors. Named as implicit's
    ``AlternatingLeastSquares`` names its arguments, so they are passed to it as they are;
    Spark's are mapped."""

    factors: int
    regularization: float
    alpha: float
    iterations: int
    random_state: int


class Factoriser(Protocol):
    """Learns item factors from a users x items matrix of likes."""

    def item_factors(self, likes: sp.csr_matrix, settings: ALSSettings) -> np.ndarray:
        """``(n_items, settings.factors)`` float32 item factors; row ``i`` is column ``i`` of
        ``likes``.

        ``likes`` is binary float32 CSR (1.0: a like), users x modelled items.
        """
        ...


@dataclass(frozen=True)
class ImplicitFactoriser:
    """The ``implicit`` package's CPU ALS (conjugate-gradient solver, float32).

    ``num_threads`` 0 means one per core (the OpenMP loops over users / items). BLAS is held
    to one thread during the fit: implicit parallelises itself and warns (rightly: up to 10x
    slower) when BLAS threads compete with its own.
    """

    num_threads: int = 0

    def item_factors(self, likes: sp.csr_matrix, settings: ALSSettings) -> np.ndarray:
        n_items = likes.shape[1]
        if likes.nnz == 0 or n_items == 0:
            return np.zeros((n_items, settings.factors), dtype=np.float32)
        threads = self.num_threads or (os.cpu_count() or 1)
        with threadpoolctl.threadpool_limits(1, "blas"):
            # imported here: the app that only serves item factors never loads implicit
            from implicit.cpu.als import AlternatingLeastSquares

            model = AlternatingLeastSquares(**asdict(settings), num_threads=threads)
            model.fit(likes.astype(np.float32, copy=False), show_progress=False)
        return np.ascontiguousarray(model.item_factors, dtype=np.float32)


__all__ = ["ALSSettings", "Factoriser", "ImplicitFactoriser"]
