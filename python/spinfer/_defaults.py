"""The library's defaults, as the values Python signatures show.

They are read from the extension (``_native.defaults()``, built from the Rust library's
settings), not retyped here, so ``inspect.signature(spinfer.fit_ising)`` shows the numbers
the fit uses. Each default is a marked copy of its value (an ``int``, ``float`` or ``str``
that prints as the number it is): a keyword left at its default is passed on as "not
given", so the library's own rules for unset values still apply (``max_samples`` left
unset, for example, grows with ``samples``), while the same number typed by hand is taken
as asked.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, TypeVar

from . import _native

F = TypeVar("F", bound=Callable[..., Any])


class _DefaultInt(int):
    """An integer default of the library."""


class _DefaultFloat(float):
    """A real default of the library."""


class _DefaultStr(str):
    """A named default of the library."""


def _marked(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return _DefaultInt(value)
    if isinstance(value, float):
        return _DefaultFloat(value)
    if isinstance(value, str):
        return _DefaultStr(value)
    return value


#: Per public function, its keywords' defaults, from the library.
DEFAULTS: Dict[str, Dict[str, Any]] = {
    function: {keyword: _marked(value) for keyword, value in keywords.items()}
    for function, keywords in json.loads(_native.defaults()).items()
}


def is_default(value: Any) -> bool:
    """Whether ``value`` is one of the defaults above (left unset by the caller)."""
    return isinstance(value, (_DefaultInt, _DefaultFloat, _DefaultStr))


#: Every run-time choice by keyword, with its allowed names, from the library's enums.
CHOICES: Dict[str, List[str]] = json.loads(_native.choices())


def documented(function: F) -> F:
    """Fills ``{choices:NAME}`` in ``function``'s docstring with the allowed values of the
    keyword ``NAME`` as the library names them ("a, b, c"), so that the help cannot list
    a value the extension refuses, nor miss one it takes."""
    doc = function.__doc__ or ""
    for keyword, names in CHOICES.items():
        doc = doc.replace("{choices:%s}" % keyword, ", ".join(names))
    function.__doc__ = doc
    return function
