"""JSON records and units of work on a real redis-server."""
import pytest
from polystatus.records import Records
from polystatus.redis_store import atomic, connect


@pytest.fixture()
def r(redis_url):
    return connect(redis_url)


def test_records_in_a_set_are_saved_listed_and_deleted(r):
    channels = Records("channel", "channels")
    channels.save(r, {"id": "b", "name": "Ops"})
    channels.save(r, {"id": "a", "name": "Dev"})
    assert channels.get(r, "a") == {"id": "a", "name": "Dev"} and channels.get(r, "zz") is None
    assert [c["id"] for c in channels.all(r)] == ["a", "b"]
    channels.delete(r, "a")
    assert [c["id"] for c in channels.all(r)] == ["b"] and r.get("channel:a") is None


def test_records_in_a_sorted_set_are_listed_by_their_score_either_way(r):
    banners = Records("banner", "banners", ordered=True)
    for record_id, score in (("old", 1), ("new", 3), ("mid", 2)):
        banners.save(r, {"id": record_id}, score, durable=False)
    assert [b["id"] for b in banners.all(r)] == ["old", "mid", "new"]
    assert [b["id"] for b in banners.all(r, newest_first=True)] == ["new", "mid", "old"]


def test_a_unit_of_work_that_raises_writes_nothing(r):
    templates = Records("incident-template", "incident-templates")
    with pytest.raises(RuntimeError), atomic(r) as pipe:
        templates.queue_save(pipe, {"id": "t1"})
        raise RuntimeError("the flow changed its mind")
    assert templates.all(r) == [] and r.exists("incident-template:t1") == 0
    with atomic(r, durable=True) as pipe:
        templates.queue_save(pipe, {"id": "t1"})
    assert templates.get(r, "t1") == {"id": "t1"}
