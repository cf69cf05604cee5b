from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0006_poll_schedules_on_tick_pool'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='membership',
            options={'permissions': [('open_every_practice', "Can open every practice's portal and admin (agency-wide grant)")]},
        ),
    ]
