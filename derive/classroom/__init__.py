"""Stage 6 of the flow: what a class does with worked solutions.

Owns seeded variants (:mod:`.variants`, questions asked in :mod:`.ask`), worksheets and
answer keys (:mod:`.worksheet`), the Moodle quiz export (:mod:`.moodle`) and checking a
hand-worked solution (:mod:`.check`, its explanations in :mod:`.explain`). May import every
stage before it: ``derive.errors``, ``derive.io``, ``derive.spec``, ``derive.engine``,
``derive.steps`` and ``derive.render``.
"""
