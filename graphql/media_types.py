"""GraphQL over HTTP media types: `application/graphql-response+json` when the client asks for it
(with 4xx for request errors), `application/json` otherwise (always 200, as legacy clients expect).

Source: GraphQL over HTTP (graphql.github.io/graphql-over-http), "application/graphql-response+json":
a response without a `data` entry (the request failed before execution: parse, validation,
variable coercion) MUST have a 4xx or 5xx status; one with `data` has 2xx.
"""

from __future__ import annotations

from typing import Any

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def _quality(accept: str, media_type: str) -> float:
    """The q a request's Accept header gives ``media_type`` (exact range beats type/* beats */*)."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        media_range = pieces[0].lower()
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media_range)
        if specificity is None:
            continue
        q = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def wants_graphql_response_json(accept: str | None) -> bool:
    """True when the client prefers (or only takes) application/graphql-response+json. No Accept
    header, or a plain */*: application/json, which every client of ours reads."""
    if not accept or accept.strip() == "*/*":
        return False
    graphql_q = _quality(accept, GRAPHQL_RESPONSE_JSON)
    return graphql_q > 0 and graphql_q >= _quality(accept, JSON)


def request_error_status(result: Any) -> int | None:
    """The 4xx status of a result that failed before execution (no data, no error on a field
    path), or None for an executed one. UNAUTHENTICATED is 401, a refused introspection 403."""
    errors = getattr(result, "errors", None) or []
    if getattr(result, "data", None) is not None or not errors or any(error.path for error in errors):
        return None
    codes = {(error.extensions or {}).get("code") for error in errors}
    if "UNAUTHENTICATED" in codes:
        return 401
    if codes == {"FORBIDDEN"}:
        return 403
    return 400
