"""The signed one-click acknowledgment link in an assignment e-mail.

The token names the assignment and the moment it was made, so a link from an earlier
assignment of the same role (another person, or before a reassignment) acknowledges nothing.
The link still needs the assignee signed in: it is a convenience, not a credential.
"""

from django.core import signing

from playbook.models import RoleAssignment

SALT = "playbook.role-ack"
MAX_AGE_SECONDS = 7 * 24 * 3600


def ack_token(assignment: RoleAssignment) -> str:
    return signing.dumps([assignment.pk, assignment.user_id, assignment.assigned_at.isoformat()], salt=SALT,
                         compress=True)


def assignment_for_token(token: str) -> RoleAssignment | None:
    """The assignment the token was made for, if it is still that assignment; None otherwise."""
    try:
        pk, user_id, assigned_at = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    assignment = RoleAssignment.objects.select_related("incident", "user").filter(pk=pk, user_id=user_id).first()
    if assignment is None or assignment.assigned_at.isoformat() != assigned_at:
        return None
    return assignment
