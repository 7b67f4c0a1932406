from fastapi import APIRouter

from trace import users
from trace.errors import InvalidInput
from trace.users import ApiToken, ApiTokenIn
from web.api.common import WRITE
from web.deps import CurrentCaller, Db, Id
from web.schemas import IssuedTokenOut, TokenOut

router = APIRouter(prefix="/tokens", tags=["api tokens"])


@router.get("", response_model=list[TokenOut], responses=WRITE)
def list_tokens(caller: CurrentCaller, db: Db) -> list[ApiToken]:
    return users.list_tokens(db, caller)


@router.post("", response_model=IssuedTokenOut, status_code=201, responses=WRITE)
def issue_token(data: ApiTokenIn, caller: CurrentCaller, db: Db) -> IssuedTokenOut:
    """The secret is in this response only; store it now."""
    organization_id = caller.organization_id if caller.is_producer else data.organization_id
    if organization_id is None:
        raise InvalidInput("This field is required", field="organization_id")
    token, secret = users.issue_token(db, caller, organization_id, data.name)
    return IssuedTokenOut.model_validate({**TokenOut.model_validate(token).model_dump(), "token": secret})


@router.post("/{token_id}/rotate", response_model=IssuedTokenOut, status_code=201, responses=WRITE)
def rotate_token(token_id: Id, caller: CurrentCaller, db: Db) -> IssuedTokenOut:
    """Revoke a token and issue its replacement under the same name, in one step."""
    old = users.revoke_token(db, caller, token_id)
    token, secret = users.issue_token(db, caller, old.organization_id, old.name)
    return IssuedTokenOut.model_validate({**TokenOut.model_validate(token).model_dump(), "token": secret})


@router.delete("/{token_id}", response_model=TokenOut, responses=WRITE)
def revoke_token(token_id: Id, caller: CurrentCaller, db: Db) -> ApiToken:
    return users.revoke_token(db, caller, token_id)
