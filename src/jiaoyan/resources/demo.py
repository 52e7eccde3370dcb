"""Demo resources (资源库): the curriculum trees of the main subjects (real textbook
chapters of each subject and edition, primary to senior), and the library of the city —
100,000 resources at city scale (small: a proportional 3,700) whose titles and summaries
come from that vocabulary (one in twenty written in traditional characters), at every
step of their review: drafts, submitted, in review, returned with comments, resubmitted
and published, rejected, with their reviews against the built-in rubric and the steps
the submitter reads. The first few hundred carry a stored PDF (the rest: their external
video link for micro-lessons and recordings, or nothing). The demo teacher has a
published design, a returned slide deck and a draft; the demo district researcher has
reviews to do. Deterministic from ``ctx.rng``; written in bulk (``bulk.insert_values``,
COPY on PostgreSQL) and indexed for search in bulk (``search.index_many``).

At city scale on SQLite the three steps (52–54) took 75 s of CPU, 266 s of wall time
on a shared 2-core machine at load 7 (2026-12); the rest of the city demo, 1,040 s."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from jiaoyan.core import bulk, search
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.people.models import RoleAssignment

from .models import (
    CurriculumNode,
    Kind,
    Resource,
    ResourceEvent,
    ResourceFile,
    Review,
    ReviewRubric,
    Status,
    turnaround_seconds,
)

#: Resources of the library (city: 100,000 as the issue asks; small: in proportion to its
#: 60 schools of the city's 1,625; the province's ten cities share the demo city's figure).
COUNT = {"small": 3_700, "city": 100_000, "province": 100_000}
#: The first ones, with a stored PDF each (documents), as a teacher's upload would be.
WITH_FILES = {"small": 80, "city": 400, "province": 400}
#: One resource in this many is written in traditional characters (Hong Kong, Taiwan and
#: overseas editions, or a teacher who types them): search finds them either way.
TRADITIONAL_EVERY = 20

# subject, edition, stage, {grade: [chapter, …]}: real chapters (units, lessons) of the
# textbooks in use.
CURRICULUM = [
    (
        "语文",
        "统编版",
        "primary",
        {
            1: ["秋天", "小小的船", "江南", "四季", "比尾巴", "青蛙写诗", "雨点儿", "乌鸦喝水"],
            2: ["小蝌蚪找妈妈", "我是什么", "植物妈妈有办法", "曹冲称象", "坐井观天", "寒号鸟"],
            3: [
                "大青树下的小学",
                "花的学校",
                "铺满金色巴掌的水泥道",
                "秋天的雨",
                "去年的树",
                "司马光",
                "富饶的西沙群岛",
                "美丽的小兴安岭",
            ],
            4: ["观潮", "走月亮", "爬山虎的脚", "蟋蟀的住宅", "精卫填海", "盘古开天地", "扁鹊治病"],
            5: ["白鹭", "落花生", "桂花雨", "将相和", "少年中国说", "圆明园的毁灭", "慈母情深"],
            6: ["草原", "丁香结", "开国大典", "狼牙山五壮士", "桥", "穷人", "少年闰土", "伯牙鼓琴"],
        },
    ),
    (
        "数学",
        "人教版",
        "primary",
        {
            1: ["准备课", "1～5的认识和加减法", "认识图形", "11～20各数的认识", "认识钟表"],
            2: ["长度单位", "角的初步认识", "表内乘法", "观察物体", "认识时间", "数学广角——搭配"],
            3: [
                "时、分、秒",
                "万以内的加法和减法",
                "倍的认识",
                "多位数乘一位数",
                "长方形和正方形",
                "分数的初步认识",
            ],
            4: ["大数的认识", "公顷和平方千米", "角的度量", "平行四边形和梯形", "条形统计图"],
            5: ["小数乘法", "小数除法", "可能性", "简易方程", "多边形的面积", "数学广角——植树问题"],
            6: ["分数乘法", "位置与方向", "分数除法", "比", "圆", "百分数", "扇形统计图"],
        },
    ),
    (
        "数学",
        "北师大版",
        "primary",
        {
            4: ["认识更大的数", "线与角", "方向与位置", "生活中的负数"],
            5: ["倍数与因数", "分数的意义", "组合图形的面积", "图形的面积"],
        },
    ),
    (
        "英语",
        "人教版",
        "primary",
        {
            3: ["Unit 1 Hello!", "Unit 2 Colours", "Unit 3 Look at me!", "Unit 5 Let's eat!"],
            4: ["Unit 1 My classroom", "Unit 2 My schoolbag", "Unit 4 My home"],
            5: ["Unit 1 What's he like?", "Unit 2 My week", "Unit 6 In a nature park"],
            6: ["Unit 1 How can I get there?", "Unit 3 My weekend plan", "Unit 4 I have a pen pal"],
        },
    ),
    (
        "科学",
        "教科版",
        "primary",
        {
            3: ["水", "空气", "天气", "我们的身体"],
            4: ["声音", "呼吸与消化", "运动和力", "电路"],
            5: ["光", "地球表面的变化", "计量时间", "生物与环境"],
            6: ["微小世界", "地球的运动", "工具与技术", "物质的变化"],
        },
    ),
    (
        "道德与法治",
        "统编版",
        "primary",
        {
            3: ["快乐学习", "我们的学校", "安全护我成长", "家是最温暖的地方"],
            5: ["面对成长中的新问题", "我们是班级的主人", "我们的国土我们的家园"],
            6: ["我们的守护者", "我们是公民", "我们的国家机构", "法律保护我们健康成长"],
        },
    ),
    (
        "语文",
        "统编版",
        "junior",
        {
            7: ["春", "济南的冬天", "秋天的怀念", "散步", "从百草园到三味书屋", "论语十二章"],
            8: ["背影", "白杨礼赞", "苏州园林", "中国石拱桥", "三峡", "桃花源记", "社戏"],
            9: ["沁园春·雪", "岳阳楼记", "醉翁亭记", "故乡", "孔乙己", "出师表", "范进中举"],
        },
    ),
    (
        "数学",
        "人教版",
        "junior",
        {
            7: [
                "有理数",
                "整式的加减",
                "一元一次方程",
                "几何图形初步",
                "相交线与平行线",
                "实数",
                "平面直角坐标系",
                "二元一次方程组",
                "不等式与不等式组",
            ],
            8: [
                "三角形",
                "全等三角形",
                "轴对称",
                "整式的乘法与因式分解",
                "分式",
                "二次根式",
                "勾股定理",
                "平行四边形",
                "一次函数",
                "数据的分析",
            ],
            9: [
                "一元二次方程",
                "二次函数",
                "旋转",
                "圆",
                "概率初步",
                "反比例函数",
                "相似",
                "锐角三角函数",
                "投影与视图",
            ],
        },
    ),
    (
        "数学",
        "北师大版",
        "junior",
        {
            7: ["丰富的图形世界", "有理数及其运算", "整式及其加减", "基本平面图形"],
            8: ["勾股定理", "位置与坐标", "一次函数", "平行线的证明"],
            9: ["特殊平行四边形", "概率的进一步认识", "图形的相似", "反比例函数"],
        },
    ),
    (
        "英语",
        "人教版",
        "junior",
        {
            7: [
                "Unit 1 My name's Gina",
                "Unit 3 Is this your pencil?",
                "Unit 4 Where's my schoolbag?",
                "Unit 6 Do you like bananas?",
            ],
            8: [
                "Unit 1 Where did you go on vacation?",
                "Unit 3 I'm more outgoing than my sister",
                "Unit 7 Will people have robots?",
            ],
            9: [
                "Unit 1 How can we become good learners?",
                "Unit 5 What are the shirts made of?",
                "Unit 6 When was it invented?",
            ],
        },
    ),
    (
        "物理",
        "人教版",
        "junior",
        {
            8: [
                "机械运动",
                "声现象",
                "物态变化",
                "光现象",
                "透镜及其应用",
                "质量与密度",
                "运动和力",
                "压强",
                "浮力",
                "简单机械",
            ],
            9: ["内能", "电流和电路", "电压 电阻", "欧姆定律", "电功率", "生活用电", "电与磁"],
        },
    ),
    (
        "化学",
        "人教版",
        "junior",
        {
            9: [
                "走进化学世界",
                "我们周围的空气",
                "物质构成的奥秘",
                "自然界的水",
                "化学方程式",
                "碳和碳的氧化物",
                "金属和金属材料",
                "溶液",
                "酸和碱",
                "盐 化肥",
            ]
        },
    ),
    (
        "生物",
        "人教版",
        "junior",
        {
            7: ["生物和生物圈", "生物体的结构层次", "生物圈中的绿色植物", "生物圈中的人"],
            8: ["动物的运动和行为", "细菌和真菌", "生物的生殖和发育", "生物的遗传和变异"],
        },
    ),
    (
        "道德与法治",
        "统编版",
        "junior",
        {
            7: ["成长的节拍", "友谊的天空", "师长情谊", "生命的思考", "做情绪情感的主人"],
            8: ["走进社会生活", "遵守社会规则", "勇担社会责任", "坚持宪法至上", "理解权利义务"],
            9: ["富强与创新", "民主与法治", "文明与家园", "和谐与梦想"],
        },
    ),
    (
        "历史",
        "统编版",
        "junior",
        {
            7: ["秦汉时期：统一多民族国家的建立和巩固", "隋唐时期：繁荣与开放的时代", "明清时期"],
            8: ["近代化的早期探索与民族危机的加剧", "中华民族的抗日战争", "中华人民共和国的成立"],
            9: ["古代亚非文明", "走向近代", "第二次世界大战"],
        },
    ),
    (
        "地理",
        "人教版",
        "junior",
        {
            7: ["地球和地图", "陆地和海洋", "天气与气候", "居民与聚落", "我们邻近的地区和国家"],
            8: ["从世界看中国", "中国的自然环境", "中国的自然资源", "北方地区", "青藏地区"],
        },
    ),
    (
        "语文",
        "统编版",
        "senior",
        {
            10: ["沁园春·长沙", "百合花", "劝学", "师说", "赤壁赋", "故都的秋", "我与地坛"],
            11: ["乡土中国", "红楼梦", "祝福", "雷雨", "窦娥冤", "阿房宫赋", "六国论"],
        },
    ),
    (
        "数学",
        "人教A版",
        "senior",
        {
            10: [
                "集合与常用逻辑用语",
                "函数的概念与性质",
                "指数函数与对数函数",
                "三角函数",
                "平面向量及其应用",
                "复数",
                "立体几何初步",
            ],
            11: ["空间向量与立体几何", "直线和圆的方程", "圆锥曲线的方程", "数列", "导数及其应用"],
            12: ["计数原理", "随机变量及其分布", "成对数据的统计分析"],
        },
    ),
    (
        "英语",
        "人教版",
        "senior",
        {
            10: ["Unit 1 Teenage Life", "Unit 2 Travelling Around", "Unit 4 Natural Disasters"],
            11: [
                "Unit 1 Cultural Heritage",
                "Unit 2 Wildlife Protection",
                "Unit 3 Food and Culture",
            ],
        },
    ),
    (
        "物理",
        "人教版",
        "senior",
        {
            10: ["运动的描述", "匀变速直线运动的研究", "相互作用——力", "抛体运动", "圆周运动"],
            11: ["静电场及其应用", "电路及其应用", "动量守恒定律", "机械振动", "机械波"],
        },
    ),
    (
        "化学",
        "人教版",
        "senior",
        {10: ["物质及其变化", "海水中的重要元素——钠和氯", "物质结构 元素周期律", "化学反应与能量"]},
    ),
    (
        "生物",
        "人教版",
        "senior",
        {
            10: [
                "走近细胞",
                "组成细胞的分子",
                "细胞的能量供应和利用",
                "遗传因子的发现",
                "基因的表达",
            ]
        },
    ),
    (
        "历史",
        "统编版",
        "senior",
        {10: ["从中华文明起源到秦汉大一统", "辽宋夏金多民族政权的并立与元朝的统一", "辛亥革命"]},
    ),
    (
        "地理",
        "人教版",
        "senior",
        {10: ["宇宙中的地球", "地球上的大气", "地球上的水", "地貌", "自然灾害"]},
    ),
    (
        "思想政治",
        "统编版",
        "senior",
        {10: ["只有社会主义才能救中国", "我国的生产资料所有制", "人民当家作主", "全面依法治国"]},
    ),
]
GRADES = {
    **{g: f"{'一二三四五六七八九'[g - 1]}年级" for g in range(1, 10)},
    10: "高一",
    11: "高二",
    12: "高三",
}
# The titles of each kind (chapter, a key competency of the subject, a lesson number).
FORMS = {
    Kind.MICRO_LESSON: ["{ch}微课", "微课：{ch}", "{ch}重难点突破微课", "{ch}（第{n}课时）微课"],
    Kind.LESSON_DESIGN: [
        "《{ch}》教学设计",
        "{ch}教学设计（第{n}课时）",
        "{ch}大单元教学设计",
        "指向{skill}的《{ch}》教学设计",
    ],
    Kind.SLIDES: ["{ch}课件", "{ch}优质课课件", "{ch}复习课件", "《{ch}》公开课课件"],
    Kind.TEACHING_CASE: ["{ch}教学案例", "培养{skill}的{ch}教学案例", "{ch}课堂教学案例分析"],
    Kind.LESSON_RECORDING: ["{ch}课堂实录", "{ch}公开课课堂实录", "{ch}同课异构课堂实录"],
    Kind.EXERCISE_DESIGN: [
        "{ch}分层作业设计",
        "{ch}单元作业设计",
        "{ch}课后练习与作业设计",
        "{ch}单元检测试题",
    ],
    Kind.OTHER: ["{ch}导学案", "{ch}学习任务单", "{ch}学情分析报告"],
}
KINDS = [
    (Kind.MICRO_LESSON, 0.24),
    (Kind.LESSON_DESIGN, 0.22),
    (Kind.SLIDES, 0.22),
    (Kind.TEACHING_CASE, 0.08),
    (Kind.LESSON_RECORDING, 0.08),
    (Kind.EXERCISE_DESIGN, 0.12),
    (Kind.OTHER, 0.04),
]
# Key competencies (核心素养) of each subject's curriculum standard (2022 / 2017 edition).
SKILLS = {
    "语文": ["文化自信", "语言运用", "思维能力", "审美创造"],
    "数学": ["数学抽象", "逻辑推理", "数学建模", "直观想象", "数学运算", "数据分析"],
    "英语": ["语言能力", "文化意识", "思维品质", "学习能力"],
    "物理": ["物理观念", "科学思维", "科学探究", "科学态度与责任"],
    "化学": ["化学观念", "科学思维", "科学探究与实践", "科学态度与责任"],
    "生物": ["生命观念", "科学思维", "探究实践", "态度责任"],
    "科学": ["科学观念", "科学思维", "探究实践", "态度责任"],
    "道德与法治": ["政治认同", "道德修养", "法治观念", "健全人格", "责任意识"],
    "思想政治": ["政治认同", "科学精神", "法治意识", "公共参与"],
    "历史": ["唯物史观", "时空观念", "史料实证", "历史解释", "家国情怀"],
    "地理": ["人地协调观", "综合思维", "区域认知", "地理实践力"],
}
METHODS = [
    "以真实情境导入，用问题链引导学生层层深入",
    "采用小组合作学习，学生在任务驱动中自主探究",
    "以项目式学习组织单元内容，学生分工完成作品",
    "借助思维导图梳理知识结构，突破教学重难点",
    "通过实验探究与数据记录，让学生经历完整的探究过程",
    "运用信息技术与学科融合，课堂即时反馈学习效果",
    "设计跨学科主题学习活动，联系生活实际解决问题",
    "读写结合，以读促写，在语言实践中提升表达能力",
    "以学习任务单引领，课前预学、课中共学、课后延学",
    "精选典型例题与变式训练，引导学生归纳方法",
]
CLOSINGS = [
    "配套课件与分层练习，可直接用于新授课。",
    "附教学反思与板书设计，适合集体备课参考。",
    "作业分基础、提高、拓展三层，落实双减要求。",
    "含学生学习单与评价量表，便于教学评一致。",
    "已在本校两个班级试教，学生参与度高。",
    "提供微课视频与课后检测题，适合复习课使用。",
]
THEMES = ["新课标", "双减", "大单元", "跨学科", "情境教学", "作业设计", "教学评一致", "项目式学习"]
STATUSES = [
    (Status.PUBLISHED, 0.55),
    (Status.IN_REVIEW, 0.1),
    (Status.SUBMITTED, 0.08),
    (Status.RETURNED, 0.1),
    (Status.REJECTED, 0.05),
    (Status.DRAFT, 0.12),
]
#: The library at large (after the first ones): most of it long published.
LIBRARY_STATUSES = [
    (Status.PUBLISHED, 0.82),
    (Status.IN_REVIEW, 0.04),
    (Status.SUBMITTED, 0.03),
    (Status.RETURNED, 0.04),
    (Status.REJECTED, 0.02),
    (Status.DRAFT, 0.05),
]
COMMENTS = {
    "publish": ["设计完整，环节清晰，建议推广。", "情境真实，学生活动充分。"],
    "return": ["重难点突破不够，请补充变式练习。", "视频画面偏暗，请重新录制片头。"],
    "reject": ["内容与课程标准不符。", "素材来源不明，存在版权风险。"],
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pick(rng: random.Random, items):
    total = sum(w for _v, w in items)
    r = rng.random() * total
    for v, w in items:
        r -= w
        if r <= 0:
            return v
    return items[-1][0]


def _curriculum() -> dict[tuple[int, str], list[CurriculumNode]]:
    """The tree (subject › edition › grade volume › chapter), written in two inserts;
    chapters by (subject, stage)."""
    subjects = {s.name: s for s in Subject.objects.all()}
    volumes: dict[tuple[int, str, int], CurriculumNode] = {}
    planned = []
    for name, edition, stage, grades in CURRICULUM:
        subject = subjects.get(name)
        if subject is None:
            continue
        for grade, names in grades.items():
            volume = volumes.get((subject.pk, edition, grade))
            if volume is None:
                volume = volumes[(subject.pk, edition, grade)] = CurriculumNode(
                    subject=subject, edition=edition, name=GRADES[grade], order=grade, grade=grade
                )
            for n, chapter in enumerate(names, 1):
                planned.append((stage, volume, n, chapter))
    bulk.bulk_create(CurriculumNode, volumes.values())
    chapters: dict[tuple[int, str], list[CurriculumNode]] = defaultdict(list)
    nodes = []
    for stage, volume, n, chapter in planned:
        node = CurriculumNode(
            subject=volume.subject,
            edition=volume.edition,
            parent=volume,
            name=chapter,
            order=n,
            grade=volume.grade,
        )
        nodes.append(node)
        chapters[(volume.subject_id, stage)].append(node)
    bulk.bulk_create(CurriculumNode, nodes)
    return chapters


def _traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


@step(52)
def build_resources(ctx: DemoContext) -> None:
    rng = ctx.rng
    chapters = _curriculum()
    stages = {s.code: s.pk for s in Stage.objects.all()}
    subject_names = dict(Subject.objects.values_list("pk", "name"))
    rubric = ReviewRubric.objects.filter(org_unit__isnull=True).order_by("id").first()
    if rubric is None or not chapters:
        ctx.log("resources: no rubric or subjects; skipped")
        return
    accounts = ctx.data.get("accounts", {})
    # Teachers by subject and stage (with their school), researchers by county.
    teachers: dict[tuple[int, str], list[tuple[int, int, str]]] = defaultdict(list)
    researchers: dict[str, list[int]] = defaultdict(list)
    rows = (
        RoleAssignment.objects.filter(role__in=[Role.TEACHER, Role.RESEARCHER], is_active=True)
        .values_list(
            "role", "person_id", "person__org_unit_id", "org_unit__path", "subjects", "stages__code"
        )
        .order_by("person_id", "id", "subjects", "stages__code")
    )
    for role, person, unit, path, subject, stage in rows.iterator():
        if role == Role.TEACHER and subject and stage:
            teachers[(subject, stage)].append((person, unit, path))
        elif role == Role.RESEARCHER:
            county = "/".join(path.strip("/").split("/")[:3])
            researchers[county].append(person)
    keys = [k for k in chapters if teachers.get(k)]
    if not keys:
        ctx.log("resources: no teachers of the curriculum's subjects; skipped")
        return
    # A subject is written about in proportion to its teachers.
    key_weights = [(k, len(teachers[k])) for k in keys]
    all_researchers = sorted({p for ps in researchers.values() for p in ps})
    n = COUNT.get(ctx.scale.name, COUNT["small"])
    with_files = WITH_FILES.get(ctx.scale.name, WITH_FILES["small"])
    now = ctx.now
    demo_teacher = accounts.get("teacher")
    demo_researcher = accounts.get("district_researcher")
    to_traditional = _traditional()
    criteria = rubric.criteria
    ids = bulk.take_ids(Resource, n)
    resources, authors, reviews, events, files = [], [], [], [], []
    for i, pk in enumerate(ids):
        key = _pick(rng, key_weights)
        person, unit, path = rng.choice(teachers[key])
        status = _pick(rng, STATUSES if i < with_files else LIBRARY_STATUSES)
        if demo_teacher is not None and i < 3:
            # The demo teacher's own: published, returned, draft.
            person, unit = demo_teacher.pk, demo_teacher.org_unit_id
            path = demo_teacher.org_unit.path
            status = [Status.PUBLISHED, Status.RETURNED, Status.DRAFT][i]
        node = rng.choice(chapters[key])
        kind = _pick(rng, KINDS)
        subject = subject_names[key[0]]
        skills = SKILLS.get(subject) or ["核心素养"]
        skill = rng.choice(skills)
        title = rng.choice(FORMS[kind]).format(ch=node.name, skill=skill, n=rng.randint(1, 3))
        themes = rng.sample(THEMES, rng.randint(1, 3))
        summary = (
            f"{node.edition}{GRADES[node.grade]}{subject} · {node.name}。"
            f"{rng.choice(METHODS)}，发展学生的{skill}与{rng.choice(skills)}。"
            f"{rng.choice(CLOSINGS)}"
        )
        if i >= with_files and rng.randrange(TRADITIONAL_EVERY) == 0:
            title, summary = to_traditional(title), to_traditional(summary)
        title = title[:120]
        created = now - dt.timedelta(days=rng.randint(5, 700), minutes=rng.randint(0, 600))
        draft = status == Status.DRAFT
        rounds = 0 if draft else (2 if rng.random() < 0.15 else 1)
        published_at = (
            created + dt.timedelta(days=12 if rounds == 1 else 19)
            if status == Status.PUBLISHED
            else None
        )
        resources.append(
            (
                pk,
                unit,
                kind,
                title,
                summary,
                stages[key[1]],
                key[0],
                node.grade,
                node.edition,
                node.pk,
                themes,
                status,
                "public" if rng.random() < 0.2 else "internal",
                (
                    f"https://video.example.cn/demo/{i + 1}.mp4"
                    if kind in (Kind.MICRO_LESSON, Kind.LESSON_RECORDING)
                    else ""
                ),
                None if draft else rubric.pk,
                rounds,
                created,
                published_at or created,
                None if draft else created + dt.timedelta(days=2),
                published_at,
            )
        )
        authors.append((pk, person))
        if rng.random() < 0.15:  # a second author of the same subject
            other = rng.choice(teachers[key])[0]
            if other != person:
                authors.append((pk, other))
        # Its history: the steps the submitter reads, and its reviews.
        county = "/".join(path.strip("/").split("/")[:3])
        pool = researchers.get(county) or all_researchers
        reviewer = rng.choice(pool) if pool else None
        if reviewer == person:  # nobody reviews their own
            others = [p for p in pool if p != person] or [p for p in all_researchers if p != person]
            reviewer = rng.choice(others) if others else None
        if demo_researcher is not None and status == Status.IN_REVIEW and rng.random() < 0.5:
            reviewer = demo_researcher.pk
        t = created
        events.append((pk, "created", "draft", t, "", None))
        if draft:
            continue
        for rnd in range(1, rounds + 1):
            last = rnd == rounds
            t += dt.timedelta(days=2)
            events.append(
                (pk, "submitted" if rnd == 1 else "resubmitted", "submitted", t, "", None)
            )
            answered = t
            if reviewer is None or (last and status == Status.SUBMITTED):
                continue
            t += dt.timedelta(days=1)
            events.append((pk, "assigned", "in_review", t, "", None))
            done = not (last and status == Status.IN_REVIEW)
            outcome = (
                {
                    Status.PUBLISHED: "publish",
                    Status.RETURNED: "return",
                    Status.REJECTED: "reject",
                }.get(status, "publish")
                if last
                else "return"
            )
            scores = (
                {c["name"]: float(round(c["max"] * rng.uniform(0.55, 0.98))) for c in criteria}
                if done
                else {}
            )
            reviews.append(
                (
                    pk,
                    rnd,
                    reviewer,
                    criteria,
                    scores,
                    Decimal(str(sum(scores.values()))) if done else None,
                    rng.choice(COMMENTS[outcome]) if done else "",
                    outcome if done else "",
                    "done" if done else "assigned",
                    t,
                    t + dt.timedelta(days=3) if done else None,
                )
            )
            if not done:
                continue
            t += dt.timedelta(days=3)
            events.append((pk, "reviewed", "in_review", t, "", None))
            t += dt.timedelta(days=1)
            final = {"publish": "published", "return": "returned", "reject": "rejected"}[outcome]
            comment = "" if outcome == "publish" else rng.choice(COMMENTS[outcome])
            events.append((pk, final, final, t, comment, turnaround_seconds(answered, t)))
        if i < with_files and kind != Kind.MICRO_LESSON:
            stored = default_storage.save(f"resources/demo/{pk}.pdf", ContentFile(PDF))
            files.append(
                ResourceFile(
                    resource_id=pk,
                    file=stored,
                    name=f"{title[:60]}.pdf",
                    size=len(PDF),
                    category="document",
                    content_type="application/pdf",
                    created_at=created,
                )
            )
    bulk.insert_values(
        Resource,
        [
            "id",
            "org_unit_id",
            "kind",
            "title",
            "summary",
            "stage_id",
            "subject_id",
            "grade",
            "edition",
            "curriculum_node_id",
            "themes",
            "status",
            "visibility",
            "video_link",
            "rubric_id",
            "round",
            "created_at",
            "updated_at",
            "submitted_at",
            "published_at",
        ],
        resources,
    )
    bulk.insert_values(Resource.authors.through, ["resource_id", "person_id"], authors)
    bulk.insert_values(
        Review,
        [
            "resource_id",
            "round",
            "reviewer_id",
            "criteria",
            "scores",
            "total",
            "comment",
            "recommendation",
            "status",
            "assigned_at",
            "reviewed_at",
        ],
        reviews,
    )
    bulk.insert_values(
        ResourceEvent,
        ["resource_id", "step", "status", "created_at", "comment", "turnaround"],
        events,
    )
    bulk.bulk_create(ResourceFile, files)
    if ids:
        search.index_many(Resource.objects.filter(pk__gte=ids[0]).order_by("pk"))
    ctx.log(
        f"resources: {len(resources)} resources, {len(reviews)} reviews, "
        f"{len(events)} steps, {len(files)} files"
    )


#: written as aggregated counts (what the hits job leaves), plus a few pending hits of today.
VIEWS = {"small": 74_000, "city": 2_000_000, "province": 2_000_000}
USE_COMMENTS = [
    "设计思路清晰，学生活动安排得很好，借鉴了。",
    "课件很实用，分层练习正好用于我们班。",
    "微课时长合适，重难点讲得透。",
    "建议补充一份学生学习单。",
    "情境导入很有启发，谢谢分享！",
    "作业设计体现了双减要求，题量适中。",
]
USE_NOTES = ["七年级（2）班新授课使用", "复习课上作为导入", "教研组集体备课时参考", "", ""]
PENDING_HITS = {"small": 300, "city": 5_000, "province": 5_000}


@step(54)
def build_resource_use(ctx: DemoContext) -> None:
    """Favourites, ratings, comments and applications of the published resources by
    teachers of their county, their view and download counts (in all and per term), and
    a few of today's hits still pending for the aggregation job."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jiaoyan.observations.terms import term_of

    from .models import (
        Application,
        Comment,
        Favourite,
        HitKind,
        Rating,
        ResourceHit,
        ResourceTermStats,
    )

    rng = ctx.rng
    published = list(
        Resource.objects.filter(status=Status.PUBLISHED)
        .select_related("org_unit")
        .order_by("id")
        .only("id", "org_unit__path", "created_by_id", "published_at")
    )
    if not published:
        ctx.log("resources: nothing published; no use figures")
        return
    authors: dict[int, set[int]] = defaultdict(set)
    Through = Resource.authors.through
    for rid, uid in Through.objects.filter(person__user__isnull=False).values_list(
        "resource_id", "person__user_id"
    ):
        authors[rid].add(uid)
    # Readers: teachers and researchers with accounts, by county.
    readers: dict[str, list[tuple[int, str]]] = defaultdict(list)
    names = dict(get_user_model().objects.values_list("pk", "person__name"))
    seen: set[int] = set()
    for uid, path in (
        RoleAssignment.objects.filter(
            role__in=[Role.TEACHER, Role.RESEARCHER], is_active=True, person__user__isnull=False
        )
        .values_list("person__user_id", "org_unit__path")
        .order_by("person__user_id", "id")
    ):
        if uid in seen:
            continue  # one county per reader (their first seat), each reader once
        seen.add(uid)
        county = "/".join(path.strip("/").split("/")[:3])
        readers[county].append((uid, names.get(uid) or ""))
    everyone = [r for rs in readers.values() for r in rs]
    if not everyone:
        ctx.log("resources: no readers with accounts; no use figures")
        return
    today = timezone.localdate()
    this_term = term_of(today)
    last_term = this_term.previous()
    weights = [rng.paretovariate(1.4) for _ in published]
    scale = VIEWS.get(ctx.scale.name, VIEWS["small"]) / sum(weights)
    favourites, ratings, comments, applications, stats, hits = [], [], [], [], [], []
    counted = []  # (view_count, download_count, use_count, rating_count, rating_sum, id)
    now = ctx.now
    for r, weight in zip(published, weights, strict=True):
        county = "/".join(r.org_unit.path.strip("/").split("/")[:3])
        pool = readers.get(county) or everyone
        own = authors.get(r.pk, ())
        # Twelve readers of the county (not its authors): a sample, not a scan of them all.
        picks = [u for u in rng.sample(pool, min(len(pool), 16)) if u[0] not in own][:12]
        if not picks:
            continue
        views = max(1, int(weight * scale + rng.random()))  # rounded at random: the sum holds
        downloads = int(views * rng.uniform(0.05, 0.2))
        share = rng.uniform(0.3, 0.7)  # of this term
        # The more it is read, the more it is kept, rated, discussed and used.
        for uid, _name in picks[: rng.randint(0, min(4, 1 + views // 20))]:
            favourites.append((r.pk, uid, now))
        scores = []
        for uid, _name in picks[4 : 4 + rng.randint(0, min(6, 1 + views // 15))]:
            score = rng.choices([2, 3, 4, 5], weights=[1, 3, 6, 5])[0]
            scores.append(score)
            ratings.append((r.pk, uid, score, now, now))
        for uid, name in picks[: rng.randint(0, min(3, views // 30))]:
            text = rng.choice(USE_COMMENTS)
            comments.append(
                (r.pk, uid, name[:50], text, now - dt.timedelta(days=rng.randint(0, 60)))
            )
        uses = {this_term.start: 0, last_term.start: 0}
        for uid, name in picks[6 : 6 + rng.randint(0, min(5, views // 20))]:
            day = today - dt.timedelta(days=rng.randint(0, 200))
            term = term_of(day).start
            if term not in uses:
                continue
            uses[term] += 1
            applications.append((r.pk, uid, name[:50], day, rng.choice(USE_NOTES)))
        term_views = (round(views * share), views - round(views * share))
        term_downloads = (round(downloads * share), downloads - round(downloads * share))
        for term, v, d in zip(
            (this_term.start, last_term.start), term_views, term_downloads, strict=True
        ):
            stats.append((r.pk, term, v, d, uses[term]))
        # The totals are the terms' sums: what the aggregation of the hits would have left.
        counted.append(
            (
                sum(term_views),
                sum(term_downloads),
                sum(uses.values()),
                len(scores),
                sum(scores),
                r.pk,
            )
        )
    limit = PENDING_HITS.get(ctx.scale.name, PENDING_HITS["small"])
    for r in rng.sample(published, min(len(published), max(1, limit // 5))):
        for uid, _name in rng.sample(everyone, min(len(everyone), 5)):
            hits.append((r.pk, HitKind.VIEW, today, uid))
    bulk.execute_batches(
        connection,
        f"UPDATE {Resource._meta.db_table} SET view_count = %s, download_count = %s, "
        "use_count = %s, rating_count = %s, rating_sum = %s WHERE id = %s",
        counted,
        5000,
        tuple,
    )
    bulk.insert_values(Favourite, ["resource_id", "user_id", "created_at"], favourites)
    bulk.insert_values(
        Rating, ["resource_id", "user_id", "score", "created_at", "updated_at"], ratings
    )
    bulk.insert_values(
        Comment, ["resource_id", "user_id", "user_name", "text", "created_at"], comments
    )
    bulk.insert_values(
        Application, ["resource_id", "user_id", "user_name", "day", "note"], applications
    )
    bulk.insert_values(
        ResourceTermStats, ["resource_id", "term", "views", "downloads", "uses"], stats
    )
    bulk.insert_values(ResourceHit, ["resource_id", "kind", "day", "user_id"], hits)
    ctx.log(
        f"resources: {sum(c[0] for c in counted)} views counted, "
        f"{len(favourites)} favourites, {len(ratings)} ratings, {len(comments)} comments, "
        f"{len(applications)} uses in lessons, {len(hits)} hits pending"
    )


@step(53)
def build_recommendation_round(ctx: DemoContext) -> None:
    """One recommendation round of the demo city's bureau (2026 优课), open: schools have
    recommended some of their published resources to their counties, counties have
    selected some to the city, the city has kept its first few."""
    from jiaoyan.core.paths import path_ids
    from jiaoyan.orgs.models import OrgUnit

    from .models import Recommendation, RecommendationRound

    rng = ctx.rng
    bureau = OrgUnit.objects.filter(level="city", kind="bureau").order_by("path").first()
    if bureau is None or bureau.parent is None:
        ctx.log("resources: no city bureau; no recommendation round")
        return
    city = bureau.parent
    today = ctx.now.date()
    r = RecommendationRound.objects.create(
        org_unit=bureau,
        title=f"{today.year} 优课评选",
        description="各校推荐优秀教学设计、微课与课件，区县遴选后报送市级评选。",
        kinds=[Kind.MICRO_LESSON, Kind.LESSON_DESIGN, Kind.SLIDES],
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=20),
        school_quota=2,
        county_quota=5,
        city_quota=10,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    counties = dict(
        OrgUnit.objects.filter(path__under=city.path, level="county", kind="region").values_list(
            "pk", "path"
        )
    )
    rows = (
        Resource.objects.filter(
            org_unit__path__under=city.path, status=Status.PUBLISHED, kind__in=r.kinds
        )
        .order_by("id")
        .values_list("pk", "org_unit_id", "org_unit__path")
    )
    by_school: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, unit, path in rows:
        by_school[unit].append((pk, path))
    at = ctx.now - dt.timedelta(days=5)
    school_entries, by_county = [], defaultdict(list)
    for school, items in sorted(by_school.items()):
        if rng.random() < 0.3:
            continue  # a school that has not recommended yet (its candidates wait)
        for pk, path in rng.sample(items, min(len(items), rng.randint(1, 2))):
            county = next((u for u in path_ids(path) if u in counties), None)
            e = Recommendation(
                round=r,
                resource_id=pk,
                level="school",
                org_unit_id=school,
                to_unit_id=county or city.pk,
                recommended_at=at,
            )
            school_entries.append(e)
            if county:
                by_county[county].append(e)
    bulk.bulk_create(Recommendation, school_entries)
    county_entries = []
    for county, entries in sorted(by_county.items()):
        for e in rng.sample(entries, min(len(entries), rng.randint(1, 3))):
            county_entries.append(
                Recommendation(
                    round=r,
                    resource_id=e.resource_id,
                    level="county",
                    org_unit_id=county,
                    to_unit_id=city.pk,
                    source=e,
                    recommended_at=at + dt.timedelta(days=2),
                )
            )
    bulk.bulk_create(Recommendation, county_entries)
    city_entries = [
        Recommendation(
            round=r,
            resource_id=e.resource_id,
            level="city",
            org_unit_id=city.pk,
            to_unit=None,
            source=e,
            recommended_at=at + dt.timedelta(days=4),
        )
        for e in county_entries[:3]
    ]
    bulk.bulk_create(Recommendation, city_entries)
    ctx.log(
        f"resources: round “{r.title}”: {len(school_entries)} school, "
        f"{len(county_entries)} county, {len(city_entries)} city recommendations"
    )


@step(56)
def build_resource_statistics(ctx: DemoContext) -> None:
    """The statistics' day table, from every resource, decision and use written above
    (they went in in bulk, around the services that keep it)."""
    from . import summary

    result = summary.rebuild()
    ctx.log(f"resources: {result['rows']} statistics rows")
