"""A network's product catalogue: coordinators keep it, every member reads it."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.products.schemas import ProductIn, ProductOut
from shared.db import networks as networks_db
from shared.db import products as products_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, NotFoundError, TenantDeniedError


class ProductService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def create(self, actor: Actor, network_id: UUID, data: ProductIn) -> ProductOut:
        await self._network(actor, network_id, manage=True)
        async with self.conn.transaction():
            try:
                row = await products_db.insert_product(
                    self.conn, network_id, msgspec.structs.asdict(data)
                )
            except asyncpg.UniqueViolationError:
                raise ConflictError(
                    "the network already has a product named '{name}'", values={"name": data.name}
                ) from None
            await record(
                self.conn, actor, "product.create", "product", row["id"], network_id=network_id
            )
        return product_out(row)

    async def create_many(
        self, actor: Actor, network_id: UUID, items: list[ProductIn]
    ) -> list[ProductOut]:
        """A catalogue import: every product or none. A name the catalogue (or an earlier
        row) already has is refused with the rows it is on (``extra["rows"]``, 1-based)."""
        await self._network(actor, network_id, manage=True)
        taken = await products_db.select_product_names(self.conn, network_id)
        seen: set[str] = set()
        clashes = []
        for number, item in enumerate(items, start=1):
            name = item.name.casefold()
            if name in taken or name in seen:
                clashes.append(number)
            seen.add(name)
        if clashes:
            raise ConflictError("the catalogue already has a product by that name", rows=clashes)
        try:
            async with self.conn.transaction():
                rows = [
                    await products_db.insert_product(
                        self.conn, network_id, msgspec.structs.asdict(item)
                    )
                    for item in items
                ]
                for row in rows:
                    await record(
                        self.conn,
                        actor,
                        "product.create",
                        "product",
                        row["id"],
                        network_id=network_id,
                    )
        except asyncpg.UniqueViolationError:  # added meanwhile by someone else
            raise ConflictError("the catalogue already has a product by that name") from None
        return [product_out(row) for row in rows]

    async def update(self, actor: Actor, product_id: UUID, data: ProductIn) -> ProductOut:
        """All of a current product's values at once. Offers and demand that name it
        follow it: the catalogue says what a product is."""
        current = await self._managed_product(actor, product_id)
        async with self.conn.transaction():
            try:
                row = await products_db.update_product(
                    self.conn, current["network_id"], product_id, msgspec.structs.asdict(data)
                )
            except asyncpg.UniqueViolationError:
                raise ConflictError(
                    "the network already has a product named '{name}'", values={"name": data.name}
                ) from None
            if row is None:
                raise NotFoundError("no such product")
            await record(
                self.conn,
                actor,
                "product.update",
                "product",
                product_id,
                network_id=current["network_id"],
            )
        return product_out(row)

    async def retire(self, actor: Actor, product_id: UUID) -> None:
        """Out of the catalogue members choose from; what already names it keeps it."""
        current = await self._managed_product(actor, product_id)
        async with self.conn.transaction():
            if not await products_db.retire_product(self.conn, current["network_id"], product_id):
                raise NotFoundError("no such product")
            await record(
                self.conn,
                actor,
                "product.retire",
                "product",
                product_id,
                network_id=current["network_id"],
            )

    async def list_products(
        self, actor: Actor, network_id: UUID, *, retired: bool = False
    ) -> list[ProductOut]:
        """The catalogue; ``retired`` adds the products taken out of it, for what
        already names them (a round's lines, a run's result)."""
        await self._network(actor, network_id, manage=False)
        rows = await products_db.select_products(self.conn, network_id, retired=retired)
        return [product_out(row) for row in rows]

    async def get(self, actor: Actor, product_id: UUID) -> ProductOut:
        row = await products_db.select_product(self.conn, product_id)
        if row is None:
            raise NotFoundError("no such product")
        if not actor.member_of(row["network_id"]):
            raise TenantDeniedError("no such product")
        return product_out(row)

    async def _managed_product(self, actor: Actor, product_id: UUID) -> asyncpg.Record:
        """A current product of a network the actor coordinates; 404 otherwise."""
        row = await products_db.select_product(self.conn, product_id)
        if row is None or row["retired_at"] is not None:
            raise NotFoundError("no such product")
        if not actor.coordinates(row["network_id"]):
            raise TenantDeniedError("no such product")
        return row

    async def _network(self, actor: Actor, network_id: UUID, *, manage: bool) -> None:
        if await networks_db.select_network(self.conn, network_id) is None:
            raise NotFoundError("no such network")
        allowed = actor.coordinates(network_id) if manage else actor.member_of(network_id)
        if not allowed:
            raise TenantDeniedError("no such network")


def product_out(row: asyncpg.Record) -> ProductOut:
    return as_struct(row, ProductOut)
