"""What happens across domains, in one place (like Moodle's db/events.php).

When a learner finishes an item, progress recomputes the enrolment. Whether the course is
then complete, and what follows, is partly other domains' business:

- **a quiz is passed** → it counts towards completion: `quizzes.service.passed_quizzes`
  tells progress which of the enrolment's quizzes are passed;
- **attendance is recorded** → a bimtek course completes only with enough attendance:
  `bimtek.completion.attendance_gate`;
- **a course is completed** → the certificate is issued in the same transaction:
  `certificates.service.issue_on_completion`, carrying the JP the attended bimtek session
  states when there is one (`bimtek.completion.session_jp`), else the course's own.

`create_app()` and the `cakap` command call `install()`; until then completion refuses
to run (progress.hooks.WiringMissing), so no script can complete a course with part of
these rules missing.
"""

from __future__ import annotations

from app.bimtek import completion as bimtek_completion
from app.certificates import service as certificates
from app.progress import hooks
from app.quizzes import service as quizzes

MANIFEST = hooks.CompletionHooks(
    passed_quizzes=(quizzes.passed_quizzes,),
    gates=(bimtek_completion.attendance_gate,),
    on_completed=(certificates.issue_on_completion,),
    jp_sources=(bimtek_completion.session_jp,),
)


def install() -> None:
    """Install the manifest (idempotent: a second app or the CLI after the app is fine)."""
    hooks.install(MANIFEST)
