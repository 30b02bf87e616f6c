"""Stage 6 of the flow: what a class does with worked solutions.

Owns seeded variants (:mod:`.variants`, questions asked in :mod:`.ask`), worksheets and
answer keys (:mod:`.worksheet`), the Moodle quiz export (:mod:`.moodle`), checking a
hand-worked solution (:mod:`.check`, its explanations in :mod:`.explain`, follow-through in
:mod:`.follow`), when a number is right (:mod:`.tolerance`), marking schemes (:mod:`.scheme`)
and grading a class (:mod:`.grade`, its answers read by :mod:`.roster`). May import every
stage before it: ``derive.errors``, ``derive.io``, ``derive.spec``, ``derive.engine``,
``derive.steps`` and ``derive.render``.
"""
