"""Which Python callables can serve as handlers: checked once, at registration.

mcp_sync runs every handler on a worker thread and uses what it returns.
An ``async def`` function would return a coroutine that nothing awaits, and
a generator function a generator that nothing drains, so each call would
fail later with a puzzling serialization error. They are refused when they
are registered, with :class:`~mcp_sync.errors.RegistrationError` saying what
to write instead.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ..errors import RegistrationError

__all__ = ["check_handler"]


def _unwrapped(fn: Any) -> Any:
    while isinstance(fn, functools.partial):
        fn = fn.func
    if not inspect.isfunction(fn) and not inspect.ismethod(fn) and callable(fn):
        call = getattr(type(fn), "__call__", None)
        if call is not None and (inspect.isfunction(call) or inspect.ismethod(call)):
            return call  # a callable object: what its __call__ is
    return fn


def check_handler(fn: Callable[..., Any], what: str) -> None:
    """Refuse ``fn`` as a handler (``what``: "tool 'add'", "prompt 'brief'"...) unless it is a plain callable."""
    if not callable(fn):
        raise RegistrationError(f"{what} must be a function (or another callable), not {type(fn).__name__}")
    target = _unwrapped(fn)
    if inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(fn):
        raise RegistrationError(
            f"{what} is an 'async def' function: mcp_sync runs handlers on threads and never awaits them. "
            f"Define it with a plain 'def' (blocking calls are fine there; to call async code from it use "
            f"asyncio.run(...) inside)")
    if inspect.isasyncgenfunction(target) or inspect.isasyncgenfunction(fn):
        raise RegistrationError(
            f"{what} is an 'async def' generator: mcp_sync never awaits or iterates handlers. Define it with a "
            f"plain 'def' that returns its result")
    if inspect.isgeneratorfunction(target) or inspect.isgeneratorfunction(fn):
        raise RegistrationError(
            f"{what} is a generator function (it uses 'yield'): mcp_sync uses what a handler returns and never "
            f"iterates it. Return the value instead (a list returns several content blocks or messages); to "
            f"report progress while working, take a Context parameter and call ctx.report_progress(...)")
