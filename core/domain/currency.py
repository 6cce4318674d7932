"""Reference data: ISO 4217 currencies in circulation and their minor units (decimal places).

Shipped in code so that validation is the same on every machine. Precious metals, testing codes and
units of account without a minor unit (XAU, XDR, XTS, XXX…) are not currencies a price is paid in
and are refused.
"""

from __future__ import annotations

from farmgate.core.domain.errors import InvalidInput

_BY_MINOR_UNIT = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: """
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF
CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL
MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR
PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP
TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG""",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

#: ISO 4217 alphabetic code -> number of decimal places of its minor unit
MINOR_UNITS: dict[str, int] = {
    code: digits for digits, codes in _BY_MINOR_UNIT.items() for code in codes.split()
}


def check_currency(value: str, field: list[str]) -> str:
    """An ISO 4217 code of a currency in circulation, upper-cased ("eur" is taken as "EUR")."""
    code = value.strip().upper()
    if code not in MINOR_UNITS:
        raise InvalidInput(f"{field[-1]} must be an ISO 4217 currency code, e.g. EUR, CZK, VND", field)
    return code


#: Vietnam's currency, the only one a domestic storefront quotes or an order on it is priced in
DOMESTIC_CURRENCY = "VND"


def check_domestic_currency(currency: str, field: list[str]) -> str:
    """``currency`` if it is VND, else InvalidInput at ``field``.

    Postmart and Voso sell in Vietnam, where prices may not be quoted, listed or advertised in a foreign
    currency (Ordinance on Foreign Exchange 28/2005/PL-UBTVQH11 as amended by 06/2013/UBTVQH13, art. 22;
    State Bank Circular 32/2013/TT-NHNN, art. 3). Export orders, sold abroad, are not domestic.
    """
    if currency != DOMESTIC_CURRENCY:
        raise InvalidInput(f"Domestic prices are in {DOMESTIC_CURRENCY} only; this one is in {currency}", field)
    return currency
