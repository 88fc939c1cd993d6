from django.contrib import admin

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "scope", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["scope"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "revoked_at", "revoked_by"]

    def has_add_permission(self, request) -> bool:
        """Tokens are issued on the console's API tokens page or by create_api_token: only they show the token."""
        return False
