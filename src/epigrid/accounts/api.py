from ninja import Router, Schema

from epigrid.core.api import ERRORS
from epigrid.core.scoping import user_memberships

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    role: str
    node_code: str


class MeOut(Schema):
    username: str
    display_name: str
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj):
        return user_memberships(obj)  # read with the token, in one statement


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Who am I, and where")
def me(request):
    return request.user
