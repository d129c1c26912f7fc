"""Running a graded class: the teacher's secret (:mod:`.secret`), the roster (:mod:`.roster`),
grading every submission against the teacher's files (:mod:`.grade`), the gradebook files
(:mod:`.gradebook`), feedback pages (:mod:`.feedback`) and item analysis (:mod:`.analysis`,
charts in :mod:`.charts`). Building a class is :func:`examgen.output.build_class`."""
