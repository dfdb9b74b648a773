"""The one table from error to HTTP status, and the JSON error shape of the API."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from ..adapters.dynamodb_items import is_throttling

from ..domain.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RetourError,
    ValidationError,
)
from ..domain.exchange import OutOfStockError
from ..domain.refunds import PaymentGatewayUnavailableError

log = logging.getLogger("retour.http")


class RequestTooLargeError(ValidationError):
    """A body past what any of our forms or documents sends: refused before it is read."""

    code = "request_too_large"


# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[RetourError], int], ...] = (
    (RequestTooLargeError, 413),
    (ValidationError, 400),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RateLimitedError, 429),
    # Stripe gave no answer: nothing was stored, and the same request can simply be sent again.
    (PaymentGatewayUnavailableError, 503),
    (RetourError, 400),
)


def status_for(error: RetourError) -> int:
    return next(status for kind, status in STATUS_BY_ERROR if isinstance(error, kind))


def json_error(status: int, code: str, message: str, fields: tuple[str, ...] = ()) -> Response:
    """`{"error": {"code", "message"}}` with `fields` when the input was at fault."""
    error: dict[str, object] = {"code": code, "message": message}
    if fields:
        error["fields"] = list(fields)
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="retour"'
    return Response(body={"error": error}, status_code=status, headers=headers)


def error_response(error: RetourError) -> Response:
    response = json_error(status_for(error), error.code, error.message, error.fields)
    if isinstance(error, OutOfStockError):
        # What the shopper can choose instead, so a client can offer it at once.
        response.body["error"]["available"] = [
            {"sku": option.sku, "options": dict(option.options)} for option in error.available]
    if isinstance(error, RateLimitedError):
        # Well-behaved clients (and our own pages) wait this long before the next try.
        response.headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, PaymentGatewayUnavailableError):
        response.headers["Retry-After"] = "5"
    return response


def translating_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a view so a RetourError becomes its HTTP answer and anything else a logged 500.

    Chalice catches view exceptions before middleware sees them and answers in its own shape,
    so the translation has to sit around each view.
    """

    @functools.wraps(view)
    def view_with_errors(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except RetourError as error:
            return error_response(error)
        except Exception as error:
            if is_throttling(error):
                # Nothing was written (every write is one conditional request); trying again
                # in a moment is safe, so say so instead of "something went wrong".
                log.warning("throttled by DynamoDB past the SDK's retries")
                busy = json_error(503, "service_busy", "We're very busy right now. Please try again in a moment.")
                busy.headers["Retry-After"] = "2"
                return busy
            # The Lambda boundary: log it whole, answer without internals.
            log.exception("unhandled error")
            return json_error(500, "internal_error", "Something went wrong on our side. Please try again.")

    return view_with_errors


def route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """`blueprint.route(path, ...)` for a view whose errors are translated."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        wrapped = translating_errors(view)
        blueprint.route(path, **options)(wrapped)
        return wrapped

    return register
