"""`python -m mpoffice_tui` runs the `mpoffice` command."""

from mpoffice_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
