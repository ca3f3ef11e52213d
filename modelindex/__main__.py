"""``python -m modelindex``: the same as the ``modelindex`` command."""

from modelindex.cli import main

raise SystemExit(main())
