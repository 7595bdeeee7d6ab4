"""cohort."""

# cohort import (io / config / importer / validate)
from rairpredict.cohort.config import CohortConfig, load_cohort_config  # noqa: E402
from rairpredict.cohort.importer import ImportResult, import_cohort  # noqa: E402
from rairpredict.cohort.io import read_table, write_table  # noqa: E402
from rairpredict.cohort.validate import validate_canonical  # noqa: E402

__all__ = [*globals().get("__all__", []), "CohortConfig", "load_cohort_config", "ImportResult",
           "import_cohort", "read_table", "write_table", "validate_canonical"]
