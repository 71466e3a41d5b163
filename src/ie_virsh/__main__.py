from ie_virsh.cli import main

raise SystemExit(main())
