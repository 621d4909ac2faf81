from django.db import migrations


def create_default_location(apps, schema_editor):
    StockLocation = apps.get_model("packages", "StockLocation")
    if not StockLocation.objects.filter(is_default=True).exists():
        StockLocation.objects.create(name="Main warehouse", erp_code="main", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("packages", "0001_initial")]

    operations = [migrations.RunPython(create_default_location, migrations.RunPython.noop)]
