"""A row of counts as ``st.metric`` figures (the Quality page's online tab, an import's preview)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st


def count_metrics(counts: Mapping[str, int]) -> None:
    """One metric per ``label: count``, side by side, with thousands separators."""
    for column, (label, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
        column.metric(label, f"{count:,}")
