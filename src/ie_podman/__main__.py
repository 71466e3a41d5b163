from ie_podman.cli import main

raise SystemExit(main())
