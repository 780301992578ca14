"""The Account page's data sections: import ratings, export my data, delete my account.

Each is a function of the app context, listed in ``pages/account.py``'s ``SECTIONS``. The work
is the library's (``service.imports``, ``service.privacy``); these only read widgets and draw.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from pages import _auth
from pages._counts import count_metrics
from pages._state import flash, user_state, visit
from pages._widgets import md_escape
from recsys.auth.credentials import AccountError
from recsys.services import ImportFileError, ImportPreview
from recsys.services.imports import Sample
from recsys.services.privacy import to_csv, to_json

_FORMAT_NAMES = {"imdb": "IMDb ratings export", "letterboxd": "Letterboxd export"}


# ------------------------------------------------------------------------------ import
def import_section(ctx: _auth.AppContext) -> None:
    """Upload an IMDb or Letterboxd export, see what it would do, then confirm."""
    st.subheader(":material/upload_file: Import ratings")
    st.caption(
        "Bring your taste with you: upload IMDb's “Your ratings” CSV (Your ratings → ⋯ → Export) "
        "or Letterboxd's export (Settings → Data → Export: the zip or its ratings.csv). "
        "IMDb 7–10 and Letterboxd 3.5–5 stars become likes, IMDb 1–4 and Letterboxd ½–2 stars "
        "dislikes; the rest is skipped. Nothing is stored until you confirm, and a choice you "
        "made here later than the file's date is kept."
    )
    upload = st.file_uploader(
        "IMDb or Letterboxd export (.csv or .zip, up to 5 MB)",
        type=["csv", "zip"],
        key="import_ratings",
    )
    state = user_state()
    if upload is None:
        state.import_preview = None
        return
    if state.imported_file == upload.file_id:
        st.caption("This file is imported. Upload another one, or remove it above.")
        return
    held = state.import_preview
    if held is None or held[0] != upload.file_id:
        try:
            preview = ctx.service.imports.preview(ctx.user_id, upload.name, upload.getvalue())
        except ImportFileError as exc:
            state.import_preview = None
            st.error(exc.message, icon=":material/error:")
            return
        held = state.import_preview = (upload.file_id, preview)
    _show_preview(held[1])
    if held[1].matched == 0:
        st.info("Nothing in this file can be imported.", icon=":material/info:")
        return
    if st.button(
        f"Import {held[1].matched:,} ratings",
        key="import_confirm",
        type="primary",
        icon=":material/download_done:",
    ):
        try:
            result = ctx.service.imports.apply(ctx.user_id, held[1])
        except ImportFileError as exc:
            st.error(exc.message, icon=":material/error:")
            return
        state.import_preview = None
        state.home = None  # Home recomputes with the new taste
        kept = (
            f", {result.kept_newer:,} kept as you changed them here later"
            if result.kept_newer
            else ""
        )
        flash(
            f"Imported from {_FORMAT_NAMES.get(result.format, result.format)}: "
            f"{result.added:,} new, {result.changed:,} updated, "
            f"{result.unchanged:,} already there{kept}. Home now uses them."
        )
        state.imported_file = upload.file_id
        st.rerun()


def _show_preview(preview: ImportPreview) -> None:
    st.markdown(
        f"**{md_escape(preview.filename)}** · {_FORMAT_NAMES[preview.format]} · "
        f"{preview.rows:,} rows"
    )
    count_metrics(
        {
            "Likes": preview.likes,
            "Dislikes": preview.dislikes,
            "Skipped (middle rating)": preview.skipped,
            "Not in our catalog": preview.unmatched,
            "Ambiguous": preview.ambiguous,
        }
    )
    if preview.duplicates:
        st.caption(f"{preview.duplicates:,} repeated rows count once (the latest rating wins).")
    samples = [
        ("Matched", preview.matched_sample),
        ("Skipped", preview.skipped_sample),
        ("Not in our catalog", preview.unmatched_sample),
        ("Ambiguous: several titles fit, none was guessed", preview.ambiguous_sample),
    ]
    for label, rows in samples:
        if rows:
            with st.expander(f"{label}: examples"):
                st.dataframe(_sample_frame(rows), hide_index=True, width="stretch")


def _sample_frame(rows: tuple[Sample, ...]) -> pd.DataFrame:
    """The file's own texts, shown as data (a dataframe never renders them as markup)."""
    return pd.DataFrame(
        [(r.line, r.name, r.year, r.rating, r.note) for r in rows],
        columns=["Line", "Title", "Year", "Rating", "Note"],
    )


# ------------------------------------------------------------------------------ export
def export_section(ctx: _auth.AppContext) -> None:
    """Everything we hold about the user, as JSON (all of it) or CSV (the likes)."""
    st.subheader(":material/download: Export my data")
    st.caption(
        "Your profile, favourite genres and every like and dislike with its time. The CSV holds "
        "the likes and dislikes and opens safely in a spreadsheet."
    )
    export = ctx.service.privacy.export(ctx.user_id)
    stem = f"marquee-{ctx.user.username if ctx.user else 'me'}-{date.today():%Y-%m-%d}"
    downloads = (
        ("JSON", to_json(export), "json", "application/json", "export_data", "data_object"),
        ("CSV", to_csv(export), "csv", "text/csv", "export_data_csv", "table"),
    )
    for column, (label, data, ext, mime, key, icon) in zip(st.columns(2), downloads, strict=True):
        column.download_button(
            f"Download {label}",
            data=data,
            file_name=f"{stem}.{ext}",
            mime=mime,
            key=key,
            icon=f":material/{icon}:",
            width="stretch",
        )


# ------------------------------------------------------------------------------ delete
def delete_section(ctx: _auth.AppContext) -> None:
    """Delete the account and everything it holds, after typing the username."""
    st.subheader(":material/delete_forever: Delete my account")
    username = ctx.user.username if ctx.user else ""
    st.caption(
        "Removes your account, your likes and dislikes, what you were shown and every signed-in "
        "session, at once and for good; the next model update no longer learns from them. "
        "Export your data first if you want to keep it."
    )
    with st.form("delete_account", clear_on_submit=True):
        typed = st.text_input(
            f"Type your username ({username}) to confirm", key="delete_account_confirm"
        )
        submitted = st.form_submit_button("Delete my account", type="primary")
    if not submitted:
        return
    try:
        ctx.service.privacy.delete_account(ctx.user_id, typed)
    except AccountError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    _auth.logout(ctx.library, ctx.settings, ctx.service.sessions)
    visit().login_notice = "Your account and all its data were deleted."  # on the log-in page
    _auth.go("login")
