"""Limits the command line states in its help, kept apart from the TeX runner (start-up time)."""

# The longest TeX time budget a user may set: one day.
MAX_TIMEOUT = 86400
