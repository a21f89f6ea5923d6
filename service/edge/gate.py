"""The right before the body: every write route is refused before a byte of its body is read (README "Security").

One ASGI middleware, outside every other that reads or bounds a body (``edge.limits``, ``edge.bodylimit``): for a
POST, PUT, PATCH or DELETE it finds the route the path leads to, signs the caller in from the token or the session
cookie alone, and asks the route's right in ``RIGHTS`` — from the path and the actor, nothing else. A refusal (401,
403, 404) is answered at once, as problem+json or the Thai page (audited as every refusal is), and the body is
never read: someone without the right cannot make the server buffer, stage or parse anything. The route asks the
full right again once the body says what the act is about (the letter's secrecy, the registry of a draft …).

What the gate established is kept in ``request.state`` (``deps.SignedIn``): the route's dependencies take the caller
from there instead of signing in again, and the receive routes take the receipt's early right as asked here
(:func:`require_receipt`): one early check per request, before the body.

Every write route has an entry (``tests/web/test_write_gate.py`` walks them all); a route without one is refused,
so a new route cannot be forgotten into reading bodies for everyone. ``None``: no right to check (signing in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from service.access.policy import Action, LoanTarget, require, require_could
from service.access.rule import Actor
from service.context import Saraban
from service.edge.deps import GATE_STATE, Page, SignedIn, app_of, bearer_actor, page_user, signed_in_at_gate
from service.edge.errors import saraban_error_handler
from service.kit.errors import Forbidden, SarabanError
from service.kit.fields import DB_INT_MAX
from service.procedures.cases import precheck_case, precheck_opener, precheck_register_keeper
from service.receiving.flow import check_may_receive, check_may_receive_known
from service.routing.core import precheck_route

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Check = Callable[[Saraban, Actor, Mapping[str, str]], None]


def could(*actions: Action) -> Check:
    """The actor may do one of these acts to something (``policy.could``): their roles allow it at all."""

    def check(_app: Saraban, actor: Actor, _params: Mapping[str, str]) -> None:
        refusal: Forbidden | None = None
        for action in actions:
            try:
                require_could(actor, action)
                return
            except Forbidden as exc:
                refusal = refusal or exc
        assert refusal is not None
        raise refusal

    return check


def signed_in(_app: Saraban, _actor: Actor, _params: Mapping[str, str]) -> None:
    """Anyone signed in (their own password, their own token)."""


def _id(params: Mapping[str, str], name: str) -> int | None:
    """A path id as the database holds it; None for anything else (the route's own validation answers 422)."""
    text = params.get(name, "")
    return int(text) if text.isdigit() and len(text) <= 10 and int(text) <= DB_INT_MAX else None


def _receipt(app: Saraban, actor: Actor, params: Mapping[str, str]) -> None:
    registry_id = _id(params, "registry_id")
    if registry_id is not None:
        check_may_receive(app, actor=actor, registry_id=registry_id)  # keeps the registry for _receipt_known
    else:
        could(Action.REGISTER)(app, actor, params)


def _receipt_known(app: Saraban, actor: Actor, params: Mapping[str, str]) -> bool:
    """The receipt's check without a thread or a transaction when this process read the registry within the last
    second (``check_may_receive_known``: the actor's rights are checked anew; it raises as the full check does)."""
    registry_id = _id(params, "registry_id")
    return registry_id is not None and check_may_receive_known(app, actor=actor, registry_id=registry_id)


def _route_step(app: Saraban, actor: Actor, params: Mapping[str, str]) -> None:
    route_id = _id(params, "route_id")
    if route_id is not None:
        with app.tx(readonly=True) as uow:
            precheck_route(uow.session, actor, route_id, recall=params.get("step") == "recall")


def _route_recall(app: Saraban, actor: Actor, params: Mapping[str, str]) -> None:
    _route_step(app, actor, {**params, "step": "recall"})


def _case(app: Saraban, actor: Actor, params: Mapping[str, str]) -> None:
    """The case first (a case one may not see does not exist: 404, as the route answers), then the work on it."""
    case_id = _id(params, "case_id")
    if case_id is not None:
        with app.tx(readonly=True) as uow:
            precheck_case(uow.session, actor, case_id)


def _opener(_app: Saraban, actor: Actor, _params: Mapping[str, str]) -> None:
    precheck_opener(actor)


def _register_keeper(app: Saraban, actor: Actor, _params: Mapping[str, str]) -> None:
    with app.tx(readonly=True) as uow:
        precheck_register_keeper(uow.session, actor)


def _loan_decision(app: Saraban, actor: Actor, _params: Mapping[str, str]) -> None:
    require(actor, Action.APPROVE_LOAN, LoanTarget(approvers=app.settings.loan_approver_roles))


def _loan_step(app: Saraban, actor: Actor, params: Mapping[str, str]) -> None:
    if params.get("step") in ("approve", "refuse"):
        _loan_decision(app, actor, params)
    else:
        could(Action.LEND)(app, actor, params)


A = Action
RIGHTS: dict[str, Check | None] = {
    # signing in and out, one's own password
    "POST /api/v1/auth/token": None,
    "POST /api/v1/auth/revoke": signed_in,
    "POST /api/v1/auth/password": signed_in,
    "POST /login": None,
    "POST /logout": None,
    "POST /password": signed_in,
    # registers: receiving, corrections
    "POST /api/v1/registries/{registry_id}/receive": _receipt,
    "POST /registers/{registry_id}/receive": _receipt,
    "PATCH /api/v1/registrations/{registration_id}": could(A.CORRECT_REGISTRATION),
    "POST /api/v1/registrations/{registration_id}/cancel": could(A.CANCEL_REGISTRATION),
    "POST /registrations/{registration_id}/correct": could(A.CORRECT_REGISTRATION),
    "POST /registrations/{registration_id}/cancel": could(A.CANCEL_REGISTRATION),
    # the journey
    "POST /api/v1/letters/{letter_id}/routes": could(A.ROUTE),
    "POST /letters/{letter_id}/routes": could(A.ROUTE),
    "POST /api/v1/routes/{route_id}/register": _route_step,
    "POST /api/v1/routes/{route_id}/acknowledge": _route_step,
    "POST /api/v1/routes/{route_id}/return": _route_step,
    "POST /api/v1/routes/{route_id}/complete": _route_step,
    "POST /api/v1/routes/{route_id}/recall": _route_recall,
    "POST /api/v1/routes/{route_id}/forward": _route_step,
    "POST /routes/{route_id}/{step}": _route_step,
    "POST /api/v1/letters/{letter_id}/instructions": could(A.INSTRUCT),
    "POST /letters/{letter_id}/instructions": could(A.INSTRUCT),
    # the archive
    "PATCH /api/v1/retention-classes/{class_id}": could(A.MANAGE_FILE_PLAN),
    "POST /api/v1/file-codes": could(A.MANAGE_FILE_PLAN),
    "POST /api/v1/archive/files": could(A.FILE_LETTERS),
    "POST /archive/file": could(A.FILE_LETTERS),
    "PATCH /api/v1/archive/items/{item_id}": could(A.FILE_LETTERS),
    "POST /archive/items/{item_id}/class": could(A.FILE_LETTERS),
    "POST /api/v1/archive/items/{item_id}/holds": could(A.LEGAL_HOLD),
    "POST /archive/items/{item_id}/holds": could(A.LEGAL_HOLD),
    "DELETE /api/v1/archive/holds/{hold_id}": could(A.LEGAL_HOLD),
    "POST /archive/holds/{hold_id}/release": could(A.LEGAL_HOLD),
    "POST /api/v1/archive/destruction-lists": could(A.PREPARE_DESTRUCTION),
    "POST /archive/destruction": could(A.PREPARE_DESTRUCTION),
    "POST /api/v1/archive/destruction-lists/{list_id}/committee": could(A.PREPARE_DESTRUCTION),
    "POST /archive/destruction/{list_id}/committee": could(A.PREPARE_DESTRUCTION),
    "POST /api/v1/archive/destruction-lists/{list_id}/decisions": could(A.PREPARE_DESTRUCTION),
    "POST /archive/destruction/{list_id}/decisions": could(A.PREPARE_DESTRUCTION),
    "POST /api/v1/archive/destruction-lists/{list_id}/approve": could(A.APPROVE_DESTRUCTION),
    "POST /archive/destruction/{list_id}/approve": could(A.APPROVE_DESTRUCTION),
    "POST /api/v1/archive/destruction-lists/{list_id}/archives-notified": could(A.PREPARE_DESTRUCTION),
    "POST /archive/destruction/{list_id}/archives": could(A.PREPARE_DESTRUCTION),
    "POST /api/v1/archive/destruction-lists/{list_id}/execute": could(A.EXECUTE_DESTRUCTION),
    "POST /archive/destruction/{list_id}/execute": could(A.EXECUTE_DESTRUCTION),
    "POST /api/v1/archive/items/{item_id}/loans": could(A.REQUEST_LOAN),
    "POST /archive/items/{item_id}/loans": could(A.REQUEST_LOAN),
    "POST /api/v1/archive/items/{item_id}/outsider-access": could(A.LEND),
    "POST /archive/items/{item_id}/outsider": could(A.LEND),
    "POST /api/v1/archive/loans/{loan_id}/approve": _loan_decision,
    "POST /api/v1/archive/loans/{loan_id}/refuse": _loan_decision,
    "POST /api/v1/archive/loans/{loan_id}/hand-out": could(A.LEND),
    "POST /api/v1/archive/loans/{loan_id}/return": could(A.LEND),
    "POST /archive/loans/{loan_id}/{step}": _loan_step,
    "POST /api/v1/archive/transfer-lists": could(A.TRANSFER),
    "POST /archive/transfer": could(A.TRANSFER),
    # sending
    "POST /api/v1/outgoing": could(A.ISSUE),
    "POST /outgoing/new": could(A.ISSUE),
    "POST /api/v1/outgoing/{letter_id}/files": could(A.ISSUE),
    "POST /outgoing/{letter_id}/files": could(A.ISSUE),
    "POST /api/v1/outgoing/{letter_id}/issue": could(A.ISSUE),
    "POST /outgoing/{letter_id}/issue": could(A.ISSUE),
    "POST /api/v1/outgoing/{letter_id}/send": could(A.ISSUE),
    "POST /outgoing/{letter_id}/send": could(A.ISSUE),
    "POST /api/v1/registries/{registry_id}/reservations": could(A.ISSUE),
    "POST /registers/{registry_id}/reservations": could(A.ISSUE),
    "POST /api/v1/registries/{registry_id}/numbers/{number}/cancel": could(A.ISSUE),
    "POST /registers/{registry_id}/numbers/{number}/cancel": could(A.ISSUE),
    "POST /api/v1/deliveries/{delivery_id}/register": could(A.REGISTER),
    "POST /deliveries/{delivery_id}/register": could(A.REGISTER),
    "POST /api/v1/deliveries/{delivery_id}/return": could(A.REGISTER),
    "POST /deliveries/{delivery_id}/return": could(A.REGISTER),
    # accounts, units, registries, the two-person rule
    "POST /api/v1/users": could(A.MANAGE_USERS),
    "POST /admin/users": could(A.MANAGE_USERS),
    "POST /api/v1/users/{user_id}/password": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/password": could(A.MANAGE_USERS),
    "PATCH /api/v1/users/{user_id}": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/edit": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/deactivate": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/reactivate": could(A.MANAGE_USERS),
    "POST /api/v1/users/{user_id}/unlock": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/unlock": could(A.MANAGE_USERS),
    "POST /api/v1/users/{user_id}/roles": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/roles": could(A.MANAGE_USERS),
    "DELETE /api/v1/users/{user_id}/roles/{membership_id}": could(A.MANAGE_USERS),
    "POST /admin/users/{user_id}/roles/{membership_id}/remove": could(A.MANAGE_USERS),
    "POST /api/v1/grant-requests/{request_id}/approve": could(A.APPROVE_SECRET_GRANT),
    "POST /api/v1/grant-requests/{request_id}/refuse": could(A.APPROVE_SECRET_GRANT),
    "POST /grants/{request_id}/{verdict}": could(A.APPROVE_SECRET_GRANT),
    "POST /api/v1/units": could(A.MANAGE_UNITS),
    "POST /admin/units": could(A.MANAGE_UNITS),
    "PUT /api/v1/units/{unit_id}": could(A.MANAGE_UNITS),
    "POST /admin/units/{unit_id}": could(A.MANAGE_UNITS),
    "POST /api/v1/registries": could(A.MANAGE_REGISTRIES),
    "POST /admin/registries": could(A.MANAGE_REGISTRIES),
    "PATCH /api/v1/registries/{registry_id}": could(A.MANAGE_REGISTRIES),
    "POST /admin/registries/{registry_id}/rename": could(A.MANAGE_REGISTRIES),
    "POST /api/v1/registries/{registry_id}/close-year": could(A.MANAGE_REGISTRIES),
    "POST /admin/registries/{registry_id}/close": could(A.MANAGE_REGISTRIES),
    # work processes
    "POST /api/v1/cases": _opener,
    "POST /procedures/{procedure_id}/cases": _opener,
    "POST /api/v1/cases/{case_id}/steps/{step_id}/letters": _case,
    "POST /cases/{case_id}/steps/{step_id}/letters": _case,
    "POST /api/v1/cases/{case_id}/steps/{step_id}/done": _case,
    "POST /cases/{case_id}/steps/{step_id}/done": _case,
    "POST /api/v1/cases/{case_id}/steps/{step_id}/issue": _case,
    "POST /cases/{case_id}/steps/{step_id}/issue": _case,
    "POST /api/v1/procedure-registers/{register}": _register_keeper,
    "POST /api/v1/procedure-registers/{register}/import": _register_keeper,
    "POST /procedure-registers/{register}/import": _register_keeper,
    "POST /admin/procedures/import": could(A.MANAGE_PROCEDURES),
}


def _no_rule(_app: Saraban, _actor: Actor, _params: Mapping[str, str]) -> None:
    raise Forbidden("this route names no right (service.edge.gate.RIGHTS)", thai="ท่านไม่มีสิทธิ์ทำรายการนี้")


# Checks that can often answer from what this process already knows, on the event loop (a registration is the hot
# path: without this every one paid a thread hop and a transaction here, and again in its route): True means the
# right holds; False means "not known", and the full check runs.
QUICK: dict[Check, Callable[[Saraban, Actor, Mapping[str, str]], bool]] = {_receipt: _receipt_known}


class WriteGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        found = _route_of(scope)
        if found is None:  # 404 or 405: answered by the router without reading the body
            await self.app(scope, receive, send)
            return
        key, params = found
        check = RIGHTS.get(key, _no_rule)
        if check is None:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # shared with the route's request: what is signed in here stays
        request = Request({**scope, "path_params": params})
        try:
            page: Page | None = None
            if scope["path"].startswith("/api/"):
                actor = await bearer_actor(request)
            else:
                page = await run_in_threadpool(page_user, request)
                actor = page.actor
            app = app_of(request)
            quick = QUICK.get(check)
            if quick is None or not quick(app, actor, params):
                await run_in_threadpool(check, app, actor, params)
        except SarabanError as exc:
            # the gate looks at no letter: its refusal names none in the trail, so it reads the same to an auditor
            # whether the path's id is a secret letter or nothing (finding 11)
            request.state.refused_at_gate = True
            response = await saraban_error_handler(request, exc)
            response.headers["connection"] = "close"  # the unread body is not waited for
            await response(scope, receive, send)
            return
        # the route takes the caller from here (``deps.bearer_actor``, ``deps.current_page``) and, where it asks
        # the same right, the answer too (``require_receipt``)
        state[GATE_STATE] = SignedIn(actor, page, check, params)
        await self.app(scope, receive, send)


async def require_receipt(request: Request, *, actor: Actor, registry_id: int) -> None:
    """The receipt's right, before the route reads a byte of the body: already asked by the gate for this request,
    this actor and this registry (the one early check; nothing to do), else asked now (an app without the gate)."""
    gate = signed_in_at_gate(request)
    if (
        gate is not None
        and gate.check is _receipt
        and gate.actor is actor
        and gate.params.get("registry_id") == str(registry_id)
    ):
        return
    app = app_of(request)
    if not check_may_receive_known(app, actor=actor, registry_id=registry_id):
        await run_in_threadpool(check_may_receive, app, actor=actor, registry_id=registry_id)


def _leaves(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The app's routes in matching order, into the routers it includes (FastAPI wraps each in an object that
    holds the original router)."""
    out: list[BaseRoute] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _leaves(inner.routes) if inner is not None else [route]
    return out


ROUTE_CACHE_SIZE = 4096
"""Paths whose route the gate remembers (per app); the whole cache is dropped when full."""


def _route_of(scope: Scope) -> tuple[str, dict[str, str]] | None:
    """``"METHOD /path/{template}"`` and the path parameters (as text) of the route a request leads to.

    Remembered per method and path (a clerk posts to the same few paths all day): walking the app's routes cost
    a registration more than the right itself."""
    app = scope["app"]
    state = app.state
    cache: dict[tuple[str, str, str], tuple[str, dict[str, str]] | None] | None = getattr(
        state, "write_gate_paths", None
    )
    if cache is None:
        cache = state.write_gate_paths = {}
    where = (scope["method"], scope.get("root_path", ""), scope["path"])
    if where in cache:
        found = cache[where]
        return None if found is None else (found[0], dict(found[1]))
    found = _find_route(scope)
    if len(cache) >= ROUTE_CACHE_SIZE:
        cache.clear()
    cache[where] = found
    return None if found is None else (found[0], dict(found[1]))


def _find_route(scope: Scope) -> tuple[str, dict[str, str]] | None:
    app = scope["app"]
    leaves: list[BaseRoute] | None = getattr(app.state, "write_gate_routes", None)
    if leaves is None:
        leaves = _leaves(app.router.routes)
        app.state.write_gate_routes = leaves
    for route in leaves:
        match, child = route.matches(scope)
        if match is Match.FULL:
            if not isinstance(route, APIRoute):  # static files, the docs: no body is read there
                return None
            path = route.path
            params = {k: str(v) for k, v in child.get("path_params", {}).items()}
            return f"{scope['method']} {path}", params
    return None
