"""The incident facts. ``core``: customers, components, incidents; ``timeline``: updates and the
component changes they made; ``planning``:
regulatory clocks and maintenance windows. Import from ``incidents.models``."""

from incidents.models.core import *  # noqa: F403
from incidents.models.core import __all__ as _core
from incidents.models.drills import *  # noqa: F403
from incidents.models.drills import __all__ as _drills
from incidents.models.planning import *  # noqa: F403
from incidents.models.planning import __all__ as _planning
from incidents.models.timeline import *  # noqa: F403
from incidents.models.timeline import __all__ as _timeline

__all__ = [*_core, *_timeline, *_planning, *_drills]
