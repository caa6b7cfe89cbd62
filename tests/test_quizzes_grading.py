import dataclasses
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quizzes.grading import (
    DrawnQuestion,
    PublicQuestion,
    QuestionResult,
    draw_questions,
    grade_attempt,
    grade_question,
    public_question,
    review_allowed,
)
from app.quizzes.schema import Quiz, tag_pools
from app.quizzes.types.base import parse_number
from app.quizzes.types.multiple import MultipleQuestion
from app.quizzes.types.numeric import NumericQuestion
from app.quizzes.types.short import ShortQuestion
from app.quizzes.types.single import SingleQuestion
from app.quizzes.types.true_false import TrueFalseQuestion


def options(*texts: str, correct: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [
        {"text": text, "correct": i in correct, "feedback": f"umpan balik {text}"}
        for i, text in enumerate(texts)
    ]


def single(**kw: Any) -> SingleQuestion:
    data = {
        "id": "sandi",
        "text": "Sandi terkuat?",
        "options": options("a", "b", "c", correct=(1,)),
    }
    return SingleQuestion.model_validate(data | kw)


def multiple(scoring: str = "all_or_nothing", points: float = 1) -> MultipleQuestion:
    return MultipleQuestion.model_validate(
        {
            "id": "ciri",
            "text": "Ciri phishing?",
            "scoring": scoring,
            "points": points,
            # correct: 0 and 2 (k = 2); wrong: 1 and 3
            "options": options(
                "pengirim palsu", "domain resmi", "minta sandi", "sopan", correct=(0, 2)
            ),
        }
    )


def numeric(answer: float = 2.5, tolerance: float = 0.0) -> NumericQuestion:
    return NumericQuestion(id="angka", text="Berapa?", answer=answer, tolerance=tolerance)


def short() -> ShortQuestion:
    return ShortQuestion(
        id="istilah", text="Istilahnya?", answers=["phishing", "smart branding", "straße"]
    )


def true_false(answer: bool = True) -> TrueFalseQuestion:
    return TrueFalseQuestion(id="pdp", text="UU PDP?", answer=answer)


def quiz(questions: list[Any], **kw: Any) -> Quiz:
    return Quiz.model_validate({"title": "Kuis", "pass_mark": 70, "questions": questions} | kw)


# --- single ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "points"),
    [(1, 1.0), (0, 0.0), (2, 0.0), (None, 0.0), (3, 0.0), (-2, 0.0), (True, 0.0), ("1", 0.0)],
)
def test_single_choice_scores_only_the_correct_index(response: Any, points: float) -> None:
    result = grade_question(single(), response)
    assert result == QuestionResult(points=points, max_points=1.0, correct=points == 1.0)


def test_points_scale_the_result() -> None:
    assert grade_question(single(points=3), 1) == QuestionResult(3.0, 3.0, True)


# --- multiple --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "points"),
    [([0, 2], 1.0), ([2, 0, 2], 1.0), ([0], 0.0), ([0, 1, 2], 0.0), ([], 0.0), (None, 0.0)],
)
def test_multiple_all_or_nothing_needs_exactly_the_correct_set(
    response: Any, points: float
) -> None:
    assert grade_question(multiple(), response).points == points


@pytest.mark.parametrize(
    ("response", "points", "correct"),
    [
        ([0, 2], 4.0, True),  # both correct options
        ([0], 2.0, False),  # one of k=2 correct: +1/2
        ([0, 1], 0.0, False),  # +1/2 -1/2
        ([0, 2, 3], 2.0, False),  # +1 -1/2
        ([1, 3], 0.0, False),  # -1: never below zero
        ([1], 0.0, False),
        ([0, 1, 2, 3], 0.0, False),  # everything ticked: +1 -1
        ([0, 99, -1], 2.0, False),  # indices that are not options are ignored
        ("0,2", 0.0, False),  # wrong shape
    ],
)
def test_multiple_partial_credit(response: Any, points: float, correct: bool) -> None:
    result = grade_question(multiple("partial", points=4), response)
    assert result == QuestionResult(points=points, max_points=4.0, correct=correct)


# --- true/false, short -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "response", "points"),
    [
        (True, True, 1.0),
        (True, False, 0.0),
        (False, False, 1.0),
        (True, None, 0.0),
        (True, "true", 0.0),
        (True, 1, 0.0),
    ],
)
def test_true_false(answer: bool, response: Any, points: float) -> None:
    assert grade_question(true_false(answer), response).points == points


@pytest.mark.parametrize(
    "response",
    [
        "phishing",
        "PHISHING",
        "  Phishing  ",
        "smart   branding",
        "Smart\tBranding\n",
        "STRASSE",
        "ｐｈｉｓｈｉｎｇ",
    ],
)
def test_short_answer_ignores_case_and_whitespace(response: str) -> None:
    assert grade_question(short(), response).correct


@pytest.mark.parametrize("response", ["phish", "smartbranding", "", "   ", None, 42, ["phishing"]])
def test_short_answer_rejects_others(response: Any) -> None:
    assert grade_question(short(), response).points == 0.0


# --- numeric ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2,5", 2.5),
        ("2.5", 2.5),
        (" 2,5 ", 2.5),
        ("-3", -3.0),
        ("\u22123", -3.0),
        ("+4", 4.0),
        (",5", 0.5),
        ("20", 20.0),
        (7, 7.0),
        (2.5, 2.5),
        ("dua", None),
        ("", None),
        ("1.000,5", None),
        ("2,5,1", None),
        ("1e3", None),
        ("nan", None),
        ("inf", None),
        ("9" * 400, None),
        (True, None),
        (None, None),
        ("٣", None),
    ],
)
def test_parse_number(text: Any, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("response", "correct"),
    [
        ("2,5", True),
        ("2.5", True),
        (" 2,50 ", True),
        ("2,6", True),
        ("2.4", True),
        ("2,61", False),
        ("2.39", False),
        ("dua koma lima", False),
        (None, False),
    ],
)
def test_numeric_with_tolerance_and_decimal_comma(response: Any, correct: bool) -> None:
    # |2.6 - 2.5| is 0.10000000000000009 in floating point: the boundary must still pass.
    assert grade_question(numeric(2.5, 0.1), response).correct is correct


def test_numeric_without_tolerance_is_exact() -> None:
    assert grade_question(numeric(20), "20").correct
    assert not grade_question(numeric(20), "20,001").correct
    assert grade_question(numeric(0.3), "0,3").correct


# --- whole attempts --------------------------------------------------------------------


def attempt_quiz(pass_mark: int = 70) -> Quiz:
    return quiz(
        [single(points=2), true_false(), short(), numeric(20), multiple("partial", points=2)],
        pass_mark=pass_mark,
    )


def drawn_all(q: Quiz) -> list[DrawnQuestion]:
    return draw_questions(q, random.Random(1))


def test_grade_attempt_sums_points_and_counts_missing_as_wrong() -> None:
    q = attempt_quiz()
    responses = {"sandi": 1, "pdp": True, "angka": "19", "ciri": [0]}  # "istilah" missing
    result = grade_attempt(q, drawn_all(q), responses)
    assert result.points == 2 + 1 + 0 + 0 + 1
    assert result.max_points == 7
    assert result.score_percent == 57.14
    assert not result.passed
    assert result.per_question["istilah"] == QuestionResult(0.0, 1.0, False)
    assert result.per_question["ciri"] == QuestionResult(1.0, 2.0, False)


def test_pass_mark_is_inclusive_and_compares_the_rounded_score() -> None:
    q = quiz([true_false(), numeric(1), single()], pass_mark=67)
    drawn = drawn_all(q)
    result = grade_attempt(q, drawn, {"pdp": True, "angka": "1"})
    assert result.score_percent == 66.67
    assert not result.passed
    assert grade_attempt(
        q.model_copy(update={"pass_mark": 66}), drawn, {"pdp": True, "angka": "1"}
    ).passed

    halves = quiz([true_false(), numeric(1)], pass_mark=50)
    assert grade_attempt(halves, drawn_all(halves), {"pdp": True}).passed


def test_grade_attempt_only_grades_drawn_questions() -> None:
    q = attempt_quiz()
    result = grade_attempt(q, [DrawnQuestion("pdp", [0, 1])], {"pdp": True, "sandi": 0})
    assert result.per_question.keys() == {"pdp"}
    assert result.score_percent == 100.0
    assert result.passed


def test_grade_attempt_refuses_a_question_from_another_quiz_version() -> None:
    with pytest.raises(ValueError, match="hapus"):
        grade_attempt(attempt_quiz(), [DrawnQuestion("hapus", [])], {})


# --- drawing ---------------------------------------------------------------------------


def test_without_draw_every_question_in_file_order() -> None:
    q = attempt_quiz()
    drawn = draw_questions(q, random.Random(5))
    assert [d.question_id for d in drawn] == ["sandi", "pdp", "istilah", "angka", "ciri"]
    assert [d.option_order for d in drawn] == [[0, 1, 2], [0, 1], [], [], [0, 1, 2, 3]]


def test_shuffles_are_seeded() -> None:
    q = quiz(
        [single(id=f"s{i}", options=options(*"abcdefgh", correct=(0,))) for i in range(8)],
        shuffle_questions=True,
        shuffle_options=True,
    )
    first = draw_questions(q, random.Random(42))
    assert first == draw_questions(q, random.Random(42))
    assert [d.question_id for d in first] != [f"s{i}" for i in range(8)]
    assert any(d.option_order != list(range(8)) for d in first)
    assert all(sorted(d.option_order) == list(range(8)) for d in first)


def test_true_false_options_are_never_shuffled() -> None:
    q = quiz([true_false()], shuffle_options=True)
    for seed in range(20):
        assert draw_questions(q, random.Random(seed))[0].option_order == [0, 1]


def test_draw_count_keeps_file_order_without_shuffle() -> None:
    q = quiz([numeric(i).model_copy(update={"id": f"n{i}"}) for i in range(10)], draw={"count": 4})
    drawn = [d.question_id for d in draw_questions(q, random.Random(3))]
    assert len(drawn) == 4
    assert drawn == sorted(drawn, key=lambda qid: int(qid[1:]))


def test_draw_by_tag_uses_first_listed_tag_for_questions_with_several() -> None:
    both = true_false().model_copy(update={"id": "both", "tags": ["a", "b"]})
    only_b = true_false().model_copy(update={"id": "only-b", "tags": ["b"]})
    q = quiz([both, only_b], draw={"tags": {"a": 1, "b": 1}})
    for seed in range(10):
        assert [d.question_id for d in draw_questions(q, random.Random(seed))] == ["both", "only-b"]


# --- what the browser sees -------------------------------------------------------------


def test_public_question_carries_no_answers() -> None:
    question = single(feedback="pembahasan umum")
    shown = public_question(question, [2, 0, 1])
    assert shown == PublicQuestion(
        id="sandi", type="single", text="Sandi terkuat?", options=((2, "c"), (0, "a"), (1, "b"))
    )
    assert {f.name for f in dataclasses.fields(PublicQuestion)} == {
        "id",
        "type",
        "text",
        "options",
        "prompts",
    }
    dumped = repr(dataclasses.asdict(shown))
    assert "umpan balik" not in dumped and "pembahasan" not in dumped and "correct" not in dumped


def test_public_question_is_frozen_and_closed() -> None:
    shown = public_question(numeric(), [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        shown.text = "lain"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        shown.answer = 2.5  # type: ignore[attr-defined]
    assert shown.options == ()


def test_public_true_false_has_two_labelled_options() -> None:
    assert public_question(true_false(False), [0, 1]).options == ((0, "Benar"), (1, "Salah"))


@pytest.mark.parametrize("order", [[0, 1], [0, 1, 1], [0, 1, 3], []])
def test_public_question_rejects_an_order_that_is_not_a_permutation(order: list[int]) -> None:
    with pytest.raises(ValueError, match="sandi"):
        public_question(single(), order)


def test_public_question_rejects_options_for_typed_answers() -> None:
    with pytest.raises(ValueError):
        public_question(short(), [0])


# --- review ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("show", "passed", "used", "allowed", "expected"),
    [
        ("never", True, 3, 3, False),
        ("after_each_attempt", False, 1, None, True),
        ("after_each_attempt", False, 0, None, False),
        ("after_passing", True, 1, 3, True),
        ("after_passing", False, 2, 3, False),
        ("after_passing", False, 3, 3, True),  # no attempt left: the review opens
        ("after_passing", False, 9, None, False),
        ("after_last_attempt", False, 2, 3, False),
        ("after_last_attempt", False, 3, 3, True),
        ("after_last_attempt", True, 1, 3, False),
        ("after_last_attempt", True, 50, None, False),  # unlimited attempts never run out
    ],
)
def test_review_allowed(
    show: str, passed: bool, used: int, allowed: int | None, expected: bool
) -> None:
    assert review_allowed(show, passed, used, allowed) is expected


def test_review_allowed_rejects_unknown_setting() -> None:
    with pytest.raises(ValueError):
        review_allowed("kadang", True, 1, 1)


# --- properties ------------------------------------------------------------------------

TAGS = ["keamanan", "etika", "regulasi"]
ANSWER_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéÀ -", min_size=1, max_size=12).filter(
    lambda s: s.strip(" -") != ""
)


@st.composite
def question_data(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "short", "numeric"]))
    base: dict[str, Any] = {
        "id": f"soal-{index}",
        "type": kind,
        "text": f"Soal {index}",
        "tags": draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=2)),
        "points": draw(st.sampled_from([1, 2, 0.5, 3.25])),
    }
    if kind in ("single", "multiple"):
        count = draw(st.integers(2, 10))
        if kind == "single":
            correct = {draw(st.integers(0, count - 1))}
        else:
            correct = set(draw(st.lists(st.integers(0, count - 1), min_size=1, unique=True)))
            base["scoring"] = draw(st.sampled_from(["all_or_nothing", "partial"]))
        base["options"] = [{"text": f"opsi {i}", "correct": i in correct} for i in range(count)]
    elif kind == "true_false":
        base["answer"] = draw(st.booleans())
    elif kind == "short":
        base["answers"] = draw(st.lists(ANSWER_TEXT, min_size=1, max_size=3))
    else:
        base["answer"] = draw(
            st.decimals(-10_000, 10_000, places=3, allow_nan=False, allow_infinity=False)
        )
        base["tolerance"] = draw(st.sampled_from([0, 0.5, 2]))
    return base


@st.composite
def quizzes(draw: st.DrawFn) -> Quiz:
    size = draw(st.integers(1, 12))
    questions = [draw(question_data(i)) for i in range(size)]
    for q in questions:
        if q["type"] == "numeric":
            q["answer"] = float(q["answer"])
    data: dict[str, Any] = {
        "title": "Kuis acak",
        "pass_mark": draw(st.integers(0, 100)),
        "shuffle_questions": draw(st.booleans()),
        "shuffle_options": draw(st.booleans()),
        "questions": questions,
    }
    mode = draw(st.sampled_from(["all", "count", "tags"]))
    if mode == "count":
        data["draw"] = {"count": draw(st.integers(1, size))}
    elif mode == "tags":
        pools = tag_pools(dict.fromkeys(TAGS, 1), [q["tags"] for q in questions])
        wanted = {tag: draw(st.integers(1, len(pool))) for tag, pool in pools.items() if pool}
        if wanted:
            data["draw"] = {"tags": wanted}
    return Quiz.model_validate(data)


def perfect_response(question: Any, rng: random.Random) -> Any:
    if isinstance(question, SingleQuestion):
        return next(i for i, o in enumerate(question.options) if o.correct)
    if isinstance(question, MultipleQuestion):
        chosen = [i for i, o in enumerate(question.options) if o.correct]
        rng.shuffle(chosen)
        return chosen
    if isinstance(question, TrueFalseQuestion):
        return question.answer
    if isinstance(question, ShortQuestion):
        answer = rng.choice(question.answers)
        return f"  {answer.upper()}  " if rng.random() < 0.5 else answer
    # Written as a learner would: the decimal from the file, maybe with a comma.
    written = str(Decimal(repr(question.answer)))
    return written.replace(".", ",") if rng.random() < 0.5 else written


@settings(max_examples=150, deadline=None)
@given(quizzes(), st.integers(0, 2**32))
def test_a_perfect_answer_sheet_scores_100(q: Quiz, seed: int) -> None:
    rng = random.Random(seed)
    drawn = draw_questions(q, rng)
    by_id = q.question_map()
    responses = {d.question_id: perfect_response(by_id[d.question_id], rng) for d in drawn}
    result = grade_attempt(q, drawn, responses)
    assert result.score_percent == 100.0
    assert result.passed
    assert all(r.correct for r in result.per_question.values())


@settings(max_examples=100, deadline=None)
@given(quizzes(), st.integers(0, 2**32), st.data())
def test_grading_is_deterministic(q: Quiz, seed: int, data: st.DataObject) -> None:
    drawn = draw_questions(q, random.Random(seed))
    responses = {
        d.question_id: data.draw(
            st.one_of(
                st.none(),
                st.integers(-1, 11),
                st.booleans(),
                st.text(max_size=6),
                st.lists(st.integers(0, 10)),
            )
        )
        for d in drawn
    }
    first = grade_attempt(q, drawn, responses)
    assert first == grade_attempt(q, drawn, dict(responses))
    assert 0.0 <= first.score_percent <= 100.0
    assert 0.0 <= first.points <= first.max_points


@settings(max_examples=150, deadline=None)
@given(quizzes(), st.integers(0, 2**32))
def test_draw_is_deterministic_and_respects_the_draw(q: Quiz, seed: int) -> None:
    drawn = draw_questions(q, random.Random(seed))
    assert drawn == draw_questions(q, random.Random(seed))
    ids = [d.question_id for d in drawn]
    assert len(ids) == len(set(ids))
    by_id = q.question_map()
    if q.draw is None:
        assert sorted(ids) == sorted(by_id)
    elif q.draw.count is not None:
        assert len(ids) == q.draw.count
    else:
        pools = tag_pools(q.draw.tags or {}, [question.tags for question in q.questions])
        pool_ids = {tag: {q.questions[p].id for p in pool} for tag, pool in pools.items()}
        for tag, wanted in (q.draw.tags or {}).items():
            assert len(pool_ids[tag] & set(ids)) == wanted
        assert len(ids) == sum((q.draw.tags or {}).values())
    for d in drawn:
        question = by_id[d.question_id]
        if isinstance(question, SingleQuestion | MultipleQuestion):
            assert sorted(d.option_order) == list(range(len(question.options)))
            if not q.shuffle_options:
                assert d.option_order == list(range(len(question.options)))
        # Every drawn question can be shown; the public form never fails for a fresh draw.
        assert public_question(question, d.option_order).id == d.question_id
    if not q.shuffle_questions:
        positions = [list(by_id).index(qid) for qid in ids]
        assert positions == sorted(positions)
