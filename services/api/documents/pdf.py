"""The documents as PDF, drawn by fpdf2 (pure Python: no browser, no service at run time)
on ``paper.Paper``. The text is the HTML's, from the same values and the same words
(``Words``). Labels are laid out for an A4 sheet of 3 × 8 labels of 70 × 37 mm.
"""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from services.api.documents.model import (
    Goods,
    NoteDocument,
    PickList,
    SheetDocument,
    SheetStop,
)
from services.api.documents.paper import FONT, Paper, fit
from services.api.documents.words import Words

LABEL_W, LABEL_H, LABEL_COLUMNS, LABEL_ROWS = 70.0, 37.0, 3, 8


def pick_lists(lists: list[PickList], language: str, zone: str) -> bytes:
    words = Words(language, zone)
    paper = Paper(words, words("Pick list"))
    if not lists:
        paper.add_page()
        paper.h1(words("Pick list"))
        paper.para(words("Nothing to pack for this delivery."))
    for pick in lists:
        paper.add_page()
        paper.on_labels = False
        _pick_list(paper, words, pick)
        if pick.lines:
            _labels(paper, words, pick)
    return bytes(paper.output())


def _pick_list(paper: Paper, words: Words, pick: PickList) -> None:
    h = pick.heading
    paper.h1(f"{words('Pick list')} · {pick.producer.name}")
    paper.para(
        f"{h.network} · {words('delivery {date}', date=words.day(h.delivery_date))} · "
        f"{words('run {n}', n=h.run_version)}"
    )
    if pick.peer_orders:  # as the printable page has them, before this run's packs
        paper.h2(words("Orders from peer deployments"))
        paper.grid(
            [
                words("Deployment and network"),
                words("Delivery"),
                words("Product"),
                words("Packs"),
                words("Pack size"),
            ],
            [
                [
                    f"{line.peer} · {line.network}",
                    words.day(line.delivery_date),
                    line.product,
                    str(line.packs),
                    str(line.pack_units),
                ]
                for line in pick.peer_orders
            ],
            (50, 25, 55, 25, 25),
            right=(3, 4),
        )
    if not pick.offers:
        paper.para(words("Nothing to pack for this delivery."))
        return
    paper.para(
        words(
            "The goods go via the hub: hand over whole packs; the hub splits them between "
            "the co-ops. Stick the labels on the packs only if the hub asks you to."
        )
        if pick.split_by == "hub"
        else words(
            "The van takes the goods straight to the co-ops: split each pack as below, into "
            "one crate per co-op and product, and stick the crate's label on it."
        )
    )
    paper.h2(words("Packs and how each is split"))
    for offer in pick.offers:
        shares = ", ".join(f"{p.coop} {words.qty(p.units, offer.measure)}" for p in offer.coops)
        size = words.qty(offer.pack_units, offer.measure)
        paper.h3(
            f"{offer.product}: {words('{packs} packs of {size}', packs=offer.packs, size=size)}"
            f" — {shares}"
        )
        rows, first = [], 1
        for group in offer.split:
            numbers = str(first) if group.packs == 1 else f"{first}–{first + group.packs - 1}"
            first += group.packs
            (only, *more) = group.portions
            if not more and only.units == offer.pack_units:
                whole = words("{coop}: the whole pack", coop=only.coop)
                rows.append([numbers, whole + (f" ({words('each')})" if group.packs > 1 else "")])
            else:
                parts = ", ".join(
                    f"{p.coop} {words.qty(p.units, offer.measure)}" for p in group.portions
                )
                rows.append([numbers, parts])
        paper.grid([words("Pack"), words("Goes to")], rows, (30, 150))
        paper.para(
            words(
                "Value: {packs} × {price} = {total}",
                packs=offer.packs,
                price=words.kr(offer.price_per_pack_ore),
                total=words.kr(offer.value_ore),
            )
        )
    paper.h2(words("Who gets what, and when it is picked up"))
    paper.grid(
        [
            words("For co-op"),
            words("Product"),
            words("Quantity"),
            words("Picked up"),
            words("Vehicle"),
        ],
        [
            [
                line.coop,
                line.product,
                words.qty(line.units, line.measure),
                words.time(line.pickup_at),
                line.vehicle or words("not planned"),
            ]
            for line in pick.lines
        ],
        (50, 40, 25, 25, 40),
        right=(2,),
        total=[words("Value of the packs"), "", "", "", words.kr(pick.value_ore)],
    )


def _labels(paper: Paper, words: Words, pick: PickList) -> None:
    """One label per co-op and product, 3 × 8 to an A4 sheet, from its top left corner."""
    paper.set_auto_page_break(auto=False)
    day = words("Delivery {date}", date=words.day(pick.heading.delivery_date))
    for index, line in enumerate(pick.labels):
        slot = index % (LABEL_COLUMNS * LABEL_ROWS)
        if slot == 0:
            paper.add_page()
            paper.on_labels = True
        x = (slot % LABEL_COLUMNS) * LABEL_W + 4
        y = (slot // LABEL_COLUMNS) * LABEL_H + 3.5
        van = line.vehicle or words("not planned")
        if line.pickup_at:
            van += ", " + words("picked up {time}", time=words.time(line.pickup_at))
        paper.set_xy(x, y)
        paper.set_font(FONT, "B", 12)
        paper.cell(LABEL_W - 8, 6, fit(paper, line.coop, LABEL_W - 8))
        paper.set_xy(x, y + 7)
        paper.set_font(FONT, "B", 10.5)
        what = f"{line.product}: {words.qty(line.units, line.measure)}"
        paper.cell(LABEL_W - 8, 5.5, fit(paper, what, LABEL_W - 8))
        paper.set_font(FONT, size=9)
        for row, text in enumerate(
            [day, van, words("From {producer}", producer=pick.producer.name)]
        ):
            paper.set_xy(x, y + 13 + row * 5)
            paper.cell(LABEL_W - 8, 5, fit(paper, text, LABEL_W - 8))
    paper.set_font(FONT, size=10)
    paper.set_auto_page_break(auto=True, margin=18)


def delivery_notes(notes: list[NoteDocument], language: str, zone: str) -> bytes:
    words = Words(language, zone)
    paper = Paper(words, words("Delivery note"))
    if not notes:
        paper.add_page()
        paper.h1(words("Delivery note"))
        paper.para(words("Nothing reaches you in this delivery."))
    for note in notes:
        paper.add_page()
        _note(paper, words, note)
    return bytes(paper.output())


def _note(paper: Paper, words: Words, note: NoteDocument) -> None:
    h, t = note.heading, note.transport
    paper.h1(f"{words('Delivery note')} · {note.coop.name}")
    where = f"{note.coop.address} · " if note.coop.address else ""
    paper.para(
        f"{where}{h.network} · {words('delivery {date}', date=words.day(h.delivery_date))} · "
        f"{words('run {n}', n=h.run_version)}"
    )
    paper.h2(words("Delivered"))
    if note.lines:
        paper.grid(
            [
                words("Product"),
                words("From"),
                words("Quantity"),
                words("Unit price"),
                words("Amount"),
                words("Arrives"),
            ],
            [
                [
                    line.product,
                    line.producer,
                    words.qty(line.units, line.measure),
                    words.unit_price(line.price_per_pack_ore, line.pack_units, line.measure),
                    words.kr(line.amount_ore),
                    words.time(line.arrives_at) + (f", {line.vehicle}" if line.vehicle else "")
                    if line.arrives_at
                    else words("not planned"),
                ]
                for line in note.lines
            ],
            (35, 35, 22, 27, 25, 36),
            right=(2, 3, 4),
            total=[words("Goods"), "", "", "", words.kr(note.goods_ore), ""],
        )
        paper.para(
            words(
                "The unit price is the pack's price divided by its units; each amount is "
                "your share of the packs' price, to the öre."
            ),
            size=8.5,
        )
    else:
        paper.para(words("Nothing reaches you in this delivery."))
    if note.short:
        paper.h2(words("Ordered but not delivered"))
        paper.grid(
            [
                words("Product"),
                words("Ordered"),
                words("Delivered"),
                words("Missing"),
                words("Why"),
            ],
            [
                [
                    line.product,
                    words.qty(line.ordered, line.measure)
                    + (f" (+{words.qty(line.tolerance, line.measure)})" if line.tolerance else ""),
                    words.qty(line.delivered, line.measure),
                    words.qty(line.short, line.measure),
                    words.reason(line),
                ]
                for line in note.short
            ],
            (32, 26, 22, 20, 80),
            right=(1, 2, 3),
        )
    paper.h2(words("Transport"))
    if t.routes:
        paper.para(
            words(
                "The van brings your goods on a route shared with other co-ops. Delivering to "
                "you alone would cost {alone}; your share of the shared route is {share}, so "
                "you save {saved}.",
                alone=words.kr(t.alone_ore),
                share=words.kr(t.share_ore),
                saved=words.kr(t.saved_ore),
            )
            if t.saved_ore
            else words(
                "Your share of the route, {share}, is what delivering to you alone would cost.",
                share=words.kr(t.share_ore),
            )
        )
        paper.figures(
            [
                (words("Delivering to you alone"), words.kr(t.alone_ore)),
                (words("Your share"), words.kr(t.share_ore)),
                (words("You save"), words.kr(t.saved_ore)),
            ]
        )
    else:
        paper.para(words("No transport is charged to you in this delivery."))
    paper.h2(words("To pay"))
    paper.figures(
        [
            (words("Goods"), words.kr(note.goods_ore)),
            (words("Transport share"), words.kr(t.share_ore)),
            (words("Total"), words.kr(note.total_ore)),
        ],
        bold_last=True,
    )


def route_sheet(sheet: SheetDocument, language: str) -> bytes:
    h = sheet.heading
    words = Words(language, h.zone)
    title = words("Route sheet {n}", n=sheet.route_no)
    paper = Paper(words, title)
    paper.add_page()
    van = sheet.vehicle or words("{producer}'s own van", producer=sheet.producer)
    paper.h1(f"{title} · {van}")
    paper.para(
        f"{h.network} · {words.day(h.delivery_date)} · {words.km(sheet.distance_m)}, "
        f"{words.hours(sheet.duration_s)}"
    )
    start = sheet.start or "–"
    if sheet.starts_at_hub:
        start = words("the hub") + (f", {h.hub_address}" if h.hub_address else "")
    pairs = [(words("Start"), start)]
    if h.hub_address:
        pairs.append((words("Hub"), h.hub_address))
    pairs.append((words("Leave at"), words.time(sheet.stops[0].departure_at)))
    for label, value in pairs:
        paper.set_font(FONT, "B", 10)
        paper.cell(30, 6, label)
        paper.set_font(FONT, size=10)
        paper.multi_cell(0, 6, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for stop in sheet.stops:
        paper.h3("☐  " + _stop_title(words, stop))
        lines = []
        if stop.handover:
            lines.append(words("Hand-over point of {peer}", peer=stop.handover))
        if stop.address:
            lines.append(stop.address)
        if stop.phone:
            lines.append(f"{words('Phone')}: {stop.phone}")
        lines += ["• " + _goods(words, stop, g) for g in stop.goods]
        if stop.role not in ("start", "end"):
            lines.append(words("On board when leaving: {kg}", kg=words.kg(stop.load_grams)))
        for text in lines:
            paper.set_x(paper.l_margin + 6)
            paper.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(paper.output())


def _goods(words: Words, stop: SheetStop, goods: Goods) -> str:
    """What is loaded or unloaded: for whom at a farm, from whom at a co-op, both at the hub."""
    qty = words.qty(goods.units, goods.measure)
    names = {"product": goods.product, "qty": qty, "producer": goods.producer, "coop": goods.coop}
    if stop.role == "hub":
        return words("{product} {qty} from {producer} for {coop}", **names)
    if stop.kind == "pickup":
        return words("{product} {qty} for {coop}", **names)
    return words("{product} {qty} from {producer}", **names)


def _stop_title(words: Words, stop: SheetStop) -> str:
    at = words.time(stop.arrival_at)
    if stop.departure_at != stop.arrival_at:
        at += "–" + words.time(stop.departure_at)
    if stop.role == "start":
        what = words("Start")
    elif stop.role == "end":
        what = words("End")
    elif stop.role == "hub":
        what = words("Hub: unload") if stop.kind == "delivery" else words("Hub: load")
    elif stop.kind == "pickup":
        what = words("Pick up at {name}", name=stop.name)
    else:
        what = words("Deliver to {name}", name=stop.name)
    return f"{at} · {what}"
