"""The national lists of stages (学段) and subjects (学科) every unit shares."""

from django.db import migrations

STAGES = [
    ("preschool", "学前"),
    ("primary", "小学"),
    ("junior", "初中"),
    ("senior", "高中"),
]

SUBJECTS = [
    ("chinese", "语文"),
    ("math", "数学"),
    ("english", "英语"),
    ("physics", "物理"),
    ("chemistry", "化学"),
    ("biology", "生物"),
    ("morality_law", "道德与法治"),
    ("politics", "思想政治"),
    ("history", "历史"),
    ("geography", "地理"),
    ("science", "科学"),
    ("it", "信息科技"),
    ("music", "音乐"),
    ("art", "美术"),
    ("pe_health", "体育与健康"),
    ("labour", "劳动"),
    ("mental_health", "心理健康"),
    ("general_tech", "通用技术"),
    ("japanese", "日语"),
    ("russian", "俄语"),
    ("early_childhood", "学前教育"),
    ("special_education", "特殊教育"),
    ("comprehensive_practice", "综合实践活动"),
]


def seed(apps, schema_editor):
    Stage = apps.get_model("orgs", "Stage")
    Subject = apps.get_model("orgs", "Subject")
    for order, (code, name) in enumerate(STAGES, 1):
        Stage.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    for order, (code, name) in enumerate(SUBJECTS, 1):
        Subject.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
