"""``python -m rairpredict`` runs the CLI."""
import sys

from rairpredict.cli import main

if __name__ == "__main__":
    sys.exit(main())
