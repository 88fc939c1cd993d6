"""The playbook in the console: roles and the checklist on the incident page (its card posts here
and the page re-renders, ``console.views.incidents.after_write``), the one-click acknowledgment
link, the standby rota and the checklist templates.

Permissions: the incident's pages are reached through ``incidents.selectors`` (404 for an
incident none of whose customers the user manages); the rota and the templates are read by
every staff member (the rota only for their customers and the all-customers shifts) and
changed by managers only.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.access import staff_required
from console.forms.playbook import ChecklistTemplateForm, RoleAssignForm, RotaShiftForm
from console.views.incidents import after_write, render_detail
from core.forms import add_service_errors
from incidents import selectors as incident_selectors
from incidents.models import Incident
from playbook import selectors, services
from playbook.models import ChecklistItem, ChecklistTemplate, RoleAssignment, RoleCode
from playbook.roles import ROLES
from playbook.tokens import assignment_for_token


def _refused(request: HttpRequest, incident: Incident, error: ValidationError) -> HttpResponse:
    """Bad input: the page again, with what was wrong, and 422 (nothing changed)."""
    for field, problems in error.message_dict.items():
        for problem in problems:
            messages.error(request, f"{field}: {problem}")
    return render_detail(request, incident_selectors.incident_for_user_or_404(request.user, pk=incident.pk),
                         status=422)


# --- the incident page's card -------------------------------------------------------------------


@require_POST
@staff_required
def role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_selectors.incident_for_user_or_404(request.user, pk=pk)
    form = RoleAssignForm(request.POST, people=selectors.assignable_users(incident))
    if not form.is_valid():
        return _refused(request, incident, ValidationError(form.errors))
    role, person = form.cleaned_data["role"], form.cleaned_data["user"]
    label = RoleCode(role).label
    if person is None:
        services.role_clear(incident=incident, role=role, actor=request.user)
        return after_write(request, incident, _("%(role)s: nobody.") % {"role": label})
    try:
        services.role_assign(incident=incident, role=role, user=person, assigned_by=request.user)
    except ValidationError as error:
        return _refused(request, incident, error)
    return after_write(request, incident, _("%(role)s: %(person)s (notified by e-mail).") % {
        "role": label, "person": selectors.person_name(person)})


@require_POST
@staff_required
def role_ack(request: HttpRequest, pk: int) -> HttpResponse:
    """The button on the incident page: the signed-in assignee takes the role up."""
    assignment = get_object_or_404(RoleAssignment, pk=pk)
    incident = incident_selectors.incident_for_user_or_404(request.user, pk=assignment.incident_id)
    services.role_acknowledge(assignment=assignment, user=request.user)
    return after_write(request, incident, _("You acknowledged: %(role)s.") % {"role": RoleCode(assignment.role).label})


@require_GET
@staff_required
def role_ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's one-click link: valid only for the assignment it was made for, and only for its assignee."""
    assignment = assignment_for_token(token)
    if assignment is None:
        return render(request, "playbook/ack_invalid.html", status=404)
    if assignment.user_id != request.user.pk:
        raise PermissionDenied
    incident_selectors.incident_for_user_or_404(request.user, pk=assignment.incident_id)
    services.role_acknowledge(assignment=assignment, user=request.user)
    messages.success(request, _("You acknowledged: %(role)s.") % {"role": RoleCode(assignment.role).label})
    return redirect("incidents:detail", pk=assignment.incident_id)


@require_POST
@staff_required
def item_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The checkbox: checked is done, unchecked is not (the form always sends ``present``)."""
    item = get_object_or_404(ChecklistItem, pk=pk)
    incident = incident_selectors.incident_for_user_or_404(request.user, pk=item.incident_id)
    if request.POST.get("present") != "1" or request.POST.get("done", "") not in ("", "1"):
        return _refused(request, incident, ValidationError({"done": _("Tick the box or clear it.")}))
    done = request.POST.get("done") == "1"
    item = services.checklist_item_set_done(item=item, user=request.user, done=done)
    note = _("Done: %(item)s") if done else _("Not done: %(item)s")
    response = after_write(request, incident, note % {"item": item.text(request.LANGUAGE_CODE[:2])})
    if not request.htmx and request.POST.get("phase"):
        response["Location"] = f"{response['Location']}?phase={request.POST['phase']}#playbook"
    return response


@require_POST
@staff_required
def checklist_start(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_selectors.incident_for_user_or_404(request.user, pk=pk)
    count = services.checklist_start(incident)
    return after_write(request, incident, _("Checklist started: %(count)s items.") % {"count": count})


# --- the standby rota ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def rota(request: HttpRequest) -> HttpResponse:
    can_edit = incident_selectors.user_is_manager(request.user)
    customers = incident_selectors.customers_for_user(request.user)
    form = None
    if can_edit:
        form = RotaShiftForm(request.POST or None, customers=customers,
                             people=selectors.assignable_users_for_customers(customers))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.rota_shift_add(author=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Shift added."))
                return redirect("playbook:rota")
    now = timezone.now()
    shifts = selectors.rota_for_user(request.user, since=now)
    return render(request, "playbook/rota.html", {"shifts": shifts, "form": form, "can_edit": can_edit, "now": now},
                  status=422 if form is not None and form.is_bound and form.errors else 200)


@require_POST
@staff_required
def rota_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not incident_selectors.user_is_manager(request.user):
        raise PermissionDenied
    shift = selectors.rota_shift_for_user_or_none(request.user, pk)
    if shift is None:
        return render(request, "playbook/ack_invalid.html", status=404)
    services.rota_shift_delete(shift=shift, actor=request.user)
    messages.success(request, _("Shift removed."))
    return redirect("playbook:rota")


# --- the checklist templates -------------------------------------------------------------------


@require_GET
@staff_required
def templates(request: HttpRequest) -> HttpResponse:
    return render(request, "playbook/templates.html", {
        "templates": selectors.all_templates(), "can_edit": incident_selectors.user_is_manager(request.user),
        "roles": [(code, label, ROLES[code]) for code, label in RoleCode.choices]})


@require_http_methods(["GET", "POST"])
@staff_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not incident_selectors.user_is_manager(request.user):
        raise PermissionDenied
    template = get_object_or_404(ChecklistTemplate, pk=pk) if pk else ChecklistTemplate()
    form = ChecklistTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.checklist_template_save(template=template, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Checklist item saved."))
            return redirect(reverse("playbook:templates"))
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "playbook/template_edit.html", {"form": form, "template": template}, status=status)
