"""The bottom of the flow: writing files safely and running TeX safely.

Owns atomic output (:mod:`.output`: checked paths, write to a hidden temporary file and rename)
and the hardened TeX run (:mod:`.texrun`). May import only ``derive.errors``; every stage may
import it.
"""
