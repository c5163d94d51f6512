"""``greentrade draft|entries|audit|release|db``: the curation workflow at the command line.

Thin adapters over :mod:`classifier.drafts`, :mod:`classifier.curation`, :mod:`classifier.releases`
and :class:`classifier.store.Store`; :mod:`api.cli` registers them.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import JsonOption, open_catalogue, open_store, print_json
from classifier.settings import get_settings

draft_app = typer.Typer(help="Draft catalogue candidates from classified trade records.", no_args_is_help=True)
entries_app = typer.Typer(help="Catalogue entries: list, show, decide (accept/reject/edit).", no_args_is_help=True)
release_app = typer.Typer(help="Releases of the catalogue: create, list, diff, export.", no_args_is_help=True)
db_app = typer.Typer(help="The database: backup, restore, migrate.", no_args_is_help=True)

ByOption = Annotated[
    str | None, typer.Option("--by", help="Who is acting, for the audit log; default your login name.")
]


def _actor(by: str | None):  # type: ignore[no-untyped-def]
    from classifier.curation import Actor

    return Actor(by.strip() if by and by.strip() else f"cli:{getpass.getuser()}")


def _entry_line(e) -> str:  # type: ignore[no-untyped-def]
    return (
        f"{e.id:>5} v{e.version:<3} {e.status:<9} {e.change:<10} {e.code:<10} {e.category:<4} {e.coverage:<4} "
        f"conf {e.confidence:.2f}  ${e.value_usd:>14,.0f}  {e.records:>5} rows  {e.product_name}"
    )


@draft_app.command("build")
def draft_build(
    files: Annotated[list[Path], typer.Argument(help="Classified files (output of `greentrade classify`).")],
    similarity: Annotated[
        int, typer.Option(min=50, max=100, help="rapidfuzz ratio at which two names of one code are one product.")
    ] = 85,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet; default the first.")] = None,
    by: ByOption = None,
    top: Annotated[int, typer.Option(min=0, help="How many of the top candidates to print.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Aggregate classified records into candidate entries, ranked by value and uncertainty."""
    from classifier.curation import as_dict, list_entries
    from classifier.drafts import build_draft

    store = open_store()
    summary = build_draft(
        store, open_catalogue(), files, actor=_actor(by), similarity=similarity, sheet=sheet,
        progress=lambda m: typer.echo(m, err=True),
    )  # fmt: skip
    queue = list_entries(store, status="candidate", limit=max(top, 1)).items[:top]
    if as_json:
        print_json({**summary.__dict__, "top": [as_dict(e) for e in queue]})
        return
    typer.echo(f"rows read 读取行数:        {summary.rows} ({summary.rows_used} classified with a product name)")
    typer.echo(f"candidates 候选条目:       {summary.candidates} (new {summary.created}, refreshed {summary.refreshed}, "
               f"re-proposed {summary.redrafted})")  # fmt: skip
    typer.echo("all entries vs release 对比现行版本: " + ", ".join(f"{k} {v}" for k, v in summary.by_change.items()))
    if queue:
        typer.echo(f"\ntop {len(queue)} candidates to review 优先审核:")
        for entry in queue:
            typer.echo(_entry_line(entry))


@entries_app.command("list")
def entries_list(
    status: Annotated[str | None, typer.Option(help="candidate, accepted or rejected.")] = None,
    category: Annotated[str | None, typer.Option(help="A category code (NEV, CES...).")] = None,
    code: Annotated[str | None, typer.Option(help="Code prefix, e.g. 8504.")] = None,
    change: Annotated[str | None, typer.Option(help="new, changed or in_release (against the newest release).")] = None,
    q: Annotated[str | None, typer.Option("--q", help="A word in the name, examples or keywords.")] = None,
    sort: Annotated[str, typer.Option(help="priority, value, confidence, code or updated.")] = "priority",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """List entries, most important first (value weighted by uncertainty)."""
    from classifier.curation import as_dict, list_entries

    page = list_entries(
        open_store(),
        status=status,
        category=category,
        code=code,
        change=change,
        q=q,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    if as_json:
        print_json({"total": page.total, "items": [as_dict(e) for e in page.items]})
        return
    typer.echo(f"{page.total} entries; showing {offset + 1}-{offset + len(page.items)}")
    for entry in page.items:
        typer.echo(_entry_line(entry))


@entries_app.command("show")
def entries_show(entry_id: Annotated[int, typer.Argument(help="The entry's id.")], as_json: JsonOption = False) -> None:
    """An entry with its evidence and the decisions made on it."""
    from classifier.curation import as_dict, get_entry, list_decisions

    store = open_store()
    entry = get_entry(store, entry_id)
    history = list_decisions(store, entry_id=entry_id, limit=500).items
    if as_json:
        print_json({**as_dict(entry), "decisions": [as_dict(d) for d in history]})
        return
    typer.echo(_entry_line(entry))
    for label, value in (
        ("ex description ex说明", entry.ex_description),
        ("keywords 关键词", "; ".join(entry.keywords)),
        ("examples 示例品名", "; ".join(entry.example_names)),
        ("months 月份", ", ".join(entry.months)),
        ("export/import 出口/进口", f"${entry.value_export_usd:,.0f} ({entry.records_export} rows) / "
                                 f"${entry.value_import_usd:,.0f} ({entry.records_import} rows)"),
        ("proposed 建议", f"{entry.proposed_category} {entry.proposed_coverage}"),
        ("flags 标记", ";".join(entry.flags)),
        ("lists 参考清单", ";".join(entry.ref_lists)),
        ("evidence 依据", entry.evidence),
        ("remarks 备注", entry.remarks),
    ):  # fmt: skip
        if value:
            typer.echo(f"  {label}: {value}")
    for d in history:
        typer.echo(
            f"  {d.at:%Y-%m-%d %H:%M} {d.actor}: {d.action} v{d.version_before}->v{d.version_after}: {d.rationale}"
        )


@entries_app.command("decide")
def entries_decide(
    entry_id: Annotated[int, typer.Argument(help="The entry's id.")],
    action: Annotated[str, typer.Option(help="accept, reject or edit.")],
    version: Annotated[
        int, typer.Option(help="The version you decided on (see entries show); a stale one is refused.")
    ],
    rationale: Annotated[str, typer.Option(help="Why: kept in the audit log.")],
    category: Annotated[str | None, typer.Option(help="New category.")] = None,
    coverage: Annotated[str | None, typer.Option(help="New coverage: full or ex.")] = None,
    keywords: Annotated[str | None, typer.Option(help="New keywords, ';'-separated.")] = None,
    ex_description: Annotated[str | None, typer.Option(help="New ex description.")] = None,
    product_name: Annotated[str | None, typer.Option(help="New product name.")] = None,
    remarks: Annotated[str | None, typer.Option(help="New remarks (备注).")] = None,
    by: ByOption = None,
) -> None:
    """Accept, reject or edit an entry, with a rationale (recorded with who and when)."""
    from classifier.curation import decide

    changes = {
        "category": category, "coverage": coverage, "keywords": keywords, "ex_description": ex_description,
        "product_name": product_name, "remarks": remarks,
    }  # fmt: skip
    entry = decide(
        open_store(), entry_id, action=action, version=version, rationale=rationale, actor=_actor(by),
        changes={k: v for k, v in changes.items() if v is not None},
    )  # fmt: skip
    typer.echo(_entry_line(entry))


def audit(
    action: Annotated[str | None, typer.Option(help="e.g. entry.decide, release.create, draft.build.")] = None,
    entity_id: Annotated[str | None, typer.Option(help="An entry id or release name.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
) -> None:
    """The audit log, newest first: every draft build, decision and release, with who and why."""
    from classifier.curation import as_dict, list_audit

    page = list_audit(open_store(), action=action, entity_id=entity_id, actor=actor, limit=limit)
    if as_json:
        print_json({"total": page.total, "items": [as_dict(e) for e in page.items]})
        return
    for event in page.items:
        typer.echo(
            f"{event.at:%Y-%m-%d %H:%M:%S}  {event.actor:<20} {event.action:<15} {event.entity} {event.entity_id}: {event.summary}"
        )


@release_app.command("create")
def release_create(
    name: Annotated[str, typer.Option(help="The release's name, e.g. 2026-12.")],
    note: Annotated[str, typer.Option(help="What this release is.")] = "",
    by: ByOption = None,
) -> None:
    """Freeze the decided entries into a new, numbered, immutable release."""
    from classifier.releases import create_release

    release = create_release(open_store(), name, actor=_actor(by), note=note)
    typer.echo(
        f"release {release.number} {release.name}: {release.entries} decided entries, sha256 {release.sha256[:12]}..."
    )


@release_app.command("list")
def release_list(as_json: JsonOption = False) -> None:
    """Every release, newest first."""
    from classifier.curation import as_dict
    from classifier.releases import list_releases

    found = list_releases(open_store())
    if as_json:
        print_json([as_dict(r) for r in found])
        return
    for r in found:
        typer.echo(
            f"{r.number:>4}  {r.name:<12} {r.created_at:%Y-%m-%d %H:%M}  {r.entries:>5} entries  {r.created_by}  {r.note}"
        )


@release_app.command("diff")
def release_diff(
    a: Annotated[str, typer.Argument(help="The older release (name or number).")],
    b: Annotated[str, typer.Argument(help="The newer release (name, number or latest).")],
    as_json: JsonOption = False,
) -> None:
    """Entries added to, removed from and changed in the official list from A to B."""
    from classifier.curation import as_dict
    from classifier.releases import diff_releases

    diff = diff_releases(open_store(), a, b)
    if as_json:
        print_json({
            "a": diff.a.name, "b": diff.b.name, "added": [as_dict(e) for e in diff.added],
            "removed": [as_dict(e) for e in diff.removed],
            "changed": [{"entry_id": new.entry_id, "code": new.code, "fields": fields} for _, new, fields in diff.changed],
        })  # fmt: skip
        return
    typer.echo(
        f"{diff.a.name} -> {diff.b.name}: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    )
    for e in diff.added:
        typer.echo(f"+ {e.code:<10} {e.category:<4} {e.product_name}")
    for e in diff.removed:
        typer.echo(f"- {e.code:<10} {e.category:<4} {e.product_name}")
    for _, new, fields in diff.changed:
        changes = "; ".join(f"{k}: {old!r} -> {val!r}" for k, (old, val) in fields.items())
        typer.echo(f"~ {new.code:<10} {new.product_name}: {changes}")


@release_app.command("export")
def release_export(
    release: Annotated[str, typer.Argument(help="Release name, number or latest.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The table: .xlsx or .csv.")],
) -> None:
    """Write the official-style table (序号, 商品编码, 商品名称, 类别, 覆盖范围/ex说明, 依据/参考清单, 备注)."""
    from classifier.releases import export_release, get_release

    store = open_store()
    found = get_release(store, release)
    path = export_release(store, found, output)
    typer.echo(f"release {found.number} {found.name} written to {path}")


@db_app.command("backup")
def db_backup(path: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """Copy the SQLite database consistently, even while the server runs."""
    target = open_store().backup(path)
    typer.echo(f"backup written to {target} ({target.stat().st_size:,} bytes)")


@db_app.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="A file made by `db backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    by: ByOption = None,
) -> None:
    """Replace the database with a backup (stop the server first); the audit log records the restore."""
    settings = get_settings()
    if not yes:
        typer.confirm(f"replace {settings.db_url} with {path}?", abort=True)
    from classifier.curation import record_event

    store = open_store()
    applied = store.restore(path)
    with store.begin() as conn:  # the restored history says it was restored, by whom and from what
        record_event(
            conn, _actor(by), "db.restore", "database", path.name, f"restored from {path}", {"migrations": applied}
        )
    typer.echo(f"restored {path} into {settings.db_url}" + (f"; migrations applied: {applied}" if applied else ""))


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending schema migrations (the server and every command also do it on start)."""
    from classifier.store import MIGRATIONS

    store = open_store()
    typer.echo(f"schema at version {store.schema_version()} of {len(MIGRATIONS)}")


def register(app: typer.Typer) -> None:
    """Add the curation commands to the main ``greentrade`` app."""
    app.add_typer(draft_app, name="draft")
    app.add_typer(entries_app, name="entries")
    app.add_typer(release_app, name="release")
    app.add_typer(db_app, name="db")
    app.command("audit")(audit)
