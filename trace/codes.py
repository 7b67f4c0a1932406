"""Unguessable public codes: Crockford's base32 alphabet (digits and capitals without I, L, O, U), so a code
read aloud or typed from a label survives, and every character is valid GS1 CSET 82 needing no percent-encoding."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(length: int) -> str:
    """``length`` characters, 5 random bits each."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
