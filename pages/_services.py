"""The Account page's "My services" section (container key ``my_services``): the streaming
services the user has in their country, from TMDb's list (JustWatch's data), stored per user
for Home's "Only what I can stream". The page reads widgets and calls
``ctx.service.streaming``; checking and storing live there."""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._more_info import watch_region
from pages._widgets import md_escape
from recsys.services import ServicesError
from recsys.services.streaming import NEEDS_KEY


def services_section(ctx: _auth.AppContext) -> None:
    """Country and services; a save checks every service against TMDb's list first."""
    st.subheader(":material/live_tv: My services")
    with st.container(key="my_services"):
        streaming = ctx.service.streaming
        if streaming.catalog is None:
            st.info(NEEDS_KEY, icon=":material/key:")
            return
        current = streaming.services(ctx.user_id)
        region = st.text_input(
            "Country (two letters)",
            value=current.region if current else watch_region(ctx.settings),
            max_chars=2,
            key="my_services_region",
            help="Where you watch: availability differs by country",
        ).upper()
        listed = streaming.provider_list(region)
        if listed.error == "bad_region":
            st.error("Type a two-letter country code such as GB or US.", icon=":material/error:")
            return
        if listed.error is not None:
            st.warning(
                "TMDb is not answering right now, so the list of services cannot be shown; "
                "nothing was changed. Please try again in a moment.",
                icon=":material/cloud_off:",
            )
            return
        names = {p.provider_id: p.name for p in listed.providers}
        chosen = [p for p in (current.providers if current else ()) if p in names]
        with st.form("my_services_form", border=False):
            picked = st.multiselect(
                f"Services you have in {region}",
                list(names),
                default=chosen,
                format_func=lambda pid: names.get(pid, str(pid)),
                key="my_services_pick",
                placeholder="Choose your streaming services",
            )
            saved = st.form_submit_button("Save my services", type="primary")
        st.caption(f"{md_escape(listed.credit)} (via TMDb)")
        if not saved:
            return
        try:
            result = streaming.set_services(ctx.user_id, region, picked)
        except ServicesError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        if result is None:
            st.success("No services stored; Home shows every pick.", icon=":material/check:")
        else:
            st.success(
                f"Saved {len(result.providers)} service{'s' if len(result.providers) != 1 else ''}"
                f" in {result.region}. Turn on “Only what I can stream” in Home's Filters.",
                icon=":material/check:",
            )
