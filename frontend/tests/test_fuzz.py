from polystatus.fuzzing import fuzz


def test_no_generated_request_gets_a_server_error_or_an_off_contract_answer(app):
    # The backends are the loopback stand-ins: the proxy's answers are theirs, passed through.
    assert fuzz(app, max_examples=15) >= 10
