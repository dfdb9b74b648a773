"""The labels' faster Reed-Solomon remainder answers exactly what reportlab's own does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.graphics.barcode import qrencoder

from chalicelib.adapters import reportlab_labels

reportlab_labels._speed_up_qr_encoder(qrencoder)
REPORTLAB_MOD = reportlab_labels._GF256["reportlab_mod"]
codewords = st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=160)


@settings(max_examples=400, deadline=None)
@given(data=codewords, ec_count=st.sampled_from([7, 10, 13, 15, 16, 17, 18, 20, 22, 24, 26, 28, 30]))
def test_the_remainder_is_reportlabs_for_every_block(data: list[int], ec_count: int) -> None:
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count)
    raw = qrencoder.QRPolynomial(data, generator.getLength() - 1)
    assert reportlab_labels._rs_remainder(raw, generator).num == REPORTLAB_MOD(raw, generator).num


def test_the_encoder_uses_it() -> None:
    assert qrencoder.QRPolynomial.mod is reportlab_labels._rs_remainder
    assert REPORTLAB_MOD is not None and REPORTLAB_MOD is not reportlab_labels._rs_remainder
