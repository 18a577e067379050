import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from gcal.scheduling.status import status_notes

START = datetime(2027, 1, 11, tzinfo=UTC)


def test_five_peoples_status_reads_go_out_in_one_round():
    """A team of five (the user and four people) is read concurrently: a read that had to
    wait for another to finish (a second round trip) would break the barrier."""
    people = [f"p{n}@example.com" for n in range(4)]
    together = threading.Barrier(5, timeout=5)
    concurrent: list[bool] = []

    def get(path, params):
        try:
            together.wait()
            concurrent.append(True)
        except threading.BrokenBarrierError:
            concurrent.append(False)
        return {"items": []}

    client = SimpleNamespace(transport=SimpleNamespace(get=get))
    owners = {"me@example.com": True, **dict.fromkeys(people, False)}
    assert status_notes(client, owners, START, START + timedelta(days=5),
                        ZoneInfo("Europe/Berlin")) == []
    assert concurrent == [True] * 5
