"""structlog for every log line: JSON in production or when not on a terminal, pretty on one.

A last processor scrubs anything shaped like a national ID or a Vietnamese phone number from every
string in a log line: personal data is never logged on purpose, and this keeps it so by accident.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# Identifiers we generate, kept whole wherever they stand in a line (alone, as "job-<uuid>",
# "export-sla-<hex>" or in free text): a UUID (8-4-4-4-12 hex groups, any case) or a run of 32 or
# more hex digits (uuid4().hex, digests). About 0.4 % of UUIDs have an all-digit last group, twelve
# digits like a national ID; redacting it would break tracing a request id through the logs. The
# shape is exact and bounded by non-alphanumerics, so a phone or an ID beside it is still caught.
_HEX = "[0-9A-Fa-f]"
_IDENTIFIER = (rf"(?<![0-9A-Za-z])(?:{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}|{_HEX}{{32,}})"
               r"(?![0-9A-Za-z])")
# national IDs; mobiles (0 + 9 digits); landlines (0 + 2 + 9 digits), each with +84 / 84 for the 0
_PERSONAL = r"(?<!\d)(?:\d{12}|(?:\+?84|0)(?:[35789]\d{8}|2\d{9}))(?!\d)"
# One left-to-right pass: at each place an identifier is tried first, so its digits never start a match.
_SCRUBBED = re.compile(rf"(?P<identifier>{_IDENTIFIER})|{_PERSONAL}")
REDACTED = "[redacted]"


def _replace(match: re.Match[str]) -> str:
    return match.group() if match.group("identifier") is not None else REDACTED


def scrub(value: Any) -> Any:
    """``value`` with every national ID (12 digits) and Vietnamese phone (mobile or landline, 0 / 84 /
    +84 prefix) in its strings replaced by ``[redacted]``, recursing into dicts, lists and tuples;
    identifiers we generate (UUIDs, long hex runs) are left whole. Other values are returned as they are.
    Phones typed with separators ("091 234 5678") are not caught here; tests/leaks.py checks for them."""
    if isinstance(value, str):
        return _SCRUBBED.sub(_replace, value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def scrub_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the event dict with every value passed through ``scrub``."""
    return {k: scrub(v) for k, v in event_dict.items()}


def configure_logging(fmt: str = "auto", production: bool = False, stream: Any = None, level: int = logging.INFO) -> None:
    stream = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and (production or not stream.isatty()))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.add_logger_name,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scrub_personal_data,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq", "strawberry"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # our middleware logs requests
