"""Money, pure: VAT per rate, invoice and credit-note lines, settlement, OCR, SIE 4.

Like the rest of the engine: no I/O, no clock, integers in öre, and every split adds
up exactly. The API's invoice service loads rows, calls these, and stores the result
in one transaction; the tests check the rules without any server.

- ``vat``: rates per VAT class with the date they take effect; the one rounding rule.
- ``invoices``: a published run's invoices (direct or through the network), and the
  credit notes that receipt differences call for.
- ``netting``: who owes whom per cycle, pair by pair or cleared through the network.
- ``ocr``: Bankgirot's payment reference (Luhn check digit, optional length digit).
- ``sie``: the SIE 4 file a bookkeeping program imports, its parser, and the
  verifications of one organisation's invoices and payments on BAS accounts.
"""
