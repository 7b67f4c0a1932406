from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from trace import users
from trace.errors import Unauthenticated
from web.api.common import errors
from web.deps import CurrentCaller, Db, Id
from web.schemas import UserOut

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login", response_model=UserOut, responses=errors(401, 422))
def login(data: LoginIn, request: Request, db: Db) -> users.User:
    try:
        user = users.authenticate(db, data.login, data.password)
    except Unauthenticated:
        db.commit()  # keep the failure count that drives the lockout
        raise
    request.session.clear()
    request.session.update({"uid": user.id, "sv": user.session_version})
    return user


@router.post("/logout", status_code=204)
def logout(request: Request) -> None:
    request.session.clear()


@router.get("/me", response_model=UserOut, responses=errors(401))
def me(caller: CurrentCaller, db: Db) -> users.User:
    user = db.get(users.User, caller.user_id) if caller.user_id else None
    if user is None:
        raise Unauthenticated("Please log in")
    return user


@router.post("/users", response_model=UserOut, status_code=201, responses=errors(401, 403, 409, 422))
def create_user(data: users.UserIn, caller: CurrentCaller, db: Db) -> users.User:
    return users.create_user(db, caller, data)


class PasswordResetIn(BaseModel):
    password: str = Field(max_length=200)


@router.post("/users/{user_id}/password", status_code=204, responses=errors(401, 403, 404, 422))
def reset_password(user_id: Id, data: PasswordResetIn, caller: CurrentCaller, db: Db) -> None:
    users.reset_password(db, caller, user_id, data.password)
