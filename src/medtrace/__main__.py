"""``python -m medtrace`` runs the command-line interface."""

from medtrace.cli.main import main

main()
