"""``python -m flint_core.agent_docs errors|events``: regenerate the docs sections rendered from Flint's
catalogs (flint_core.agent_docs.catalogs)."""

import sys

from flint_core.agent_docs.catalogs import main

sys.exit(main(sys.argv[1:]))
