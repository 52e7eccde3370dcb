"""The built-in rubric shipped with the product: 课堂教学评价表（通用）.

Seven dimensions with the weights common to Chinese lesson-evaluation forms; each
criterion's highest scores add up to its dimension's weight, so the total reads like the
paper form's. Bands: 优 ≥ 90 %, 良 ≥ 75 %, 中 ≥ 60 % of the highest score, 差 below.
"""

from decimal import ROUND_CEILING, Decimal

from django.db import migrations

NAME = "课堂教学评价表（通用）"
DESCRIPTION = (
    "适用于各学段各学科的常态课、推门课、视导课和同课异构评价。"
    "七个维度，满分 100 分：90 分以上为优秀，75–89.5 分为良好，60–74.5 分为合格。"
)
DIMENSIONS = [
    ("教学目标", 10, [("目标明确具体、可检测，符合课程标准和学生实际", 10)]),
    (
        "教学内容",
        15,
        [
            ("内容准确，重点突出，难点突破得当", 10),
            ("联系生活与学生经验，容量与梯度适当", 5),
        ],
    ),
    (
        "教学过程",
        20,
        [
            ("环节清晰，结构合理，过渡自然", 10),
            ("时间分配合理，节奏张弛有度", 5),
            ("面向全体，关注差异，及时反馈调控", 5),
        ],
    ),
    (
        "教学方法",
        15,
        [
            ("方法灵活，启发引导得当，问题有思维含量", 10),
            ("信息技术运用恰当有效", 5),
        ],
    ),
    (
        "学生活动",
        15,
        [
            ("学生参与面广，主动思考、积极表达", 10),
            ("自主、合作、探究学习真实有效", 5),
        ],
    ),
    (
        "教学效果",
        15,
        [
            ("教学目标达成度高，学生获得感强", 10),
            ("课堂气氛活跃有序，学习兴趣浓厚", 5),
        ],
    ),
    (
        "教师素养",
        10,
        [
            ("语言准确规范、简洁生动，教态自然", 5),
            ("板书设计合理，应变调控能力强", 5),
        ],
    ),
]
STEP = Decimal("0.5")


def bands(maximum):
    result, upper = [], Decimal(maximum)
    for label, share in (("优", "0.9"), ("良", "0.75"), ("中", "0.6"), ("差", "0")):
        low = (Decimal(maximum) * Decimal(share) / STEP).to_integral_value(ROUND_CEILING) * STEP
        if low <= upper:
            result.append({"label": label, "min": float(low), "max": float(upper)})
            upper = low - STEP
    return result


def seed(apps, schema_editor):
    Rubric = apps.get_model("observations", "Rubric")
    Version = apps.get_model("observations", "RubricVersion")
    Dimension = apps.get_model("observations", "RubricDimension")
    Criterion = apps.get_model("observations", "RubricCriterion")
    if Rubric.objects.filter(org_unit__isnull=True, name=NAME).exists():
        return
    rubric = Rubric.objects.create(name=NAME, description=DESCRIPTION)
    version = Version.objects.create(rubric=rubric, number=1, note="随产品提供")
    for i, (name, weight, criteria) in enumerate(DIMENSIONS, 1):
        dim = Dimension.objects.create(rubric_version=version, order=i, name=name, weight=weight)
        for j, (text, maximum) in enumerate(criteria, 1):
            Criterion.objects.create(
                dimension=dim,
                order=j,
                text=text,
                min_score=0,
                max_score=maximum,
                bands=bands(maximum),
            )
    rubric.current = version
    rubric.save(update_fields=["current"])


def unseed(apps, schema_editor):
    Rubric = apps.get_model("observations", "Rubric")
    Version = apps.get_model("observations", "RubricVersion")
    for rubric in Rubric.objects.filter(org_unit__isnull=True, name=NAME):
        Rubric.objects.filter(pk=rubric.pk).update(current=None)
        Version.objects.filter(rubric=rubric).delete()
        rubric.delete()


class Migration(migrations.Migration):
    dependencies = [("observations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
