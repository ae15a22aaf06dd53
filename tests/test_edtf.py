"""The strict EDTF subset, with the edtf package as an oracle where it is right."""

from datetime import date

import edtf as oracle
import pytest

from casd.model.edtf import EDTFError, parse


@pytest.mark.parametrize(
    "text,start,end,precision,unc,approx",
    [
        ("2015-07-16", date(2015, 7, 16), date(2015, 7, 16), "day", False, False),
        ("2014-12", date(2014, 12, 1), date(2014, 12, 31), "month", False, False),
        ("2015", date(2015, 1, 1), date(2015, 12, 31), "year", False, False),
        ("2015-03~", date(2015, 3, 1), date(2015, 3, 31), "month", False, True),
        ("2014-12-23?", date(2014, 12, 23), date(2014, 12, 23), "day", True, False),
        ("2014-02%", date(2014, 2, 1), date(2014, 2, 28), "month", True, True),
        ("2014-10/2014-12", date(2014, 10, 1), date(2014, 12, 31), "interval", False, False),
        ("2015-07-16/..", date(2015, 7, 16), None, "interval", False, False),
        ("2015-07-16/", date(2015, 7, 16), None, "interval", False, False),
        ("../2001", None, date(2001, 12, 31), "interval", False, False),
        ("XXXX-08-22", None, None, "day-unknown-year", False, False),
        ("201X", date(2010, 1, 1), date(2019, 12, 31), "decade", False, False),
        ("2016-02-29", date(2016, 2, 29), date(2016, 2, 29), "day", False, False),
        # unspecified digits: the precision is what is known, as the codebook defines it
        ("20XX", date(2000, 1, 1), date(2099, 12, 31), "century", False, False),
        ("2015-XX", date(2015, 1, 1), date(2015, 12, 31), "year", False, False),
        ("2015-07-XX", date(2015, 7, 1), date(2015, 7, 31), "month", False, False),
        ("XXXX-08", None, None, "month-unknown-year", False, False),
    ],
)
def test_bounds_and_precision(text, start, end, precision, unc, approx):
    p = parse(text)
    assert (p.start, p.end, p.precision, p.uncertain, p.approximate) == (start, end, precision, unc, approx)


@pytest.mark.parametrize("text", ["2015-07-16", "2014-12", "2015", "2014-10/2014-12", "2014-12-23?", "2015-03~", "201X"])
def test_agrees_with_the_edtf_package_on_strict_bounds(text):
    ours = parse(text)
    theirs = oracle.parse_edtf(text)
    lo, hi = oracle.struct_time_to_date(theirs.lower_strict()), oracle.struct_time_to_date(theirs.upper_strict())
    assert (ours.start, ours.end) == (lo, hi)


@pytest.mark.parametrize(
    "text",
    ["2015-13", "2015-02-30", "2015-7-16", "16/07/2015", "2015-07-16 ", "XXXX", "2015/2014", "/", "../..", "2015-XX-16", "0000", "July 2015", ""],
)
def test_rejects(text):
    with pytest.raises(EDTFError):
        parse(text)


@pytest.mark.parametrize("text", ["2015-07-16", "2014-12", "2015", "201X", "20XX"])
def test_agrees_with_the_edtf_package_on_precision_where_digits_are_known(text):
    assert parse(text).precision == oracle.parse_edtf(text).precision


def test_every_precision_is_a_value_of_its_vocabulary():
    from casd.model.vocab import DatePrecision

    for text in ("2015", "2015-07", "2015-07-16", "201X", "20XX", "XXXX-08", "XXXX-08-22", "2014/2015"):
        assert parse(text).precision in set(DatePrecision)
