"""A network's catalogue: the product categories, one controlled list.

The pages' select offers these and the API refuses others, so a network's catalogue
groups the same way whoever keeps it. The values are the stored words (Swedish, as the
networks' spreadsheets write them); the pages show them as ``category:<value>``.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "grönsaker",
    "rotfrukter",
    "frukt",
    "bär",
    "mejeri",
    "ägg",
    "kött",
    "fisk",
    "spannmål",
    "bröd",
    "skafferi",
    "dryck",
    "övrigt",
)

# Each category's VAT class (services/matcher/engine/settlement/vat.py): all of them are
# food (livsmedel) but "övrigt", which may hold anything and is taxed at the standard
# rate unless the network says otherwise. Drinks are food; a network selling wine or
# strong beer keeps it under "övrigt".
CATEGORY_VAT_CLASS: dict[str, str] = {
    **{category: "food" for category in CATEGORIES},
    "övrigt": "standard",
}
