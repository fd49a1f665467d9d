"""Validate a located document against a pydantic model, with located errors.

Pydantic reports error locations as tuples of field names and indexes; this module maps
each onto the document's source positions and turns the error into a :class:`Problem`
saying what was expected and what was found. Field names in error paths are the YAML
(alias) names the user wrote. Imports no other govcloud package.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, PydanticCustomError

from tenants.errors import ManifestError, Problem, format_path
from tenants.located import LocatedDocument, Path

__all__ = [
    "SharedValues",
    "StrictModel",
    "ValueModel",
    "parse_model",
    "problems_from_validation",
    "schema_error",
]

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every user-facing schema: unknown fields are errors, values immutable.

    Typos must never be silently ignored, so ``extra="forbid"``; camelCase aliases are
    what users write, snake_case what code reads (``alias_generator``; fields whose
    camelCase is irregular, like ``memoryGiB``, give their alias explicitly).
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
    )


class SharedValues:
    """The :class:`ValueModel` instances validated so far in one reading, by their input.

    Passed as the validation context (``parse_model(..., shared=...)``), it makes equal
    inputs of a value model — the same volume, ingress rule or backup block written in
    thousands of documents of one file — come out as one instance, validated once. Lives
    as long as the reading: nothing is shared between files.
    """

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: dict[tuple[Any, ...], BaseModel] = {}


# an input that cannot be keyed exactly (a Decimal, a date, deeper nesting): validated anew
_UNSHAREABLE: Any = object()
_TRUE: Any = object()  # True and False stand apart from 1 and 0, which they equal
_FALSE: Any = object()
# a value model's input nests at most this deep (compute group → volumes → volume → size)
_KEY_DEPTH = 3


def _input_key(value: Any, depth: int = _KEY_DEPTH) -> Any:
    """A hashable key equal for two inputs exactly when they are the same YAML: text, whole
    numbers, booleans and null, in mappings (text keys, in order) and lists up to
    ``depth`` deep; anything else (whose equal values may validate apart, as ``1.0`` and
    ``1.00`` do) is :data:`_UNSHAREABLE`. A collection's key starts with its class (a
    list's never equals a mapping's) and pairs each key or index with its item's key;
    the plain items, nearly all of them, are keyed in the loop itself."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is bool:
        return _TRUE if value else _FALSE
    if not depth or (kind is not dict and kind is not list):
        return _UNSHAREABLE
    parts: list[Any] = [kind]
    for name, item in value.items() if kind is dict else enumerate(value):
        if type(name) is not str and kind is dict:
            return _UNSHAREABLE
        item_kind = type(item)
        if item_kind is bool:
            item = _TRUE if item else _FALSE
        elif item_kind is not str and item_kind is not int and item is not None:
            item = _input_key(item, depth - 1)
            if item is _UNSHAREABLE:
                return _UNSHAREABLE
        parts.append(name)
        parts.append(item)
    return tuple(parts)


class ValueModel(StrictModel):
    """A small immutable part of a schema that the documents of a file often write alike.

    Validated with a :class:`SharedValues` context, an input equal to one already
    validated (:func:`_input_key`) gives that same instance: no validation again, and
    one object where there were thousands — each a model, its ``__dict__`` and its
    fields-set, which the cyclic collector walks at every full collection for as long
    as the requests live. An input that fails is never kept, so every error is found
    and reported as before; without the context (any other use) nothing changes.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _shared(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        shared = info.context
        if type(shared) is not SharedValues:
            return handler(data)
        key = _input_key(data)
        if key is _UNSHAREABLE:
            return handler(data)
        key = (cls, key)
        found: Self | None = shared.found.get(key)  # type: ignore[assignment]
        if found is None:
            found = shared.found[key] = handler(data)
        return found

    @classmethod
    def at_defaults(cls) -> Self:
        """The model with every field at its default, one instance for the process: the
        default factory of a block that documents may leave out."""
        found: Self | None = _AT_DEFAULTS.get(cls)  # type: ignore[assignment]
        if found is None:
            found = _AT_DEFAULTS[cls] = cls()
        return found


_AT_DEFAULTS: dict[type[ValueModel], ValueModel] = {}


_EXPECTED_BY_TYPE: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "decimal_type": 'a decimal number written as a quoted string, e.g. "45.00"',
    "decimal_parsing": 'a decimal number, e.g. "45.00"',
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_parsing": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "datetime_parsing": "an ISO-8601 time with an offset",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


_BOUND_WORDS = {
    "ge": "at least",
    "gt": "more than",
    "le": "at most",
    "lt": "less than",
    "min_length": "at least this many items/characters:",
    "max_length": "at most this many items/characters:",
    "pattern": "text matching",
}


SCHEMA_ERROR = "govcloud_schema"


def schema_error(
    message: str,
    *,
    expected: str | None = None,
    found: str | None = None,
    at: Path = (),
    key: bool = False,
) -> PydanticCustomError:
    """An error for a validator to raise, saying what was expected and where exactly.

    Pydantic locates a validator's error at the validated field; cross-field rules (a
    duplicate name in a list, a limit above its quota) need to point deeper, so ``at`` is a
    path relative to that field, and ``key=True`` points at the key rather than the value.
    """
    context = {"message": message, "expected": expected, "found": found, "at": at, "key": key}
    return PydanticCustomError(SCHEMA_ERROR, "{message}", context)


def _clean_loc(loc: tuple[int | str, ...]) -> Path:
    """Drop pydantic's synthetic segments (union tags, validator names)."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        out.append(part)
    return tuple(out)


def _found(error: ErrorDetails) -> str | None:
    if error["type"] in ("missing", "extra_forbidden"):
        return None
    value = error.get("input")
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# pydantic's own texts name Python classes ("instance of RequestMetadata"); users wrote YAML,
# and the expected/found part of the problem already says the details
_SHORT_MESSAGE = {
    "model_type": "wrong type",
    "model_attributes_type": "wrong type",
    "dict_type": "wrong type",
    "list_type": "wrong type",
    "string_type": "wrong type",
    "int_type": "wrong type",
    "int_parsing": "wrong type",
    "int_from_float": "not a whole number",
    "bool_type": "wrong type",
    "bool_parsing": "wrong type",
    "greater_than_equal": "too small",
    "greater_than": "too small",
    "less_than_equal": "too large",
    "less_than": "too large",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind in ("literal_error", "enum"):
        return "not an allowed value"
    if kind in _SHORT_MESSAGE:
        return _SHORT_MESSAGE[kind]
    msg = error["msg"]
    # pydantic prefixes custom ValueErrors; the user needs only our text
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problems_from_validation(
    exc: ValidationError, doc: LocatedDocument, base: Path = ()
) -> list[Problem]:
    """Located problems for every error in ``exc``, relative to ``base`` in ``doc``."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = (*base, *_clean_loc(error["loc"]))
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if kind == SCHEMA_ERROR:
            path = (*path, *ctx["at"])
            location = doc.locate(path, key=ctx["key"])
            problems.append(
                Problem(location, format_path(path), ctx["message"], ctx["expected"], ctx["found"])
            )
            continue
        if kind == "missing":
            # the mapping that lacks the field is best shown by its own key
            location = doc.locate(path[:-1], key=True)
        else:
            location = doc.locate(path, key=kind == "extra_forbidden")
        expected = _EXPECTED_BY_TYPE.get(kind)
        if kind in ("literal_error", "enum") and "expected" in ctx:
            expected = f"one of {ctx['expected']}"
        elif expected is None and ctx:
            expected = ", ".join(
                f"{_BOUND_WORDS.get(k, k)} {v}" for k, v in ctx.items() if k != "error"
            )
        problems.append(
            Problem(
                location,
                format_path(path),
                _message(error),
                expected or None,
                _found(error),
            )
        )
    return problems


def _at(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def parse_model(
    model: type[M], doc: LocatedDocument, path: Path = (), *, shared: SharedValues | None = None
) -> M:
    """Validate ``doc`` (or the sub-tree at ``path``) as ``model``; errors are located.
    With ``shared``, equal value models of the reading are one instance (:class:`ValueModel`)."""
    try:
        return model.model_validate(_at(doc.data, path), context=shared)
    except ValidationError as exc:
        raise ManifestError(problems_from_validation(exc, doc, path)) from exc
