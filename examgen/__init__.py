"""examgen: exam-practice generator and auto-marker for IN5400.

The library API (see :mod:`examgen.api`)::

    import examgen
    exam = examgen.generate(topics=["rl", "cnn"], seed=7)
    report = examgen.grade(answers, exam)
"""

from .api import (ExamMismatch, SpecError, answer_sheet, build_exam, exam_points, generate, grade,
                  grade_question, question, solve)
from .model import AnswerSheet, Exam, ExamSpec, GradeReport, Question

__version__ = "0.1.0"
__all__ = ["generate", "grade", "solve", "question", "answer_sheet", "build_exam", "grade_question",
           "exam_points", "SpecError", "ExamMismatch", "AnswerSheet", "Exam", "ExamSpec", "GradeReport",
           "Question"]
