"""Property test over every input model and parser (issue 10): whatever arrives — control characters, huge
integers, deep nesting, odd dates, wrong types — the answer is a valid model or a clean validation error, never
another exception; and what is accepted is within the limits."""

from __future__ import annotations

import importlib
import inspect
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from service.kit.errors import InvalidInput
from service.kit.fields import InputError, check_json_shape, load_json
from service.kit.thai import DateError, in_range, parse_date, parse_date_range, parse_datetime
from service.letters.input import LetterIn, parse_letter_meta
from service.outgoing.input import parse_outgoing

MODULES = (
    "service.archive.api",
    "service.auth.api",
    "service.outgoing.api",
    "service.routing.api",
    "service.users.api",
    "service.letters.input",
    "service.outgoing.input",
)


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in MODULES:
        for value in vars(importlib.import_module(name)).values():
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == name:
                found[f"{name}.{value.__name__}"] = value
    return [found[k] for k in sorted(found)]


MODELS = _models()

_nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("\x00\x01\x1f\x7f\x85\u200b\u202e\ud800ก๑ ./-:T\n\t"), max_size=20),
    st.sampled_from(
        [
            "9999-12-31",
            "9999-12-31T23:59:59",
            "0000-01-01",
            "0001-01-01T00:00:00",
            "1/1/200",
            "31/2/2568",
            "๓๑ ก.พ. ๒๕๖๘",
            "23 มี.ค. 2565",
            "2565-03-23",
            "1/1/2400",
            "2569-12-31T10:00:00+07:00",
            "1" * 5001,
            "ปกติ",
            "ด่วนที่สุด",
            "ลับ",
            "paper",
        ]
    ),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**31 - 2, max_value=2**70),
    st.builds(lambda: 10**5000),  # a 5,001-digit integer (built: its repr is refused)
    st.floats(allow_nan=True, allow_infinity=True),
    _nasty_text,
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _documents(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    names = list(model.model_fields) + [f.alias for f in model.model_fields.values() if f.alias]
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=6), _values | st.just(_deep(200)), max_size=8)


_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@_SETTINGS
@given(data=st.data())
def test_model_validates_or_refuses_cleanly(model: type[BaseModel], data: st.DataObject) -> None:
    document = data.draw(_documents(model))
    try:
        instance = model.model_validate(document)
    except ValidationError:
        return
    _within_limits(instance)


def _within_limits(value: Any) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _within_limits(getattr(value, name))
    elif isinstance(value, list):
        for v in value:
            _within_limits(v)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        assert -(2**31) <= value <= 2**31 - 1, value
    elif isinstance(value, datetime | date):
        assert in_range(value), value


@_SETTINGS
@given(document=_values)
def test_letter_meta_parses_or_refuses_cleanly(document: Any) -> None:
    try:
        letter = parse_letter_meta(document if isinstance(document, dict) else {"sender": "ส", "subject": document})
    except InvalidInput as exc:
        assert exc.thai
        return
    assert isinstance(letter, LetterIn)
    for text in (letter.subject, letter.sender, letter.letter_no, letter.recipient):
        assert "\x00" not in text
    _within_limits(letter)


@_SETTINGS
@given(document=_values)
def test_outgoing_parses_or_refuses_cleanly(document: Any) -> None:
    try:
        parse_outgoing(document)
    except InvalidInput as exc:
        assert exc.thai


@_SETTINGS
@given(text=_nasty_text)
def test_dates_parse_or_refuse_cleanly(text: str) -> None:
    for parse in (parse_date, parse_datetime, parse_date_range):
        try:
            result = parse(text)
        except DateError as exc:
            assert exc.thai
            continue
        for value in result if isinstance(result, tuple) else (result,):
            assert value is None or in_range(value)


@_SETTINGS
@given(
    raw=st.one_of(
        st.text(max_size=50),
        st.binary(max_size=50),
        st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n),
        st.integers(min_value=1, max_value=3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
        st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
    )
)
def test_json_loads_or_refuses_cleanly(raw: str | bytes) -> None:
    try:
        check_json_shape(raw)
        load_json(raw)
    except InputError as exc:
        assert exc.thai
