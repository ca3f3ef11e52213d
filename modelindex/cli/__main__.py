from modelindex.cli import main

raise SystemExit(main())
