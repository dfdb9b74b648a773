"""ISO 4217 currencies and how many decimals Stripe counts in their minor unit."""

from __future__ import annotations

# Active ISO 4217 codes (2026). Funds codes, metals and test codes are not money a shopper pays in.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

# Stripe's zero-decimal currencies: an amount of 3300 JPY is ¥3,300, not ¥33.00.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)

# Stripe's three-decimal currencies.
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


def is_known_currency(code: str) -> bool:
    """True for an upper-case ISO 4217 code we accept."""
    return code in ISO_4217


def minor_unit_exponent(code: str) -> int:
    """Decimals between the minor unit and the major unit, as Stripe counts them."""
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2
