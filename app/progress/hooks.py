"""What other domains contribute to completion, filled in once by `app.wiring.install()`.

Progress decides when a course is complete, but what counts is partly other domains'
business: which quizzes an enrolment has passed (quizzes), whether attendance was enough
(bimtek), what happens on completion (certificates) and what JP it earns (bimtek). Those
are listed in one manifest, `app/wiring.py`, rather than registered as a side effect of
importing a module — so a script that imports only some modules cannot complete a course
without the attendance gate: until the manifest is installed, completion refuses to run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.progress.models import Enrolment

# The ids of the enrolment's passed quizzes.
QuizPassLookup = Callable[[Session, "Enrolment"], set[int]]
# An extra condition a course must meet before it counts as complete.
CompletionGate = Callable[[Session, "Enrolment"], bool]
# Runs once, inside the transaction that completes the enrolment.
CompletionListener = Callable[[Session, "Enrolment", datetime], None]
# The JP a completion earns when it is not the course's own (None: no opinion).
JpSource = Callable[[Session, "Enrolment"], "int | None"]


@dataclass(frozen=True)
class CompletionHooks:
    passed_quizzes: tuple[QuizPassLookup, ...] = ()
    gates: tuple[CompletionGate, ...] = ()
    on_completed: tuple[CompletionListener, ...] = ()
    jp_sources: tuple[JpSource, ...] = ()


class WiringMissing(RuntimeError):
    """Completion was asked for before `app.wiring.install()` ran."""


_installed: CompletionHooks | None = None


def install(hooks: CompletionHooks) -> None:
    """Install the manifest. Installing the same one again (a second app in one process,
    the CLI after the app) changes nothing; a different one replaces it whole."""
    global _installed
    _installed = hooks


def uninstall() -> None:
    """For tests that prove completion refuses to run unwired."""
    global _installed
    _installed = None


def installed() -> CompletionHooks:
    if _installed is None:
        raise WiringMissing(
            "Completion hooks are not installed: call app.wiring.install() first "
            "(create_app and the cakap command do)."
        )
    return _installed
