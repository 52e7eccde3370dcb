"""The built-in review rubric shipped with the product: 优质资源评审量规（通用）.

Five criteria common to the bureaus' resource-review forms, adding up to 100. A unit
may keep its own rubric; the nearest one above a resource's unit is used, else this.
"""

from django.db import migrations

NAME = "优质资源评审量规（通用）"
CRITERIA = [
    {"name": "科学性：内容准确，无知识性错误，符合课程标准", "max": 25},
    {"name": "教育性：目标明确，重难点突出，体现新课标理念", "max": 25},
    {"name": "技术性：画面清晰、声音清楚，文件规范，便于使用", "max": 20},
    {"name": "艺术性：设计美观，结构合理，表达生动", "max": 15},
    {"name": "应用性：贴近教学实际，可推广、可复用", "max": 15},
]


def seed(apps, schema_editor):
    Rubric = apps.get_model("resources", "ReviewRubric")
    if Rubric.objects.filter(org_unit__isnull=True, name=NAME).exists():
        return
    Rubric.objects.create(name=NAME, criteria=CRITERIA, is_active=True)


def unseed(apps, schema_editor):
    Rubric = apps.get_model("resources", "ReviewRubric")
    Rubric.objects.filter(org_unit__isnull=True, name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
