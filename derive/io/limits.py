"""Limits the command line states in its help, kept apart from the TeX runner (start-up time)."""

# The longest TeX time budget a user may set: one day.
MAX_TIMEOUT = 86400
# The most steps a training run may take (about a minute of a small network's compiled gradient).
MAX_STEPS = 10_000_000
# Runs up to this many steps (or online updates) step exactly; longer ones take the float loop.
EXACT_STEP_LIMIT = 20
