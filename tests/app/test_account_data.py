"""The Account page's data sections through AppTest: export, delete, and the import uploader.

AppTest cannot upload a file (Streamlit 1.67 has no file-uploader driver); the import flow
itself is driven in Chromium by ``tests/e2e/test_account_data.py``.
"""

from __future__ import annotations

import json

from recsys.store.models import Impression, Interaction, LoginSession, User
from tests.app.conftest import add_user, logged_in, no_error, texts


def _account(at):  # type: ignore[no-untyped-def]
    at.switch_page("pages/account.py").run()
    no_error(at)
    return at


def _count(service, model, uid: int) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    column = model.id if model is User else model.user_id
    with service.db.session() as session:
        return int(session.scalar(select(func.count()).where(column == uid)) or 0)


def test_sections_and_their_keys(make_app, service) -> None:  # type: ignore[no-untyped-def]
    add_user(service, onboarded=True)
    at = _account(logged_in(make_app))
    headers = " ".join(str(h.value) for h in at.subheader)
    for name in ("Import ratings", "Change password", "Active sessions", "Export my data"):
        assert name in headers
    assert "Delete my account" in headers
    keys = {str(getattr(w, "key", "")) for w in at.get("download_button")}
    assert {"export_data", "export_data_csv"} <= keys
    assert [str(w.key) for w in at.get("file_uploader")] == ["import_ratings"]


def test_export_holds_the_profile_and_every_choice(make_app, service) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service, onboarded=True)
    at = _account(logged_in(make_app))
    (button,) = [w for w in at.get("download_button") if str(w.key) == "export_data"]
    assert button.proto.label == "Download JSON"
    # the page offers what the service exports for this user
    data = json.loads(_json(service, uid))
    assert data["profile"]["username"] == "robin"
    assert len(data["choices"]) == len(service.ratings.choices(uid)) == 10


def _json(service, uid: int) -> bytes:  # type: ignore[no-untyped-def]
    from recsys.services.privacy import to_json

    return to_json(service.privacy.export(uid))


def test_delete_needs_the_username_then_removes_everything(make_app, service) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service, onboarded=True)
    other = add_user(service, "sam", onboarded=True)
    at = _account(logged_in(make_app))
    # logging in landed on Home, which logged what it showed (impressions)
    assert _count(service, Impression, uid) > 0 and _count(service, LoginSession, uid) == 1

    at.text_input(key="delete_account_confirm").input("robbin")
    next(b for b in at.button if b.label == "Delete my account").click()
    at.run()
    no_error(at)
    assert "type its username exactly; nothing was deleted" in texts(at)
    assert _count(service, User, uid) == 1 and _count(service, Interaction, uid) == 10

    at.text_input(key="delete_account_confirm").input("robin")
    next(b for b in at.button if b.label == "Delete my account").click()
    at.run()
    no_error(at)
    assert "Your account and all its data were deleted." in texts(at)
    assert any(b.label == "Log in" for b in at.button)  # back on the log-in page, logged out
    at.run()  # e.g. the rerun the cookie deletion's confirmation starts: the news stays
    assert "Your account and all its data were deleted." in texts(at)
    for model in (User, Interaction, Impression, LoginSession):
        assert _count(service, model, uid) == 0, model
    assert service.accounts.user("robin") is None
    assert len(service.ratings.choices(other)) == 10  # nobody else's data moved
