from apyche.cli import main

raise SystemExit(main())
