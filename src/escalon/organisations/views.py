"""HTTP endpoints for customer organisations: staff read them, supervisors and admins change them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from escalon.auth.access import Staff, Supervisor
from escalon.cases.models import Customer
from escalon.errors import CREATES, NotFound, error_responses
from escalon.organisations import service
from escalon.organisations.schemas import (
    Membership,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
)

router = APIRouter(prefix="/api/v1")
Name = Annotated[str, Path(min_length=1, max_length=200)]
CustomerId = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]
_READ = error_responses(401, 403, 404, 422)
_WRITE = error_responses(400, 401, 403, 404, 409, 422)


@router.get("/organisations", tags=["organisations"], responses=error_responses(401, 403))
def list_organisations(context: Staff) -> list[OrganisationOut]:
    """Every customer organisation, by name."""
    with context.db.read() as session:
        return [service.out(session, found) for found in service.listed(session)]


@router.post("/organisations", tags=["organisations"], **CREATES)
def create_organisation(body: OrganisationIn, context: Supervisor) -> OrganisationOut:
    """Add an organisation (supervisors and admins; in the admin audit trail)."""
    with context.db.write() as session:
        created = service.create(session, data=body, now=context.now())
        context.audit(
            session,
            "organisation.created",
            f"organisation:{created.name}",
            body.model_dump(mode="json"),
        )
        return service.out(session, created)


@router.get("/organisations/{name}", tags=["organisations"], responses=_READ)
def get_organisation(name: Name, context: Staff) -> OrganisationOut:
    """One organisation."""
    with context.db.read() as session:
        return service.out(session, service.by_name(session, name))


@router.patch("/organisations/{name}", tags=["organisations"], responses=_WRITE)
def update_organisation(
    name: Name, body: OrganisationPatch, context: Supervisor
) -> OrganisationOut:
    """Change an organisation (supervisors and admins; audited). Open cases keep the calendar
    and tier they were opened with; cases opened from now on take the new ones."""
    with context.db.write() as session:
        changed, changes = service.change(session, name=name, data=body, now=context.now())
        if changes:
            context.audit(session, "organisation.updated", f"organisation:{name}", changes)
        return service.out(session, changed)


@router.delete(
    "/organisations/{name}",
    tags=["organisations"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_READ,
)
def delete_organisation(name: Name, context: Supervisor) -> Response:
    """Remove an organisation; its customers belong to none (supervisors and admins; audited)."""
    with context.db.write() as session:
        service.remove(session, name=name)
        context.audit(session, "organisation.deleted", f"organisation:{name}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/customers/{customer_id}/organisation", tags=["organisations"], responses=_WRITE)
def place_customer(customer_id: CustomerId, body: Membership, context: Supervisor) -> Membership:
    """Place a customer in an organisation, whatever their e-mail domain (null: back to their
    domain's, if any); supervisors and admins, audited."""
    with context.db.write() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        before, after = service.place(
            session, customer=customer, organisation=body.organisation, now=context.now()
        )
        if before != after:
            context.audit(
                session,
                "customer.organisation",
                f"customer:{customer.ref}",
                {"organisation": [before, after]},
            )
        return Membership(organisation=after)
