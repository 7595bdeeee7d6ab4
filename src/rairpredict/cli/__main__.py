"""``python -m rairpredict.cli``."""
import sys

from rairpredict.cli import main

if __name__ == "__main__":
    sys.exit(main())
