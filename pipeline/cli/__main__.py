"""``python -m pipeline.cli``: the oopwatch command line (the dashboard's uploads run it so)."""

from pipeline.cli import main

main()
