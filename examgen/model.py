"""The data model: questions, exams, answer sheets and grade reports (pydantic v2).

Every file examgen reads or writes is one of these models, serialised as JSON.
Values (givens, reference answers, student answers) are plain JSON values: numbers,
strings and nested lists, so a file round-trips exactly.
"""


from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from . import kinds

EXAM_FORMAT = "examgen-exam/1"
ANSWERS_FORMAT = "examgen-answers/1"
REPORT_FORMAT = "examgen-report/1"
GIVENS_FORMAT = "examgen-givens/1"

StepKind = Literal[kinds.names()]  # type: ignore[valid-type]
"""How a step's value is written, read and compared: one of the answer kinds in
:mod:`examgen.kinds` (scalar, vector, matrix, tensor, integer, choice, expression, and for the
question bank single, multi, truefalse, ordering)."""

Status = Literal["correct", "follow_through", "mistake", "near_miss", "partial", "wrong", "missing", "invalid"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tolerance(Model):
    """When a number counts as right: ``|x - ref| <= max(abs, rel * |ref|)``.

    ``decimals`` / ``sigfigs`` record what the question asks the student to give; the
    tolerance is one unit in that last place, so a correctly rounded answer (and one
    computed from correctly rounded intermediate results) is accepted.
    """

    rel: float = Field(0.0, ge=0)
    abs: float = Field(0.0, ge=0)
    decimals: int | None = None
    sigfigs: int | None = None

    @classmethod
    def places(cls, decimals: int) -> "Tolerance":
        """Answer to ``decimals`` decimal places."""
        # one unit in the last place; a whole number must be exactly that whole number
        return cls(abs=10.0 ** -decimals if decimals > 0 else 0.5, decimals=decimals)

    @classmethod
    def significant(cls, sigfigs: int) -> "Tolerance":
        """Answer to ``sigfigs`` significant figures."""
        return cls(rel=10.0 ** (1 - sigfigs), abs=1e-12, sigfigs=sigfigs)

    def describe(self) -> str:
        if self.sigfigs is not None:
            return f"{self.sigfigs} significant figures (±{self.rel:.0%} relative)"
        if self.decimals is not None:
            extra = f", or ±{self.rel:.1%} of the value if larger" if self.rel else ""
            return f"{self.decimals} decimals (±{self.abs:g}{extra})"
        return f"±{self.abs:g} or ±{self.rel:.1%} of the value, whichever is larger"


class Step(Model):
    """One named step of a solution: what it is, how it is computed, its reference value."""

    name: str
    label: str = Field(description="How the step is shown, e.g. '$\\hat{\\mu}_1$'; may hold $math$.")
    kind: StepKind
    value: JsonValue = Field(description="The reference value.")
    formula: str | None = Field(None, description="LaTeX: the formula in the course's notation.")
    work: str | None = Field(None, description="LaTeX: the formula with the numbers put in.")
    tolerance: Tolerance | None = None
    shape: list[int] | None = None
    options: list[str] | None = Field(None, description="The allowed answers of a choice step.")
    variables: list[str] | None = Field(None, description="The names an expression step may use.")
    asked: bool = Field(True, description="False for a step shown only in the worked solution.")
    feedback: dict[str, str] | None = Field(
        None, description="Option or statement text -> why it is right or wrong (question-bank steps).")
    explanation: str | None = Field(None, description="Markup shown with the answer in the solutions.")
    alternatives: list[JsonValue] | None = Field(
        None, description="Other values that are equally right, e.g. the tied actions of an argmax.")


class Part(Model):
    """A subtask, scored 0-10: the steps the student fills in, and which of them are its answer."""

    id: str
    prompt: str
    points: int = 10
    steps: list[str]
    answer: list[str]


class Mistake(Model):
    """A common mistake the grader recognises, and the credit a step made with it earns."""

    name: str
    description: str
    credit: float = Field(0.0, ge=0, le=1)
    values: dict[str, JsonValue] | None = Field(
        None, description="Step values this mistake gives, stored for generators the grader cannot re-run.")


class Question(Model):
    id: str
    generator: str
    version: int
    seed: int | None = Field(None, description="None when the givens were typed in, not drawn.")
    topic: str
    goal: str = Field(description="Learning-goal id, e.g. '07.4'.")
    title: str
    givens: dict[str, JsonValue]
    stem: str = Field(description="Question text; $...$ is inline math, $$...$$ display math.")
    parts: list[Part]
    steps: list[Step]
    mistakes: list[Mistake] = []
    figure: str | None = Field(None, description="An SVG drawing of the givens, made when the question is built.")

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


class ExamSpec(Model):
    """Everything needed to rebuild an exam: the same spec gives the same exam."""

    topics: list[str]
    seed: int
    count: int | None = Field(None, description="Questions per topic; None = the default.")
    generators: list[str] | None = None
    variant: str | None = Field(None, description="A student's variant id (seeds differ per variant).")
    concept_share: float = Field(0.0, ge=0, le=1, description="Share of questions from the question bank.")


class Exam(Model):
    format: Literal["examgen-exam/1"] = EXAM_FORMAT
    id: str
    title: str
    spec: ExamSpec
    questions: list[Question]


class Student(Model):
    id: str
    name: str | None = None


class AnswerSheet(Model):
    """A student's answers: question id -> part id -> step name -> answer (null = not answered)."""

    format: Literal["examgen-answers/1"] = ANSWERS_FORMAT
    exam_id: str
    spec: ExamSpec | None = None
    student: Student | None = None
    answers: dict[str, dict[str, dict[str, JsonValue]]]


class StepResult(Model):
    name: str
    answer: JsonValue = None
    status: Status
    credit: float = Field(ge=0, le=1)
    expected: JsonValue = Field(None, description="The reference value.")
    mistakes: list[str] = Field([], description="Named common mistakes the answer matches (ties: all).")
    message: str | None = None


class PartReport(Model):
    id: str
    score: float
    points: int
    steps: list[StepResult]
    notes: list[str] = Field(description="The credit decisions, in words.")


class QuestionReport(Model):
    id: str
    generator: str
    title: str
    score: float
    points: int
    parts: list[PartReport]
    problems: list[str] = []


class GradeReport(Model):
    format: Literal["examgen-report/1"] = REPORT_FORMAT
    exam_id: str
    student: Student | None = None
    score: float
    points: int
    questions: list[QuestionReport]
    problems: list[str] = Field([], description="Answers for questions the exam does not have.")
    policy: str = Field("", description="How scores are computed.")


class GivensFile(Model):
    """The givens of one problem, typed in by a teacher: ``examgen solve GEN --givens-file FILE``
    (``examgen solve GEN --template --json`` writes one to edit)."""

    format: Literal["examgen-givens/1"] = GIVENS_FORMAT
    generator: str = Field(description="The generator id the givens are for, e.g. 'bellman'.")
    givens: dict[str, JsonValue] = Field(description="Given name -> value, as `examgen solve GEN --help` lists them.")


SCHEMAS = {"exam": Exam, "answers": AnswerSheet, "report": GradeReport, "givens": GivensFile}
