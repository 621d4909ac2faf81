from typing import Any

from django import forms
from django.contrib import admin
from django.template.defaultfilters import truncatechars

from oms.core.admin_base import PackageStateListFilter, ReadOnlyAdmin, drf_messages, package_link
from oms.core.statuses import PackageStatus, status_name
from oms.transitions.commands import command_codes
from oms.transitions.models import RefusedCommand, StateTransition, StateTransitionLog, TransitionModel
from oms.transitions.serializers import StateTransitionSerializer

STATE_CHOICES = [(member.value, status_name(PackageStatus, member.value)) for member in PackageStatus]
FIELDS = ["model", "command", "slug", "name", "source_state", "destination_state"]


class StateTransitionForm(forms.ModelForm):
    """Commands from the closed registry, states by name; validated by the API's serializer."""

    model = forms.ChoiceField(choices=TransitionModel.choices, initial=TransitionModel.PACKAGE)
    command = forms.ChoiceField(
        choices=lambda: [(code, code) for code in command_codes()],
        help_text="What running the slug does (the closed list of package commands).",
    )
    source_state = forms.TypedChoiceField(choices=STATE_CHOICES, coerce=int)
    destination_state = forms.TypedChoiceField(choices=STATE_CHOICES, coerce=int)

    class Meta:
        model = StateTransition
        fields = FIELDS
        help_texts = {"slug": "What clients send to run the command, e.g. CHANNEL_BASED_COMPLETE_PACKAGING."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if any(name in self.errors for name in FIELDS):
            return cleaned
        data = {name: cleaned.get(name) for name in FIELDS}
        data["name"] = data["name"] or ""
        serializer = StateTransitionSerializer(
            instance=self.instance if self.instance.pk else None, data=data
        )
        if not serializer.is_valid():
            for name, problems in serializer.errors.items():
                for problem in drf_messages(problems):
                    self.add_error(name if name in self.fields else None, problem)
            return cleaned
        cleaned.update({name: serializer.validated_data[name] for name in FIELDS})
        return cleaned


class SourceStateFilter(PackageStateListFilter):
    title = "source state"
    parameter_name = "source"
    field_name = "source_state"


@admin.register(StateTransition)
class StateTransitionAdmin(admin.ModelAdmin):
    form = StateTransitionForm
    list_display = ("slug", "command", "source", "destination", "model", "name", "modified_at")
    list_filter = ("command", "model", SourceStateFilter)
    search_fields = ("slug", "command", "name")
    readonly_fields = ("created_at", "modified_at")
    ordering = ("slug", "source_state")

    @admin.display(description="source state", ordering="source_state")
    def source(self, obj: StateTransition) -> str:
        return status_name(PackageStatus, obj.source_state)

    @admin.display(description="destination state", ordering="destination_state")
    def destination(self, obj: StateTransition) -> str:
        return status_name(PackageStatus, obj.destination_state)


@admin.register(StateTransitionLog)
class StateTransitionLogAdmin(ReadOnlyAdmin):
    """Every status change of a package: written by the engine and by status resolution."""

    list_display = ("created_at", "package_page", "command", "old", "new", "actor")
    list_filter = ("command", "created_at")
    search_fields = ("package__number", "package__order__number", "command")
    list_select_related = ("package", "actor")
    ordering = ("-created_at", "-id")

    @admin.display(description="package", ordering="package__number")
    def package_page(self, obj: StateTransitionLog) -> str:
        return package_link(obj.package_id, obj.package.number)

    @admin.display(description="from", ordering="old_state")
    def old(self, obj: StateTransitionLog) -> str:
        return status_name(PackageStatus, obj.old_state)

    @admin.display(description="to", ordering="new_state")
    def new(self, obj: StateTransitionLog) -> str:
        return status_name(PackageStatus, obj.new_state)


@admin.register(RefusedCommand)
class RefusedCommandAdmin(ReadOnlyAdmin):
    """Commands asked for and refused (nothing changed), with the reason given."""

    list_display = ("created_at", "package_page", "slug", "state", "actor", "why")
    list_filter = ("slug", "created_at")
    search_fields = ("package__number", "package__order__number", "slug")
    list_select_related = ("package", "actor")
    ordering = ("-created_at", "-id")

    @admin.display(description="package", ordering="package__number")
    def package_page(self, obj: RefusedCommand) -> str:
        return package_link(obj.package_id, obj.package.number)

    @admin.display(description="reason")
    def why(self, obj: RefusedCommand) -> str:
        return truncatechars(obj.reason, 160)

    @admin.display(description="package was", ordering="package_state")
    def state(self, obj: RefusedCommand) -> str:
        return status_name(PackageStatus, obj.package_state)
