
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('emails', '0003_qa_reply_certificate_templates'),
    ]

    operations = [
        migrations.AlterField(
            model_name='emaillog',
            name='template',
            field=models.CharField(choices=[('WELCOME', 'Welcome'), ('START_JOURNEY', 'Start your journey'), ('ABANDONMENT_1', 'Abandonment 1 (+1 h)'), ('ABANDONMENT_2', 'Abandonment 2 (+24 h)'), ('ABANDONMENT_3', 'Abandonment 3 (+3 days)'), ('MODULE_COMPLETE', 'Module complete'), ('INACTIVE_NUDGE', 'Inactive nudge'), ('RENEWAL_REMINDER', 'Renewal reminder'), ('PAYMENT_FAILED', 'Payment failed'), ('PAYMENT_FAILED_FINAL', 'Payment failed (final)'), ('QA_REPLY', 'Reply to your question'), ('CERTIFICATE', 'Certificate earned'), ('TEAM_INVITE', 'Team invitation')], max_length=32),
        ),
        migrations.AlterField(
            model_name='emailqueue',
            name='template',
            field=models.CharField(choices=[('WELCOME', 'Welcome'), ('START_JOURNEY', 'Start your journey'), ('ABANDONMENT_1', 'Abandonment 1 (+1 h)'), ('ABANDONMENT_2', 'Abandonment 2 (+24 h)'), ('ABANDONMENT_3', 'Abandonment 3 (+3 days)'), ('MODULE_COMPLETE', 'Module complete'), ('INACTIVE_NUDGE', 'Inactive nudge'), ('RENEWAL_REMINDER', 'Renewal reminder'), ('PAYMENT_FAILED', 'Payment failed'), ('PAYMENT_FAILED_FINAL', 'Payment failed (final)'), ('QA_REPLY', 'Reply to your question'), ('CERTIFICATE', 'Certificate earned'), ('TEAM_INVITE', 'Team invitation')], max_length=32),
        ),
    ]
