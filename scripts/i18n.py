"""Refresh every app's translation catalogue.

For each app under src/jiaoyan/: extract the message ids (Django's makemessages, run in
the app's folder, so each app owns src/jiaoyan/<app>/locale/), keep zh_Hans translations
as translators wrote them, derive zh_Hant from zh_Hans with OpenCC (s2tw: traditional
characters in the Taiwan standard, without s2twp's phrase rewriting, which turns 代码 into
程式码 "program code" and 类型 into 型别 "data type"), and compile the .mo files (committed,
so a machine without GNU gettext runs translated).

    .venv/bin/python scripts/i18n.py            # all apps
    .venv/bin/python scripts/i18n.py core orgs  # some apps
    .venv/bin/python scripts/i18n.py --check    # list untranslated zh_Hans entries only
    .venv/bin/python scripts/i18n.py --conflicts  # msgids translated differently in two
                                                  # apps (Django merges the catalogues, so
                                                  # only one translation can win)

A msgid that is merely worded differently in two apps should get the same Chinese in
both; a msgid that MEANS something different in your app (an activity's "Mode" is not an
import's "Mode") gets a context instead: pgettext_lazy("activity", "Mode").

Needs GNU gettext (msgfmt, xgettext) and the dev extras (polib, opencc).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "jiaoyan"
DJANGO_ADMIN = [sys.executable, "-m", "django"]
LANGS = ["zh_Hans", "zh_Hant"]


def apps(selected: list[str]) -> list[Path]:
    found = [
        p
        for p in sorted(PKG.iterdir())
        if p.is_dir() and (p / "apps.py").exists() and (not selected or p.name in selected)
    ]
    return found


def extract(app: Path) -> None:
    (app / "locale").mkdir(exist_ok=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="jiaoyan.settings")
    cmd = [
        *DJANGO_ADMIN,
        "makemessages",
        "--no-obsolete",
        "--no-location",
        "--ignore",
        "migrations/*",
        "--ignore",
        "static/*",
    ]
    for lang in LANGS:
        cmd += ["-l", lang]
    subprocess.run(cmd, cwd=app, check=True, env=env, stdout=subprocess.DEVNULL)


def derive_hant(app: Path) -> None:
    import opencc

    converter = opencc.OpenCC("s2tw")
    hans = polib.pofile(str(app / "locale/zh_Hans/LC_MESSAGES/django.po"))
    hant_path = app / "locale/zh_Hant/LC_MESSAGES/django.po"
    hant = polib.pofile(str(hant_path))
    hant.metadata.update({**hans.metadata, "Language": "zh_Hant"})
    hant.metadata_is_fuzzy = False
    source = {(e.msgctxt, e.msgid): e for e in hans}
    for entry in hant:
        src = source.get((entry.msgctxt, entry.msgid))
        if src is None:
            continue
        entry.msgstr = converter.convert(src.msgstr) if src.msgstr else ""
        if src.msgstr_plural:
            entry.msgstr_plural = {k: converter.convert(v) for k, v in src.msgstr_plural.items()}
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    hant.save()


def compile_all(app: Path) -> None:
    for lang in LANGS:
        po = polib.pofile(str(app / f"locale/{lang}/LC_MESSAGES/django.po"))
        po.save_as_mofile(str(app / f"locale/{lang}/LC_MESSAGES/django.mo"))


def untranslated(app: Path) -> list[str]:
    po = polib.pofile(str(app / "locale/zh_Hans/LC_MESSAGES/django.po"))
    return [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]


def conflicts() -> int:
    """Print every (context, msgid) that two apps translate differently."""
    seen: dict = {}
    found = 0
    for app in apps([]):
        path = app / "locale/zh_Hans/LC_MESSAGES/django.po"
        if not path.exists():
            continue
        for e in polib.pofile(str(path)):
            key = (e.msgctxt, e.msgid)
            val = e.msgstr or "|".join(v for _k, v in sorted(e.msgstr_plural.items()))
            if key in seen and seen[key][1] != val:
                found += 1
                ctx = f"[{e.msgctxt}] " if e.msgctxt else ""
                print(f"{ctx}{e.msgid!r}: {seen[key][0]}={seen[key][1]!r} {app.name}={val!r}")
            else:
                seen.setdefault(key, (app.name, val))
    return found


CORE_ORDER = ["core", "orgs", "people"]


def main(argv: list[str]) -> int:
    if "--conflicts" in argv:
        return 1 if conflicts() else 0
    check = "--check" in argv
    selected = [a for a in argv if not a.startswith("--")]
    missing_total = 0
    for app in apps(selected):
        if not check:
            extract(app)
            derive_hant(app)
            compile_all(app)
        missing = (
            untranslated(app) if (app / "locale/zh_Hans/LC_MESSAGES/django.po").exists() else []
        )
        missing_total += len(missing)
        status = f"{len(missing)} untranslated" if missing else "complete"
        print(f"{app.name}: {status}")
        for m in missing[:50]:
            print(f"   - {m!r}")
    return 1 if (check and missing_total) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main(sys.argv[1:]))
