from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import ANYONE, MANAGERS
from services.api.core.conditional import CREATED_HEADERS, created
from services.api.deps import CurrentActor, Products
from services.api.products.schemas import ProductIn, ProductOut


class ProductController(Controller):
    path = "/v1"
    tags = ["products"]

    @post(
        "/networks/{network_id:uuid}/products",
        guards=[MANAGERS],
        summary="Add a product to the network's catalogue",
        response_headers=CREATED_HEADERS[1:],
    )
    async def create(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[ProductIn],
        actor: CurrentActor,
        products: Products,
    ) -> Response[ProductOut]:
        product = await products.create(actor, network_id, data)
        return created(product, f"/v1/products/{product.id}")

    @get("/networks/{network_id:uuid}/products", guards=[ANYONE], summary="The network's catalogue")
    async def list_products(
        self, network_id: FromPath[UUID], actor: CurrentActor, products: Products
    ) -> list[ProductOut]:
        return await products.list_products(actor, network_id)

    @get("/products/{product_id:uuid}", guards=[ANYONE], summary="One product")
    async def get_product(
        self, product_id: FromPath[UUID], actor: CurrentActor, products: Products
    ) -> ProductOut:
        return await products.get(actor, product_id)

    @put("/products/{product_id:uuid}", guards=[MANAGERS], summary="Replace a product's values")
    async def update(
        self,
        product_id: FromPath[UUID],
        data: JSONBody[ProductIn],
        actor: CurrentActor,
        products: Products,
    ) -> ProductOut:
        return await products.update(actor, product_id, data)

    @delete(
        "/products/{product_id:uuid}",
        guards=[MANAGERS],
        summary="Retire a product from the catalogue (what already names it keeps it)",
    )
    async def retire(
        self, product_id: FromPath[UUID], actor: CurrentActor, products: Products
    ) -> None:
        await products.retire(actor, product_id)
