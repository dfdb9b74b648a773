"""Use case: a staff member adds an internal note to a return's timeline (never shown to the shopper)."""

from __future__ import annotations

from typing import Protocol

from ..domain.errors import NotFoundError, StaleWriteError
from ..domain.return_request import ReturnRequest
from .ports.returns import ReturnRepository
from .ports.system import Clock

# A note does not depend on the status: a lost race is read again and written on the new version.
_ATTEMPTS = 3


class NoteReturnDeps(Protocol):
    """What adding a note needs."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def clock(self) -> Clock: ...


def add_internal_note(deps: NoteReturnDeps, rma: str, text: str, *, actor: str, source_ip: str = "") -> ReturnRequest:
    """Append the note (1 to MAX_NOTE characters, ValidationError otherwise) as `actor`."""
    for _ in range(_ATTEMPTS):
        request = deps.returns.get(rma)
        if request is None:
            raise NotFoundError("We couldn't find that return.", code="return_not_found")
        noted = request.add_note(text, at=deps.clock.now(), actor=actor, source_ip=source_ip)
        try:
            return deps.returns.save(noted, new_events=1, now=deps.clock.now())
        except StaleWriteError:
            continue
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")
