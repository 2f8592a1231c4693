"""`python -m fate_flow.serving`: the bundled online serving process (see server.py)."""
import sys

from fate_flow.serving.server import main

sys.exit(main())
