import re

from panel.auth.pkce import new_nonce, new_state, new_verifier, s256_challenge


def test_s256_matches_rfc7636_appendix_b():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_is_long_enough_and_unreserved():
    verifier = new_verifier()
    assert 43 <= len(verifier) <= 128
    assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)


def test_random_values_differ_each_time():
    assert len({new_verifier() for _ in range(50)}) == 50
    assert len({new_state() for _ in range(50)}) == 50
    assert len({new_nonce() for _ in range(50)}) == 50
    assert len(new_state()) >= 32
