from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.services import portal_link_create

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 11 March 2026, noon site time: every portal test runs on this day.
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=BERLIN)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def link_for(supplier, **kwargs) -> str:
    """A portal link's path (``/portal/<token>/``)."""
    url, _ = portal_link_create(supplier=supplier, **kwargs)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])
