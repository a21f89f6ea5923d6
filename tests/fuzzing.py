"""Schemathesis over the whole OpenAPI, in process: the harness shared by the test suite (a short run) and
``bench/fuzz.py`` (a long one).

Every operation gets positive and negative cases (Hypothesis, derandomised: the same seed gives the same cases) sent
as a signed-in clerk; each response is checked for a server error and for conformance to the documented status
codes, content types, headers and response schemas. A finding is one (operation, check) pair with the first case
that showed it, as a curl command, so the run can be read without re-running it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.kit.publicids import PublicIds

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


#: operations that end the fuzzer's own session (revoking its token, changing or resetting a password): each is
#: covered by its own tests, and would turn the rest of a run into 401s
SESSION_ENDING = ("POST /api/v1/auth/revoke", "POST /api/v1/auth/password", "POST /api/v1/users/{user_id}/password")


@dataclass
class Report:
    cases: int = 0
    operations: int = 0
    server_errors: int = 0
    findings: dict[tuple[str, str], str] = field(default_factory=dict)  # (operation, check) -> first example
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{op} [{check}]: {example}" for (op, check), example in sorted(self.findings.items())]


def _failure_name(exc: BaseException) -> Iterable[tuple[str, str]]:
    """(check title, message) for each failure a ``validate_response`` raised (one, or a group)."""
    inner = getattr(exc, "exceptions", None)
    if inner:
        for e in inner:
            yield from _failure_name(e)
        return
    text = " ".join(str(exc).split())
    yield (str(getattr(exc, "title", type(exc).__name__)), text[:300])


def run(
    app: Any,
    headers: dict[str, str],
    *,
    seconds: float,
    examples: int = 25,
    seed: int = 10,
    skip: Callable[[str], bool] = lambda label: label in SESSION_ENDING,
) -> Report:
    """Fuzz every operation of ``app`` (an ASGI app) as the holder of ``headers`` for about ``seconds`` seconds.

    Operations are visited in schema order, positive cases then negative ones, each with at most ``examples``
    cases; the time budget is shared evenly over what is left, and each operation and mode gets at least one case
    however slow the machine, so how much is covered does not depend on its speed (the run may take longer).
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.seed = seed
    operations = [cast(Any, r).ok() for r in schema.get_all_operations()]  # an invalid schema raises
    operations = [op for op in operations if not skip(op.label)]
    report = Report(operations=len(operations))
    start = time.monotonic()
    plan = [(op, mode) for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    for index, (op, mode) in enumerate(plan):
        left = max(0.0, seconds - (time.monotonic() - start))
        until = time.monotonic() + left / (len(plan) - index)
        near = functools.partial(_near_ids, codec=_codec_of(app))
        # past the budget (a slow or busy machine) every operation and mode still gets its one case
        count = examples if left > 0 else 1
        one = _runner(op, op.as_strategy(generation_mode=mode).map(near), until, headers, report, count)

        try:
            one()
        except Unsatisfiable:
            pass
        except Exception as exc:  # a generation problem is reported, not fatal for the run
            report.findings.setdefault((op.label, "generation"), f"{type(exc).__name__}: {exc}"[:500])
    report.seconds = time.monotonic() - start
    return report


def _codec_of(app: Any) -> PublicIds | None:
    saraban = getattr(getattr(app, "state", None), "saraban", None)
    return saraban.public_ids if saraban is not None else None


def _near_ids(case: Any, codec: PublicIds | None = None) -> Any:
    """Point half the integer path ids at rows the demo office and earlier cases made (1–8), so cases reach past
    404 into the operations' work; the other half keep what was generated (edges such as 2^31−1). Letters and
    attachments are named by their public ids."""
    params = getattr(case, "path_parameters", None)
    if params:
        for name, value in params.items():
            if isinstance(value, int) and not isinstance(value, bool) and value > 8 and value % 2 == 0:
                near = value % 8 + 1
                if codec is not None and name in ("letter_id", "attachment_id"):
                    near = (codec.letters if name == "letter_id" else codec.attachments).encode(near)
                params[name] = near
    return case


def _runner(op: Any, strategy: Any, until: float, headers: dict[str, str], report: Report, examples: int) -> Any:
    ran = [0]

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def one(case: Any) -> None:
        if ran[0] and time.monotonic() > until:  # the first case always runs
            return
        ran[0] += 1
        report.cases += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised instead of answering: a server error
            report.server_errors += 1
            key = (op.label, "server exception")
            if key not in report.findings:
                report.findings[key] = f"{type(exc).__name__}: {exc} :: {case.as_curl_command(headers=headers)}"[:1500]
            return
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            report.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # a check failed (a FailureGroup): record it, keep going
            for title, message in _failure_name(exc):
                key = (op.label, title)
                if key not in report.findings:
                    report.findings[key] = f"{message} :: {case.as_curl_command(headers=headers)}"[:1500]

    return one
