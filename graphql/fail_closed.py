"""Schema extension hooks that fail closed.

strawberry turns an exception raised inside an extension hook (``on_operation``, ``on_parse``,
``on_validate``, ``on_execute``, ``get_results``) into a plain GraphQL error carrying the
exception's own message, and it skips the post-yield part of every ``on_operation`` hook on the
way out, so ``MaskInternalErrors`` never sees it: an internal fault in, say, the perimeter's cost
check would reach the client unmasked, and the operation might even have run without the check.

Every farmgate hook is wrapped with ``fail_closed`` (generator hooks) or ``results_fail_closed``
(``get_results``). An exception in the hook's own code is logged once, with the request id and the
traceback (``graphql_extension_fault``), and becomes the masked INTERNAL error, recorded for the
operation. Raised before the stage ran, it stops the operation: a validation hook's fault is a
validation error, and any other stage's answers in place of execution; raised after it, it replaces
the answer. ``FarmgateSchema`` (graphql/schema.py) runs each operation within ``operation_faults``
and answers one that recorded a fault with those errors only and no data, whatever the hook (a
``get_results`` fault too, which strawberry asks for after every ``on_operation`` hook ended).
The faults are kept per operation in a context variable: each HTTP request, and each operation of
a WebSocket connection (its own asyncio task), has its own. Exceptions of the stage itself (a resolver's, strawberry's own) pass
through the hook unchanged and are masked as before.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.types import ExecutionResult

log = structlog.get_logger("farmgate.graphql")

#: the masked errors of the hooks that failed during the current operation (None: outside one)
_FAULTS: ContextVar[list[GraphQLError] | None] = ContextVar("farmgate_extension_faults", default=None)


def internal_error() -> GraphQLError:
    """The masked error a client sees for an internal fault: "Internal error (request <id>)" with
    ``extensions`` {"code": "INTERNAL", "requestId": <id>}, the id from the logging context."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return GraphQLError(f"Internal error (request {request_id})",
                        extensions={"code": "INTERNAL", "requestId": request_id})


def is_masked(error: GraphQLError) -> bool:
    """Already the masked INTERNAL error (logged where it happened): nothing left to mask."""
    return (error.extensions or {}).get("code") == "INTERNAL" and error.original_error is None


def start_operation() -> list[GraphQLError]:
    """A fresh fault list for the operation about to run in this task (see ``answer``)."""
    faults: list[GraphQLError] = []
    _FAULTS.set(faults)
    return faults


def _record(error: Exception, hook: str) -> GraphQLError:
    log.error("graphql_extension_fault", hook=hook, error_type=type(error).__name__,
              exc_info=(type(error), error, error.__traceback__))
    masked = internal_error()
    faults = _FAULTS.get()
    if faults is not None:
        faults.append(masked)
    return masked


def _replace_answer(execution_context: Any, masked: GraphQLError) -> None:
    result = execution_context.result
    if result is not None and hasattr(result, "errors"):
        result.data = None
        result.errors = [masked]


def _stop(execution_context: Any, hook: str, masked: GraphQLError) -> None:
    """Keep the operation from running: a validation error, and an answer in place of execution."""
    if hook.endswith("on_validate"):
        execution_context.pre_execution_errors = [masked]
    execution_context.result = ExecutionResult(data=None, errors=[masked])


def fail_closed(hook: Callable[[Any], Iterator[None]]) -> Callable[[Any], Iterator[None]]:
    """Wrap a generator hook (``on_operation``, ``on_parse``, ``on_validate``, ``on_execute``) so an
    exception in its own code, before or after its ``yield``, is logged and recorded as the masked
    INTERNAL error instead of escaping to strawberry; before the stage, it also stops the operation."""
    name = hook.__qualname__

    @functools.wraps(hook)
    def guarded(self: Any) -> Iterator[None]:
        steps: Iterator[None] | None = hook(self)
        try:
            next(steps)  # type: ignore[arg-type]
        except StopIteration:
            steps = None
        except Exception as error:  # noqa: BLE001 - fails closed: logged, masked, the operation stopped
            steps = None
            _stop(self.execution_context, name, _record(error, name))
        try:
            yield
        except BaseException:
            if steps is not None:
                steps.close()  # type: ignore[attr-defined]
            raise  # the stage's own exception, not the hook's
        if steps is None:
            return
        try:
            next(steps)
        except StopIteration:
            pass
        except Exception as error:  # noqa: BLE001 - fails closed: logged, masked, answered instead
            _replace_answer(self.execution_context, _record(error, name))

    return guarded


def results_fail_closed(get_results: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """Wrap ``get_results``: an exception is logged and recorded as the masked INTERNAL error (the
    request answers with it), and the extension adds nothing to ``extensions``."""
    name = get_results.__qualname__

    @functools.wraps(get_results)
    def guarded(self: Any) -> dict[str, Any]:
        try:
            return get_results(self)
        except Exception as error:  # noqa: BLE001 - fails closed: logged, masked, answered instead
            _record(error, name)
            return {}

    return guarded


def answer(result: Any, faults: list[GraphQLError]) -> Any:
    """``result`` as the client gets it: when a hook failed during the operation, its masked errors
    and no data (a fault may have skipped a check, or the masking of other errors)."""
    if faults and result is not None and hasattr(result, "errors"):
        result.data = None
        result.errors = list(faults)
    return result


async def answered_stream(results: AsyncIterator[Any], faults: list[GraphQLError]) -> AsyncIterator[Any]:
    """Each result of a streamed operation (a subscription's events) as ``answer`` gives it."""
    try:
        async for result in results:
            yield answer(result, faults)
    finally:
        closing = getattr(results, "aclose", None)
        if closing is not None:
            await closing()
