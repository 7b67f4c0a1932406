from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile

from trace import products, storage
from trace.products import Product, ProductIn
from web.api.common import READ, WRITE
from web.deps import CurrentCaller, Db, Id
from web.files import read_upload
from web.schemas import ImageOut, ProductOut

router = APIRouter(prefix="/products", tags=["products"])


def product_out(product: Product) -> ProductOut:
    images = [ImageOut(id=i.id, url=f"/media/{i.path}", content_type=i.content_type) for i in product.images]
    return ProductOut.model_validate(product, from_attributes=True).model_copy(update={"images": images})


@router.post("", response_model=ProductOut, status_code=201, responses=WRITE)
def create_product(data: ProductIn, caller: CurrentCaller, db: Db) -> ProductOut:
    return product_out(products.create(db, caller, data))


@router.get("", response_model=list[ProductOut], responses=READ)
def list_products(
    caller: CurrentCaller,
    db: Db,
    organization_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> list[ProductOut]:
    return [product_out(p) for p in products.list_visible(db, caller, organization_id, q)]


@router.get("/{product_id}", response_model=ProductOut, responses=READ)
def get_product(product_id: Id, caller: CurrentCaller, db: Db) -> ProductOut:
    return product_out(products.get(db, caller, product_id))


@router.put("/{product_id}", response_model=ProductOut, responses=WRITE)
def update_product(product_id: Id, data: ProductIn, caller: CurrentCaller, db: Db) -> ProductOut:
    return product_out(products.update(db, caller, product_id, data))


@router.post("/{product_id}/images", response_model=ImageOut, status_code=201, responses=WRITE)
async def add_image(product_id: Id, file: UploadFile, request: Request, caller: CurrentCaller, db: Db) -> ImageOut:
    products.get_for_write(db, caller, product_id)
    settings = request.app.state.settings
    data = await read_upload(file, settings.max_upload_bytes)
    path, content_type = storage.save(settings.storage_dir, data, max_bytes=settings.max_upload_bytes)
    image = products.add_image(db, caller, product_id, path, content_type)
    return ImageOut(id=image.id, url=f"/media/{image.path}", content_type=image.content_type)
