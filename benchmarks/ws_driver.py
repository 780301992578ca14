"""A browser-less Streamlit client: the load benchmark's sessions over the real websocket protocol.

``benchmarks/load.py --driver ws`` uses this instead of in-process ``AppTest`` sessions, so the
figures measure the ``streamlit run`` server itself (its script threads, its session manager,
its one process-wide ``st.cache_resource`` engine and database pool).

What a browser tab does, and what this client does in its place (learnt from Streamlit's Python
side: ``web/server/starlette/starlette_websocket.py``, ``runtime/app_session.py``,
``runtime/state/session_state.py`` and the ``BackMsg``/``ForwardMsg``/``ClientState``/
``WidgetStates`` protos):

* open ``ws://host:port/_stcore/stream`` with the subprotocol ``streamlit`` (the second entry of
  ``Sec-WebSocket-Protocol`` would be the XSRF token; the server only checks it before reading
  Streamlit's own ``st.user`` cookie, which this app does not use, so none is sent). Cookies the
  "browser" holds go in the ``Cookie`` header: that is what ``st.context.cookies`` reads;
* send ``BackMsg.rerun_script`` with a ``ClientState``: the current page's ``page_script_hash``
  (taken from the last ``new_session`` message, as the frontend does), and ``widget_states``:
  a button click is ``trigger_value = True`` on the button's id, a form submit is the form's
  text inputs (``string_value``) plus ``trigger_value`` on the form's submit button, a
  components-v2 state change is ``json_value`` and a components-v2 trigger is
  ``json_trigger_value`` (``[{"event", "value"}]``) on the component's trigger id
  (``_make_trigger_id(<component id>, "events")``);
* read ``ForwardMsg``s: ``new_session`` starts a run (``st.switch_page``/``st.rerun`` end a run
  with ``FINISHED_EARLY_FOR_RERUN`` and start another), ``delta`` carries the elements
  (``new_element``, ``add_block``) at a ``delta_path`` (a later delta at the same path replaces
  the earlier one, as in the browser), ``script_finished`` with any other status ends the
  interaction. Widget ids look like ``$$ID-<hash>-<user key>``, so ``home_refresh`` is found by
  its key; the log-in form's inputs have no key and are found through the form's submit button;
* Home's cards (``pages/_card_grid.py``, issue 24) are one components-v2 element a section
  (``bidi_component``, ``component_name`` ``marquee_card_grid``, keys ``grid_movie``,
  ``grid_tv``, ``grid_because_<seed>`` ...). Its data (JSON) is what the browser draws: each
  card's ``tconst``, ``choice``, ``saved``, ``hidden``, and the ``ack`` (the last click the
  server stored for this tab). A click is what the grid's JavaScript sends: the ``act``
  trigger ``{"instance", "clicks": [{"seq", "button", "tconst"}, ...]}``, every click not yet
  acknowledged, numbered per tab (one ``instance`` a client, ``seq`` increasing);
* fragments (``@st.fragment``, e.g. every card grid on Home): every delta written while a fragment
  runs carries ``Delta.fragment_id``, remembered per delta path. A click on a widget drawn
  inside a fragment sends ``rerun_script`` with ``ClientState.fragment_id`` (as the frontend
  does) and the server reruns that fragment alone: the run still starts with ``new_session``
  (its ``metadata.run.fragment_ids`` names the fragments) and ends with
  ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``. Its deltas are merged into the page on screen, and
  what the rerun fragments drew before and did not send again is dropped, as the frontend's
  stale-element cleanup does. Log-in, "New picks" and reconnects stay full-app reruns.

The app writes its log-in cookie with a tiny components-v2 element (``pages/_auth.py``); this
client plays the browser's part: it stores the cookie it is asked to set and reports the
operation's nonce back (``json_value`` ``{"done": nonce}``), as the component's JavaScript does.

Each session runs in its own thread with the synchronous ``websockets`` client.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import traceback
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from testkit.grid_data import card_buttons, grid_data
from testkit.visits import SessionResult, Visitor

ID_PREFIX = "$$ID-"
FINAL_STATUSES = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
COOKIE_WRITER_KEY = "marquee_cookie_writer"  # pages/_auth.py
GRID_COMPONENT = "marquee_card_grid"  # pages/_card_grid.py: COMPONENT_NAME
GRID_EVENT = "act"  # pages/_card_grid.py: EVENT


class ProtocolError(RuntimeError):
    """The server closed the connection or did not finish a run in time."""


def user_key(widget_id: str) -> str | None:
    """The user key in a generated widget id (``$$ID-<hash>-<key>``), None without one."""
    if not widget_id.startswith(ID_PREFIX):
        return widget_id or None
    parts = widget_id.split("-", 2)
    if len(parts) < 3 or parts[2] == "None":
        return None
    return parts[2]


# ------------------------------------------------------------------------------ a rendered page
@dataclass
class Page:
    """What one finished run left on the screen (elements by delta path, as the browser)."""

    page_script_hash: str = ""
    elements: dict[tuple[int, ...], Any] = field(default_factory=dict)  # Element protos
    blocks: dict[tuple[int, ...], Any] = field(default_factory=dict)  # Block protos
    #: the ``Delta.fragment_id`` each element/block came with ("" outside any fragment)
    fragment_of: dict[tuple[int, ...], str] = field(default_factory=dict)
    runs: int = 0  # script runs it took (switch_page / rerun add one each)
    status: int | None = None
    deltas: int = 0  # deltas received for it (all runs of the interaction)
    fragment_ids: tuple[str, ...] = ()  # the fragments the last run reran (empty: full run)

    def merged(self) -> Page:
        """A copy to merge a fragment run into: the rest of the screen stays as it was."""
        return Page(
            page_script_hash=self.page_script_hash,
            elements=dict(self.elements),
            blocks=dict(self.blocks),
            fragment_of=dict(self.fragment_of),
            runs=self.runs,
        )

    def drop_stale(self, running: set[str], fresh: set[tuple[int, ...]]) -> None:
        """End of a fragment run, as the frontend does: what the rerun fragments showed
        before and did not send again is gone, and so is whatever sat in one of their
        containers (``add_block``) that this run did not send again."""
        replaced = {p for p in self.blocks if self.fragment_of.get(p) in running}

        def stale(path: tuple[int, ...]) -> bool:
            if path in fresh:
                return False
            if self.fragment_of.get(path) in running:
                return True
            return any(path[:depth] in replaced for depth in range(1, len(path)))

        for path in [p for p in (*self.elements, *self.blocks) if stale(p)]:
            self.elements.pop(path, None)
            self.blocks.pop(path, None)
            self.fragment_of.pop(path, None)

    def fragment_of_widget(self, widget_id: str) -> str:
        """The fragment the widget ``widget_id`` was drawn in ("" if none)."""
        for path, element in self.elements.items():
            kind = element.WhichOneof("type")
            if kind and getattr(getattr(element, kind), "id", None) == widget_id:
                return self.fragment_of.get(path, "")
        return ""

    def of_type(self, kind: str) -> list[Any]:
        return [
            getattr(e, kind)
            for _p, e in sorted(self.elements.items())
            if e.WhichOneof("type") == kind
        ]

    def widget(self, kind: str, key: str) -> Any | None:
        for w in self.of_type(kind):
            if user_key(w.id) == key:
                return w
        return None

    def grids(self) -> list[Any]:
        """The card grid elements (``bidi_component`` protos), in page order."""
        return [c for c in self.of_type("bidi_component") if c.component_name == GRID_COMPONENT]

    def grid_of(self, tconst: str) -> tuple[Any, dict[str, Any]] | None:
        """The grid showing the card ``tconst`` and that card's data, or None."""
        for grid in self.grids():
            for card in grid_data(grid)["cards"]:
                if card["tconst"] == tconst:
                    return grid, card
        return None

    def texts(self) -> list[str]:
        out = [m.body for m in self.of_type("markdown")]
        out += [h.body for h in self.of_type("html")]
        out += [h.body for h in self.of_type("heading")]
        return out

    def exceptions(self) -> list[str]:
        return [f"{e.type}: {e.message}" for e in self.of_type("exception")]


class StreamlitClient:
    """One browser tab on ``ws://127.0.0.1:<port>/_stcore/stream``."""

    def __init__(
        self,
        port: int,
        timeout: float,
        cookies: dict[str, str] | None = None,
        source: str | None = None,
    ) -> None:
        """``source``: the loopback address to connect from (``127.0.0.x``), so that behind
        nginx each simulated visitor has an address of its own, as real visitors do (the
        log-in throttle counts attempts per address)."""
        from websockets.sync.client import connect
        from websockets.typing import Subprotocol

        self.timeout = timeout
        self.port = port
        self.cookies = dict(cookies or {})
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        # websockets >= 17.1 wants connect() used as a context manager; the stack closes it
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(
            connect(
                f"ws://127.0.0.1:{port}/_stcore/stream",
                subprotocols=[Subprotocol("streamlit")],
                additional_headers=headers,
                origin=None,
                max_size=None,
                open_timeout=timeout,
                close_timeout=2,
                **({"source_address": (source, 0)} if source else {}),
            )
        )
        self.page = Page()
        # the grids' click numbering, as the grid's JavaScript keeps it in a tab: one instance,
        # increasing seq, and the clicks each grid (by key) has not had acknowledged yet
        self.instance = f"ws-{uuid.uuid4().hex[:12]}"
        self._seq = itertools.count(1)
        self._queues: dict[str, list[dict[str, Any]]] = {}

    def close(self) -> None:
        with contextlib.suppress(Exception):  # best effort
            self._stack.close()

    def rerun(self, widget_states: Iterable[WidgetState] = (), fragment_id: str = "") -> Page:
        """Send one ``rerun_script`` and wait until the run (and any rerun it asked for) ends.

        With ``fragment_id`` only that fragment reruns (as the browser asks when a widget
        inside a fragment changes): its deltas are merged into the page on screen."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = self.page.page_script_hash
        state.page_name = ""
        if fragment_id:
            state.fragment_id = fragment_id
        for ws in widget_states:
            state.widget_states.widgets.append(ws)
        try:
            self.ws.send(msg.SerializeToString())
        except Exception as exc:  # the server went away between two runs (kill -9, restart)
            raise ProtocolError(f"connection lost: {exc!r}") from exc
        return self._read_until_finished()

    def click(self, widget: Any) -> Page:
        """Click a button as the browser does: a fragment rerun when the button was drawn
        inside a fragment, a full-app rerun otherwise."""
        return self.rerun([click(widget)], self.page.fragment_of_widget(widget.id))

    def click_card(self, button: str, tconst: str) -> Page:
        """Click ``button`` (``like``, ``dislike``, ``save``, ``info``, ``notforme``,
        ``unhide``) on the card ``tconst`` as the grid's JavaScript does: the click joins the
        grid's queue of unacknowledged clicks and the whole queue goes as the ``act`` trigger,
        in a rerun of the fragment the grid was drawn in."""
        found = self.page.grid_of(tconst)
        if found is None:
            raise ProtocolError(f"no card {tconst} on the page")
        grid, card = found
        if button not in card_buttons(grid_data(grid), card):
            raise ProtocolError(f"the card {tconst} has no {button} button")
        key = user_key(grid.id) or grid.id
        queue = self._acknowledged(key, grid)
        queue.append({"seq": next(self._seq), "button": button, "tconst": tconst})
        value = {"instance": self.instance, "clicks": list(queue)}
        trigger = WidgetState(
            id=_make_trigger_id(grid.id, "events"),
            json_trigger_value=json.dumps([{"event": GRID_EVENT, "value": value}]),
        )
        page = self.rerun([trigger], self.page.fragment_of_widget(grid.id))
        for shown in page.grids():  # the redraw's ack empties the queue, as in the browser
            if user_key(shown.id) == key:
                self._acknowledged(key, shown)
        return page

    def unacknowledged(self) -> int:
        """Clicks sent that no redrawn grid has acknowledged yet (the server did not store
        them, or not yet)."""
        return sum(len(queue) for queue in self._queues.values())

    def _acknowledged(self, key: str, grid: Any) -> list[dict[str, Any]]:
        """The grid ``key``'s queue without the clicks ``grid``'s data acknowledges."""
        ack = grid_data(grid).get("ack") or {}
        done = ack.get("seq", 0) if ack.get("instance") == self.instance else 0
        queue = [c for c in self._queues.get(key, []) if c["seq"] > done]
        self._queues[key] = queue
        return queue

    def _read_until_finished(self) -> Page:
        deadline = time.monotonic() + self.timeout
        page = Page(page_script_hash=self.page.page_script_hash)
        running: set[str] = set()  # the fragments this run reruns (empty: a full run)
        fresh: set[tuple[int, ...]] = set()  # delta paths sent by this run
        deltas = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f} s")
            try:
                data = self.ws.recv(timeout=left)
            except TimeoutError as exc:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f} s") from exc
            except Exception as exc:
                raise ProtocolError(f"connection lost: {exc!r}") from exc
            if isinstance(data, str):
                continue
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                # a (re)run starts: the browser clears stale elements at its end. A fragment
                # run (``metadata.run.fragment_ids``) also starts with new_session, but leaves
                # the rest of the screen as it is: its deltas are merged into it.
                running = set(fwd.metadata.run.fragment_ids)
                fresh = set()
                runs = page.runs + 1
                if running:
                    page = self.page.merged()
                else:
                    page = Page(page_script_hash=fwd.new_session.page_script_hash)
                page.runs = runs
                page.fragment_ids = tuple(fwd.metadata.run.fragment_ids)
            elif kind == "delta":
                path = tuple(fwd.metadata.delta_path)
                delta = fwd.delta
                which = delta.WhichOneof("type")
                deltas += 1
                if which in ("new_element", "add_block"):
                    fresh.add(path)
                    page.fragment_of[path] = delta.fragment_id
                if which == "new_element":
                    page.elements[path] = delta.new_element
                    page.blocks.pop(path, None)
                elif which == "add_block":
                    page.blocks[path] = delta.add_block
                    page.elements.pop(path, None)
            elif kind == "script_finished":
                page.status = fwd.script_finished
                if fwd.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    page.drop_stale(running, fresh)
                if fwd.script_finished in FINAL_STATUSES:
                    page.deltas = deltas
                    self.page = page
                    return page
            elif kind == "ref_hash":  # only if the client claimed cached messages: never here
                raise ProtocolError("unexpected ref_hash message")

    # -- browser behaviour ---------------------------------------------------------------
    def _redeem(self, via: str, code: str, name: str) -> None:
        """Play the browser's POST to serve.py's cookie route and keep what it sets."""
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{via}",
            method="POST",
            headers={"X-Marquee-Cookie": code, "Sec-Fetch-Site": "same-origin"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as reply:
            for header in reply.headers.get_all("Set-Cookie") or []:
                value = _set_cookie_value(header, name)
                if value:
                    self.cookies[name] = value
                elif value == "":
                    self.cookies.pop(name, None)

    def acknowledge_cookie(self) -> bool:
        """Play the cookie writer's JavaScript: keep the cookie, report the nonce. True if
        there was something to do (one more run, as the browser's setStateValue causes)."""
        for comp in self.page.of_type("bidi_component"):
            if user_key(comp.id) != COOKIE_WRITER_KEY:
                continue
            try:
                data = json.loads(comp.json or "null")
            except ValueError:
                data = None
            if not isinstance(data, dict) or not data.get("nonce"):
                return False
            if data.get("via"):  # serve.py: the route's answer sets it (HttpOnly)
                self._redeem(str(data["via"]), str(data["code"]), str(data["name"]))
            elif data.get("op") == "set":
                self.cookies[str(data["name"])] = str(data["value"])
            else:
                self.cookies.pop(str(data.get("name")), None)
            self.rerun([WidgetState(id=comp.id, json_value=json.dumps({"done": data["nonce"]}))])
            return True
        return False


def _set_cookie_value(header: str, name: str) -> str | None:
    """The value a ``Set-Cookie`` header gives ``name`` ("" when it deletes it), else None."""
    first = header.split(";", 1)[0]
    key, _, value = first.partition("=")
    if key.strip() != name:
        return None
    return "" if "max-age=0" in header.lower() else value.strip().strip('"')


def click(button: Any) -> WidgetState:
    return WidgetState(id=button.id, trigger_value=True)


# ------------------------------------------------------------------------------ the card grids
# ------------------------------------------------------------------------------ a visitor
def choices_shown(page: Page) -> dict[str, bool | None]:
    """Each card with a Like button (``like_<tconst>``), in page order, and the choice it
    shows: True ("Liked"), False ("Disliked") or None."""
    shown: dict[str, bool | None] = {}
    for grid in page.grids():
        data = grid_data(grid)
        for card in data["cards"]:
            if "like" in card_buttons(data, card):
                choice = card.get("choice")
                shown[card["tconst"]] = choice if isinstance(choice, bool) else None
    return shown


def cards(page: Page) -> list[str]:
    """The tconsts of the cards on the page with a Like button, in page order."""
    return list(choices_shown(page))


def choice_shown(page: Page, tconst: str) -> bool | None:
    """The choice the card ``tconst`` shows ("Liked": True, "Disliked": False), else None."""
    return choices_shown(page).get(tconst)


def log_in(client: StreamlitClient, username: str, password: str) -> Page:
    """Fill the library's log-in form (key ``login_form``) and submit it."""
    page = client.page
    submit = next(
        (b for b in page.of_type("button") if b.is_form_submitter and b.label == "Log in"), None
    )
    if submit is None:
        raise ProtocolError("no log-in form on the page")
    inputs = {t.label: t for t in page.of_type("text_input") if t.form_id == submit.form_id}
    if "Username" not in inputs or "Password" not in inputs:
        raise ProtocolError(f"log-in form inputs not found: {sorted(inputs)}")
    return client.rerun(
        [
            WidgetState(id=inputs["Username"].id, string_value=username),
            WidgetState(id=inputs["Password"].id, string_value=password),
            click(submit),
        ]
    )


class WsSession(Visitor):
    """One simulated visitor over the websocket: log in, open Home, like/dislike until the
    deadline (the same walk as ``load.Session``)."""

    def __init__(
        self,
        port: int,
        user: dict[str, Any],
        others: list[dict[str, Any]],
        deadline: float,
        seed: int,
        timeout: float,
        *,
        password: str,
        refresh_every: int = 8,
        revisit_share: float = 0.33,
        max_actions: int = 5_000,
        min_clicks: int = 0,
        cookies: dict[str, str] | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(user, others, deadline, seed, timeout, min_clicks)
        self.port = port
        self.cookies = dict(cookies or {})  # e.g. the front's sticky cookie
        self.source = source  # this visitor's own loopback address
        self.password = password
        self.refresh_every = refresh_every
        self.revisit_share = revisit_share
        self.max_actions = max_actions

    def _check(self, page: Page, where: str) -> None:
        """The page shows this user's account and this user's choices, nobody else's."""
        r = self.result
        problems = page.exceptions()
        if problems:
            r.errors.append(f"{where}: {problems[0]}"[:500])
            return
        texts = " ".join(page.texts())
        r.check_page(
            where,
            account=texts,
            text=texts,
            shown=choices_shown(page),
            others=self.others,
        )

    def run(self, initial: dict[str, bool]) -> SessionResult:
        r = self.result
        r.intended = dict(initial)
        client: StreamlitClient | None = None
        try:
            client = StreamlitClient(
                self.port, self.timeout, cookies=self.cookies, source=self.source
            )
            client.rerun()  # open "/": the gate sends a visitor to /login
            t0 = time.perf_counter()
            page = log_in(client, r.username, self.password)  # -> st.switch_page -> Home
            r.login_ms.append((time.perf_counter() - t0) * 1000)
            if page.widget("button", "home_refresh") is None:
                shown = " | ".join(page.texts())[:300]
                r.errors.append(f"log-in did not reach Home: {page.exceptions()} {shown}")
                return r
            r.logged_in = True
            r.cookie_set = client.acknowledge_cookie()
            page = client.page
            self._check(page, "home")
            actions = 0
            while (
                time.monotonic() < self.deadline or actions < self.min_clicks
            ) and actions < self.max_actions:
                on_page = choices_shown(page)
                picked = r.pick(self.rng, list(on_page), self.revisit_share, on_page.get)
                if picked is None:
                    break
                tconst, action, after = picked
                t0 = time.perf_counter()
                page = client.click_card(action, tconst)
                r.clicked(tconst, after, (time.perf_counter() - t0) * 1000)
                actions += 1
                self._check(page, f"click {actions}")
                if client.unacknowledged():
                    r.errors.append(f"click {actions}: the redrawn grid did not acknowledge it")
                if page.exceptions():
                    break
                if actions % self.refresh_every == 0 and time.monotonic() < self.deadline:
                    refresh = page.widget("button", "home_refresh")
                    t0 = time.perf_counter()
                    page = client.click(refresh)  # the lists' fragment, as the browser asks
                    r.home_ms.append((time.perf_counter() - t0) * 1000)
                    self._check(page, f"new picks after {actions}")
                    if page.exceptions():
                        break
            if not page.exceptions():  # the "Your ratings" dialog counts this user's choices
                page = client.click(page.widget("button", "home_ratings"))
                self._check(page, "your ratings")
            if r.cookie_set and not r.errors:
                self._reconnect(client.cookies)
        except Exception as exc:  # the driver itself failed: report, never hang
            r.errors.append(f"ws driver: {exc!r} {traceback.format_exc(limit=3)}"[:1000])
        finally:
            if client is not None:
                client.close()
        return r

    def _reconnect(self, cookies: dict[str, str]) -> None:
        """A reload: a new connection with the cookie the app had the browser store must
        land on Home, logged in as this user, with this user's choices (not timed)."""
        client = StreamlitClient(self.port, self.timeout, cookies=cookies, source=self.source)
        try:
            page = client.rerun()
            if page.widget("button", "home_refresh") is None:
                self.result.errors.append("reconnect with the cookie did not restore the log-in")
                return
            self._check(page, "reconnect")
        finally:
            client.close()


def warm_up(port: int, timeout: float) -> float:
    """One visit to "/" so the server loads the engine before the clock starts; seconds."""
    t0 = time.perf_counter()
    client = StreamlitClient(port, timeout)
    try:
        page = client.rerun()
        if page.exceptions():
            raise RuntimeError(f"the app failed on its first run: {page.exceptions()[0]}")
    finally:
        client.close()
    return time.perf_counter() - t0
