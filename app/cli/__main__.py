"""`python -m app.cli`: the same command as the `cakap` entry point."""

from app.cli import main

main()
