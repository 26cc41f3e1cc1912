"""``python -m simulator`` runs the trialsim command line."""

from .face.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
