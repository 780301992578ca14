"""Marquee: a movie and TV-show recommender library (no Streamlit imports here)."""

__version__ = "0.1.0"
