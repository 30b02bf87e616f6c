"""``python -m derive``: the same as the ``derive`` command."""

from .cli import console_main

if __name__ == "__main__":
    console_main()
