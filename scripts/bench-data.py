#!/usr/bin/env python3
"""Deterministic benchmark data for renewal-recon: one day of N card settlements.

    scripts/bench-data.py N SEED OUTDIR

Writes, for the run date 2026-11-20 (Python 3 standard library only, seeded with
random.Random(SEED): the same N and SEED give the same bytes):

  OUTDIR/orders.csv             the shop's pending renewal orders
  OUTDIR/licenses.csv           the licenses they renew
  OUTDIR/inbox/settlement-NNN.xml
                                camt.054.001.08 notifications, at most 100,000
                                transactions per file, bookings 2026-11-16 .. 2026-11-20
                                (N/5 a day), entries (Ntry, BOOK) of 1-50 TxDtls, each
                                TxDtls about 500 bytes

About 95% of the transactions are clean matches (lag 0-5, amount equal, license found,
renewal of the same product, no automatic renewal, expiry 2026-12-01 .. 2027-03-31);
the rest is spread over: unknown_order, amount_mismatch, late_settlement (lag 7),
settled_before_order, missing_reference (EndToEndId NOTPROVIDED, no order id in Ustrd),
refund_or_chargeback (DBIT entries naming an order settled before), license_not_found,
and foreign descriptors (no exception). Every order is placed 2026-11-15 .. 2026-11-19
(late ones 11-09 .. 11-13), so the sweep of 2026-11-20 finds nothing overdue.
License serials are scattered over the licenses, unrelated to the order and transaction
numbers: a license is renewed years after it was sold, so a night's renewals fall all
over the serial range, and so do the writes to the licenses and their extensions.
Prints one summary line (counts and bytes).
"""
import math
import os
import sys
import random

DAYS = ["2026-11-%02d" % d for d in range(9, 21)]   # index 0 = 2026-11-09
BOOKING_DAYS = list(range(16, 21))                  # 2026-11-16 .. 2026-11-20
FILE_MAX = 100_000
NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"

# Products (SPEC §4) with their weight among licenses, and prices in JPY for 1, 2, 3 years.
PRODUCTS = [
    ("VBC", 60, (5980, 10780, 15980)),
    ("VBC-DLS", 10, (8980, 16780, 23980)),
    ("TS-STD", 10, (6980, 12580, 17980)),
    ("TS-PRM", 10, (7980, 14380, 20980)),
    ("TS-STD-FB", 5, (8480, 15280, 21980)),
    ("TS-PRM-FB", 5, (9480, 17080, 24980)),
]
PRODUCT_PICK = [p for p in PRODUCTS for _ in range(p[1])]   # 100 slots

# Non-clean categories, share of all transactions in percent (sum 5.0).
CLEAN = "clean"
CATEGORIES = [
    ("unknown_order", 0.8),
    ("amount_mismatch", 0.8),
    ("late_settlement", 0.6),
    ("settled_before_order", 0.5),
    ("missing_reference", 0.6),
    ("refund_or_chargeback", 0.5),
    ("license_not_found", 0.6),
    ("foreign", 0.6),
]
THRESHOLDS = []
_acc = 0.0
for _name, _pct in CATEGORIES:
    _acc += _pct / 100.0
    THRESHOLDS.append((_acc, _name))

FOREIGN = ["AMAZON MKTPLACE JP", "APPLE.COM/BILL", "GOOGLE *YOUTUBE", "NETFLIX.COM TOKYO",
           "RAKUTEN PAY", "MERCARI SHOP"]
GIVEN = ["TARO", "HANAKO", "HIROSHI", "YUKI", "KENJI", "AKIKO", "DAISUKE", "MISAKI",
         "NAOKI", "SAKURA", "TAKESHI", "YOKO", "RYO", "EMI", "SHOTA", "AYA"]
FAMILY = ["SATO", "SUZUKI", "TAKAHASHI", "TANAKA", "WATANABE", "ITO", "YAMAMOTO",
          "NAKAMURA", "KOBAYASHI", "KATO", "YOSHIDA", "YAMADA", "SASAKI", "MATSUMOTO"]
NAMES = [g + " " + f for g in GIVEN for f in FAMILY]
BRANDS = ["VISA", "MASTERCARD", "JCB", "AMEX", "DINERS"]

TX = """<TxDtls>
<Refs>
<AcctSvcrRef>%s</AcctSvcrRef>
<EndToEndId>%s</EndToEndId>
</Refs>
<Amt Ccy="JPY">%d</Amt>
<CdtDbtInd>%s</CdtDbtInd>
<RltdPties>
<Dbtr>
<Pty>
<Nm>%s</Nm>
</Pty>
</Dbtr>
<DbtrAcct>
<Id>
<Othr>
<Id>TKN%012X</Id>
</Othr>
</Id>
</DbtrAcct>
</RltdPties>
<RmtInf>
<Ustrd>%s</Ustrd>
</RmtInf>
<AddtlTxInf>%s CARD SETTLEMENT AUTH %06d TERMINAL RCH-EC-TRENDMICRO-JP</AddtlTxInf>
</TxDtls>
"""

ENTRY_HEAD = """<Ntry>
<NtryRef>RCH-PO-%s-%06d</NtryRef>
<Amt Ccy="JPY">%d</Amt>
<CdtDbtInd>%s</CdtDbtInd>
<RvslInd>false</RvslInd>
<Sts>
<Cd>BOOK</Cd>
</Sts>
<BookgDt>
<Dt>%s</Dt>
</BookgDt>
<ValDt>
<Dt>%s</Dt>
</ValDt>
<AcctSvcrRef>RCH-BK-%s-%06d</AcctSvcrRef>
<BkTxCd>
<Prtry>
<Cd>%s</Cd>
</Prtry>
</BkTxCd>
<NtryDtls>
<Btch>
<NbOfTxs>%d</NbOfTxs>
<TtlAmt Ccy="JPY">%d</TtlAmt>
<CdtDbtInd>%s</CdtDbtInd>
</Btch>
"""
ENTRY_TAIL = """</NtryDtls>
</Ntry>
"""

FILE_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="%s">
<BkToCstmrDbtCdtNtfctn>
<GrpHdr>
<MsgId>RCH-C054-%s-%03d</MsgId>
<CreDtTm>%sT23:45:00+09:00</CreDtTm>
</GrpHdr>
<Ntfctn>
<Id>RCH-NTF-%s-%03d</Id>
<CreDtTm>%sT23:45:00+09:00</CreDtTm>
<FrToDt>
<FrDtTm>%sT00:00:00+09:00</FrDtTm>
<ToDtTm>%sT23:59:59+09:00</ToDtTm>
</FrToDt>
<Acct>
<Id>
<Othr>
<Id>0005-231-4407128</Id>
</Othr>
</Id>
</Acct>
"""
FILE_TAIL = """</Ntfctn>
</BkToCstmrDbtCdtNtfctn>
</Document>
"""


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: bench-data.py N SEED OUTDIR")
    n = int(sys.argv[1])
    seed = int(sys.argv[2])
    outdir = sys.argv[3]
    if n < 1:
        sys.exit("N must be at least 1")
    rng = random.Random(seed)
    rnd = rng.random
    inbox = os.path.join(outdir, "inbox")
    os.makedirs(inbox, exist_ok=True)
    for name in os.listdir(inbox):
        if name.startswith("settlement-") and name.endswith(".xml"):
            os.remove(os.path.join(inbox, name))

    orders = open(os.path.join(outdir, "orders.csv"), "w", encoding="utf-8", newline="\n")
    licenses = open(os.path.join(outdir, "licenses.csv"), "w", encoding="utf-8", newline="\n")
    orders.write("order_id,serial,current_product,target_product,years,amount,currency,email,placed_at,payment_method,status\n")
    licenses.write("serial,product,expires_on,auto_renew,email\n")
    order_rows = []
    license_rows = []
    counts = {name: 0 for name, _ in CATEGORIES}
    counts[CLEAN] = 0
    n_orders = n_licenses = n_files = n_entries = 0
    xml_bytes = 0
    last_clean = None   # (order id, amount) of the latest clean order: what a refund names
    entry_seq = 0
    tx_index = 0        # global transaction / order number
    # Serial of order i: (spread * i) mod n, a bijection of 0..n-1 whose neighbours lie far
    # apart (spread near n / golden ratio, coprime with n). Plain arithmetic rather than the
    # seeded generator, so that every other value stays as it was.
    spread = max(1, int(n * 0.6180339887)) | 1
    while math.gcd(spread, n) != 1:
        spread += 2

    def flush_rows():
        orders.write("".join(order_rows))
        licenses.write("".join(license_rows))
        order_rows.clear()
        license_rows.clear()

    def new_order(i, placed_day, product, years, amount, with_license):
        """Writes an order (and its license); returns the order id."""
        nonlocal n_orders, n_licenses
        placed = "2026-11-%02d" % placed_day
        order_id = "RN%s-%07d" % (placed.replace("-", ""), i)
        serial = "TM-%07d" % (spread * i % n)
        email = "user%07d@example.com" % i
        secs = int(rnd() * 86400)
        placed_at = "%sT%02d:%02d:%02d+09:00" % (placed, secs // 3600, secs // 60 % 60, secs % 60)
        order_rows.append("%s,%s,%s,%s,%d,%d,JPY,%s,%s,credit_card,pending\n" % (
            order_id, serial, product, product, years, amount, email, placed_at))
        n_orders += 1
        if with_license:
            # expiry 2026-12-01 .. 2027-03-31 (121 days)
            off = int(rnd() * 121)
            if off < 31:
                expires = "2026-12-%02d" % (off + 1)
            elif off < 62:
                expires = "2027-01-%02d" % (off - 30)
            elif off < 90:
                expires = "2027-02-%02d" % (off - 61)
            else:
                expires = "2027-03-%02d" % (off - 89)
            license_rows.append("%s,%s,%s,false,%s\n" % (serial, product, expires, email))
            n_licenses += 1
        return order_id

    def txdtls(i, ref, amount, direction, ustrd):
        return TX % ("RCH-TX-%010d" % i, ref, amount, direction, NAMES[int(rnd() * len(NAMES))],
                     int(rnd() * 0xFFFFFFFFFFFF), ustrd, BRANDS[int(rnd() * 5)], int(rnd() * 1000000))

    def entry(parts, total, direction, day):
        nonlocal entry_seq, n_entries
        entry_seq += 1
        n_entries += 1
        date = "2026-11-%02d" % day
        compact = date.replace("-", "")
        code = "CARD-SETTLEMENT" if direction == "CRDT" else "CARD-REFUND"
        return (ENTRY_HEAD % (compact, entry_seq, total, direction, date, date, compact, entry_seq, code,
                              len(parts), total, direction)) + "".join(parts) + ENTRY_TAIL

    per_day = [n * (k + 1) // 5 - n * k // 5 for k in range(5)]
    for day_index, day in enumerate(BOOKING_DAYS):
        day_count = per_day[day_index]
        date = "2026-11-%02d" % day
        n_day_files = max(1, -(-day_count // FILE_MAX)) if day_count else 0
        for f in range(n_day_files):
            file_count = day_count * (f + 1) // n_day_files - day_count * f // n_day_files
            n_files += 1
            chunks = [FILE_HEAD % (NS, date.replace("-", ""), f + 1, date, date.replace("-", ""), f + 1, date, date, date)]
            credit, credit_sum, credit_size = [], 0, 1 + int(rnd() * 50)
            debit, debit_sum, debit_size = [], 0, 1 + int(rnd() * 5)
            for _ in range(file_count):
                i = tx_index
                tx_index += 1
                r = rnd()
                category = CLEAN
                if r < THRESHOLDS[-1][0]:
                    for threshold, name in THRESHOLDS:
                        if r < threshold:
                            category = name
                            break
                    if category == "settled_before_order" and day >= 19:
                        category = "late_settlement"   # the order would be placed after 11-19
                    if category == "refund_or_chargeback" and last_clean is None:
                        category = "unknown_order"
                counts[category] += 1
                product, _, prices = PRODUCT_PICK[int(rnd() * 100)]
                y = rnd()
                years = 1 if y < 0.7 else (2 if y < 0.9 else 3)
                amount = prices[years - 1]
                direction = "CRDT"
                if category == CLEAN or category == "amount_mismatch" or category == "license_not_found" \
                        or category == "missing_reference":
                    low = max(15, day - 5)
                    high = min(19, day)
                    placed = low + int(rnd() * (high - low + 1))
                    order_id = new_order(i, placed, product, years, amount, category != "license_not_found")
                    settled = amount
                    if category == "amount_mismatch":
                        settled = amount + (100 * (1 + int(rnd() * 10))) * (1 if rnd() < 0.5 else -1)
                    if category == "missing_reference":
                        ref, ustrd = "NOTPROVIDED", "RCH*TrendMicro"
                    else:
                        ref, ustrd = order_id, "RCH*TrendMicro " + order_id
                    if category == CLEAN:
                        last_clean = (order_id, amount)
                elif category == "late_settlement":
                    order_id = new_order(i, day - 7, product, years, amount, True)
                    settled, ref, ustrd = amount, order_id, "RCH*TrendMicro " + order_id
                elif category == "settled_before_order":
                    placed = min(19, day + 1 + int(rnd() * 2))
                    order_id = new_order(i, placed, product, years, amount, True)
                    settled, ref, ustrd = amount, order_id, "RCH*TrendMicro " + order_id
                elif category == "unknown_order":
                    order_id = "RN2026%04d-%07d" % (1100 + max(15, day - 1 - int(rnd() * 3)), i)
                    settled, ref, ustrd = amount, order_id, "RCH*TrendMicro " + order_id
                elif category == "refund_or_chargeback":
                    order_id, settled = last_clean
                    ref, ustrd, direction = order_id, "RCH*TrendMicro " + order_id, "DBIT"
                else:   # foreign
                    ref = "EXT-%07d" % i
                    settled = 500 + 10 * int(rnd() * 1000)
                    ustrd = FOREIGN[int(rnd() * len(FOREIGN))] + " " + ref
                part = txdtls(i, ref, settled, direction, ustrd)
                if direction == "CRDT":
                    credit.append(part)
                    credit_sum += settled
                    if len(credit) >= credit_size:
                        chunks.append(entry(credit, credit_sum, "CRDT", day))
                        credit, credit_sum, credit_size = [], 0, 1 + int(rnd() * 50)
                else:
                    debit.append(part)
                    debit_sum += settled
                    if len(debit) >= debit_size:
                        chunks.append(entry(debit, debit_sum, "DBIT", day))
                        debit, debit_sum, debit_size = [], 0, 1 + int(rnd() * 5)
                if len(order_rows) >= 50_000:
                    flush_rows()
            if credit:
                chunks.append(entry(credit, credit_sum, "CRDT", day))
            if debit:
                chunks.append(entry(debit, debit_sum, "DBIT", day))
            chunks.append(FILE_TAIL)
            data = "".join(chunks).encode("utf-8")
            chunks = None
            path = os.path.join(inbox, "settlement-%03d.xml" % n_files)
            with open(path + ".tmp", "wb") as out:
                out.write(data)
            os.replace(path + ".tmp", path)
            xml_bytes += len(data)
            data = None
    flush_rows()
    orders.close()
    licenses.close()
    summary = " ".join("%s=%d" % (name, counts[name]) for name in [CLEAN] + [c for c, _ in CATEGORIES])
    print("bench-data: N=%d seed=%d: %d files, %d entries, %.1f MB XML (%.0f bytes/transaction), "
          "%d orders, %d licenses; %s" % (n, seed, n_files, n_entries, xml_bytes / 1e6,
                                           xml_bytes / n, n_orders, n_licenses, summary))


if __name__ == "__main__":
    main()
