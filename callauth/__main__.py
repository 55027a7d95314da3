from callauth.cli import main

raise SystemExit(main())
