"""The incident facts. ``core``: customers, components, incidents, timeline; ``planning``:
regulatory clocks and maintenance windows. Import from ``incidents.models``."""

from incidents.models.core import *  # noqa: F403
from incidents.models.core import __all__ as _core
from incidents.models.drills import *  # noqa: F403
from incidents.models.drills import __all__ as _drills
from incidents.models.planning import *  # noqa: F403
from incidents.models.planning import __all__ as _planning

__all__ = [*_core, *_planning, *_drills]
