"""The admin site's header and its links to the operator pages (registered models live in each
app's admin module)."""

from django.contrib import admin

admin.site.site_header = "OMS administration"
admin.site.site_title = "OMS admin"
admin.site.index_title = "Configuration and records"
# The admin's "View site" link leads to the operations dashboard.
admin.site.site_url = "/ops/"
admin.site.index_template = "dashboard/admin/index.html"
