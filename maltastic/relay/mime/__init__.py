"""Byte-exact insertion of email signatures into raw MIME messages.

`insert_signature` takes the raw message and returns either the message with the HTML
and text signatures spliced into its bodies, or the original bytes with the reason they
pass through unchanged. Only the signed body parts, their charset and
Content-Transfer-Encoding values, and one added `X-Maltastic-Processed` header differ
from the input.
"""

from maltastic.relay.mime.html_placement import SIGNATURE_MARKER, SIGNATURE_MARKER_ATTRIBUTE
from maltastic.relay.mime.model import PassThroughCode, Signature, SpliceAction, SpliceResult
from maltastic.relay.mime.pipeline import insert_signature
from maltastic.relay.mime.skip import PROCESSED_HEADER

__all__ = [
    "PROCESSED_HEADER",
    "SIGNATURE_MARKER",
    "SIGNATURE_MARKER_ATTRIBUTE",
    "PassThroughCode",
    "Signature",
    "SpliceAction",
    "SpliceResult",
    "insert_signature",
]
