"""Event contracts: what a consumer reads, its producer declares; what breaks a contract is named."""
import pytest
from polystatus.contracts import CONTRACTS, READS, ContractError, check


@pytest.mark.parametrize("consumer", sorted(READS))
def test_every_field_a_consumer_reads_is_declared_by_its_producer(consumer):
    for stream, types in READS[consumer].items():
        for type_, fields in types.items():
            contract = CONTRACTS[stream][type_]
            assert fields <= {*contract.fields, *contract.optional}, (consumer, stream, type_)


def test_an_event_missing_a_field_or_carrying_an_undeclared_one_is_named():
    with pytest.raises(ContractError, match="email missing, nickname undeclared"):
        check("users", "user.deleted", {"user_id": "u1", "nickname": "x"})


def test_a_field_of_the_wrong_kind_is_named_and_a_boolean_is_not_a_number():
    good = {"component_id": "c1", "name": "API", "state": "problems_detected", "previous_state": "no_problems",
            "count": 12, "baseline": 1.5, "top_problems": [], "at": "2026-01-05T12:00:00.000Z"}
    check("incidents", "reports.spike", good)
    with pytest.raises(ContractError, match="count is bool"):
        check("incidents", "reports.spike", {**good, "count": True})
    with pytest.raises(ContractError, match="baseline is str"):
        check("incidents", "reports.spike", {**good, "baseline": "1.5"})


def test_an_undeclared_type_or_stream_is_refused():
    with pytest.raises(ContractError, match="not a declared event type"):
        check("incidents", "incident.exploded", {})
    with pytest.raises(ContractError, match="no contract"):
        check("billing", "invoice.paid", {})
