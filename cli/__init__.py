"""The ``cdp`` command line (sits on top of every stage)."""

import warnings

# Great Expectations imports pyspark when the `spark` extra is installed, and pyspark warns about
# pandas 3 at import time, before the CLI routes library output to data/logs/. The warning is
# about pyspark's own pandas API, which we do not use; without this filter it opens every command.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
